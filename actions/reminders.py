"""Reminders for named leads, a week before an action is due.

The rule (``actions_due_for_reminder``) is separate from the sending
(``deliver_reminder``), which queues the reminder in the e-mail outbox like every other
e-mail: the background worker sends it, with the outbox's retries, and its idempotency
key (``action-reminder:<action>:<due date>``) means one reminder per due date, whatever
runs twice. ``manage.py remind_action_leads`` runs on the same timer as
``outbox_tick`` (README, "Deployment").
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from outbox.models import Kind
from outbox.queueing import message_queue

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


def reminder_key(action: Action) -> str:
    """The outbox's idempotency key: one reminder per action and due date."""
    return f"action-reminder:{action.public_id}:{action.due_on.isoformat()}"


def deliver_reminder(action: Action) -> bool:
    """Queue one reminder in the outbox (False: it was queued before)."""
    subject, body = reminder_message(action)
    return message_queue(
        diagnostic=action.diagnostic,
        kind=Kind.ACTION_REMINDER,
        recipient=action.lead_email,
        subject=subject,
        body=body,
        idempotency_key=reminder_key(action),
    )


def remind_action_leads(*, today: datetime.date | None = None) -> int:
    """Queue every reminder that is due; returns how many were queued. Each action is
    claimed under a row lock, marked, audited and its reminder queued in one
    transaction, so two runs at once (or a run after a crash) never queue the same
    reminder twice (the outbox's idempotency key is the second guard); if queueing
    fails, nothing is marked and the next run tries again. Sending, and retrying a relay
    that is down, is the outbox worker's job."""
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
