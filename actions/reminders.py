"""Reminders for named leads, a week before an action is due.

The rule (``actions_due_for_reminder``) is separate from the sending
(``deliver_reminder``), which is the only place that sends: it uses Django's
``send_mail`` for now and is the one function to switch to the e-mail outbox
(django-tasks) when that lands, so reminders are queued like every other e-mail.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from .models import OPEN_STATUSES, Action, ActionEvent

REMINDER_DAYS_BEFORE = 7


def actions_due_for_reminder(today: datetime.date):
    """Open actions whose lead asked for a reminder, due within the coming week (today
    included) and not yet reminded for this due date. Moving the due date makes the
    action eligible again, once, for the new date; a past due date never is."""
    return (
        Action.objects.filter(
            remind_lead=True,
            status__in=OPEN_STATUSES,
            due_on__gte=today,
            due_on__lte=today + datetime.timedelta(days=REMINDER_DAYS_BEFORE),
        )
        .exclude(lead_email="")
        .exclude(reminded_for_due_on=F("due_on"))
        .select_related("diagnostic", "system", "precondition", "lead_organisation")
        .order_by("due_on", "pk")
    )


def reminder_message(action: Action) -> tuple[str, str]:
    """Subject and body of the reminder: what the action is and when it is due; no
    evidence, no other person's details."""
    url = settings.SITE_URL + reverse(
        "actions:detail", args=[action.diagnostic.slug, action.public_id]
    )
    subject = f"Reminder: “{action.title}” is due on {action.due_on:%-d %B %Y}"
    greeting = f"Dear {action.lead_name}," if action.lead_name else "Hello,"
    body = "\n\n".join(
        [
            greeting,
            f"You are the named lead for an action in the {action.diagnostic.title} action "
            f"plan, for {action.lead_organisation.name}:",
            f"{action.title}\n{action.system.name}, pre-condition {action.precondition.code}. "
            f"{action.precondition.title}",
            f"It is due on {action.due_on:%-d %B %Y}. If you have a steering group or "
            f"facilitator account you can update it here: {url}",
            "You are receiving this once, because a facilitator asked for a reminder.",
        ]
    )
    return subject, body


def deliver_reminder(action: Action) -> None:
    """Send one reminder. The only sending code here: the lead switches it to the outbox
    (queue the message) at merge."""
    subject, body = reminder_message(action)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [action.lead_email])


def remind_action_leads(*, today: datetime.date | None = None) -> int:
    """Send every reminder that is due; returns how many were sent. Each action is
    claimed under a row lock and marked before it is sent, so two runs at once (or a run
    after a crash) never send the same reminder twice; a failed send is rolled back and
    tried again on the next run."""
    today = today or timezone.localdate()
    sent = 0
    for pk in list(actions_due_for_reminder(today).values_list("pk", flat=True)):
        with transaction.atomic():
            action = (
                actions_due_for_reminder(today)
                .select_for_update(of=("self",))
                .filter(pk=pk)
                .first()
            )
            if action is None:
                continue  # another run took it, or it changed meanwhile
            Action.objects.filter(pk=pk).update(reminded_for_due_on=action.due_on)
            ActionEvent.objects.create(
                diagnostic_id=action.diagnostic_id,
                action=action,
                kind=ActionEvent.Kind.REMINDED,
                changes={"due_on": action.due_on.isoformat()},
            )
            deliver_reminder(action)
        sent += 1
    return sent
