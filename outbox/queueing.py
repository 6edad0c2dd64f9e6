"""Queuing e-mails: the only thing a page or command does. It answers at once with how
many were queued and how many were skipped and why; the worker sends them.

Every message has an idempotency key, unique in the database, so the same message is
never queued twice whatever is clicked, reloaded or retried:

- ``invitation:<invitation id>:gen<link generation>`` — a link is e-mailed once; after
  "Make a new link" the new link may be e-mailed again;
- ``reminder:<invitation id>:<n>`` — the n-th reminder; two clicks at once both try the
  same n and one of them wins;
- ``scheduled-reminder:<invitation id>:<days before>:<closing date>``;
- ``action-reminder:<action public id>:<due date>`` — a named lead's reminder, once per
  due date (``message_queue``, called by ``actions.reminders``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypedDict

from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from surveys.audit import audit
from surveys.models import AuditEvent, Diagnostic, Invitation, Response

from .models import EmailBatch, Kind, OutboxEmail, ReminderSchedule, Status

REMINDER_GAP = timedelta(hours=24)
REMINDER_KINDS = (Kind.REMINDER, Kind.SCHEDULED_REMINDER)

SKIP_REASONS = {
    "revoked": "the invitation is revoked",
    "no_email": "there is no e-mail address",
    "already_sent": "their current link was already e-mailed",
    "waiting": "an e-mail to them is already waiting to be sent",
    "failed": "the mail relay refused their address (correct it or make a new link)",
    "not_sent": "they were never sent their link",
    "submitted": "they have submitted every system",
    "recent": "they were reminded in the last 24 hours",
}


# Why an invitation e-mail already there stops another: by the status of that e-mail.
_SKIP_FOR_STATUS: dict[str, str] = {Status.SENT: "already_sent", Status.FAILED: "failed"}


class _Candidate(TypedDict):
    """An invitation as ``_plan`` reads it (one ``values()`` row)."""

    pk: int
    email: str
    token_generation: int
    revoked_at: datetime | None
    sent_at: datetime | None
    systems_count: int
    submitted_count: int


class _Reminded(TypedDict):
    """The reminders of one invitation so far: manual ones, the latest, those waiting."""

    manual: int
    last: datetime | None
    waiting: int


@dataclass
class QueueResult:
    queued: int = 0
    skipped: Counter = field(default_factory=Counter)
    batch: EmailBatch | None = None
    # The first invitation that would be (or was) e-mailed: the preview shows its message.
    sample_id: int | None = None

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def skipped_reasons(self) -> list[tuple[str, int]]:
        return [(SKIP_REASONS[key], n) for key, n in self.skipped.most_common()]

    def summary(self) -> str:
        if self.queued:
            text = f"Queued {self.queued} e-mail{'s' if self.queued != 1 else ''}"
        else:
            text = "Nothing was queued"
        if self.skipped_total:
            reasons = "; ".join(f"{n} because {reason}" for reason, n in self.skipped_reasons())
            text += f"; skipped {self.skipped_total}: {reasons}"
        return text + "."


def _candidates(
    diagnostic: Diagnostic, invitations: QuerySet[Invitation] | None
) -> list[_Candidate]:
    queryset = invitations if invitations is not None else diagnostic.invitations.all()
    return list(
        queryset.filter(diagnostic=diagnostic)
        .annotate(
            systems_count=Count("systems", distinct=True),
            submitted_count=Count(
                "responses",
                filter=Q(responses__status=Response.Status.SUBMITTED),
                distinct=True,
            ),
        )
        .order_by("organisation__name", "name", "pk")
        .values(
            "pk",
            "email",
            "token_generation",
            "revoked_at",
            "sent_at",
            "systems_count",
            "submitted_count",
        )
    )


def _plan(
    *,
    diagnostic: Diagnostic,
    kind: str,
    invitations: QuerySet[Invitation] | None,
    insist: bool,
    now: datetime,
    schedule: tuple[int, date] | None = None,
) -> tuple[list[tuple[_Candidate, str]], Counter]:
    """(invitation, key) pairs to queue, and the skipped counts by reason."""
    rows = _candidates(diagnostic, invitations)
    skipped: Counter = Counter()
    planned: list[tuple[_Candidate, str]] = []
    existing = OutboxEmail.objects.filter(diagnostic=diagnostic)
    if kind == Kind.INVITATION:
        statuses = dict(
            existing.filter(kind=Kind.INVITATION).values_list("idempotency_key", "status")
        )
    else:
        reminders: dict[int, _Reminded] = {
            row["invitation_id"]: row
            for row in existing.filter(kind__in=REMINDER_KINDS)
            .values("invitation_id")
            .annotate(
                manual=Count("id", filter=Q(kind=Kind.REMINDER)),
                last=Max("created_at"),
                waiting=Count("id", filter=Q(status__in=[Status.QUEUED, Status.RETRYING])),
            )
        }
        keys = set(
            existing.filter(kind=Kind.SCHEDULED_REMINDER).values_list("idempotency_key", flat=True)
        )
    for row in rows:
        if row["revoked_at"] is not None:
            skipped["revoked"] += 1
            continue
        if not row["email"]:
            skipped["no_email"] += 1
            continue
        if kind == Kind.INVITATION:
            key = f"invitation:{row['pk']}:gen{row['token_generation']}"
            status = statuses.get(key)
            if status is not None:
                skipped[_SKIP_FOR_STATUS.get(status, "waiting")] += 1
                continue
        else:
            if row["sent_at"] is None:
                skipped["not_sent"] += 1
                continue
            if row["systems_count"] and row["submitted_count"] >= row["systems_count"]:
                skipped["submitted"] += 1
                continue
            history: _Reminded = reminders.get(row["pk"], {"manual": 0, "last": None, "waiting": 0})
            if history["waiting"]:
                skipped["waiting"] += 1
                continue
            if not insist and history["last"] and history["last"] > now - REMINDER_GAP:
                skipped["recent"] += 1
                continue
            if kind == Kind.REMINDER:
                key = f"reminder:{row['pk']}:{history['manual'] + 1}"
            else:
                if schedule is None:
                    raise ValueError("A scheduled reminder needs its schedule")
                days, closes_on = schedule
                key = f"scheduled-reminder:{row['pk']}:{days}:{closes_on:%Y-%m-%d}"
                if key in keys:
                    continue  # already done: not a skip the facilitator asked about
        planned.append((row, key))
    return planned, skipped


def emails_preview(
    *,
    diagnostic: Diagnostic,
    kind: str,
    invitations: QuerySet[Invitation] | None = None,
    insist: bool = False,
) -> QueueResult:
    """What queuing would do now, without queuing: for the confirmation page."""
    planned, skipped = _plan(
        diagnostic=diagnostic,
        kind=kind,
        invitations=invitations,
        insist=insist,
        now=timezone.now(),
    )
    return QueueResult(
        queued=len(planned), skipped=skipped, sample_id=planned[0][0]["pk"] if planned else None
    )


def emails_queue(
    *,
    diagnostic: Diagnostic,
    kind: str,
    actor,
    invitations: QuerySet[Invitation] | None = None,
    personal_message: str = "",
    reply_to: str = "",
    insist: bool = False,
    schedule: tuple[int, date] | None = None,
) -> QueueResult:
    """Queue ``kind`` e-mails for the invitations given (default: the whole round)."""
    from .tasks import enqueue_delivery

    now = timezone.now()
    with transaction.atomic():
        planned, skipped = _plan(
            diagnostic=diagnostic,
            kind=kind,
            invitations=invitations,
            insist=insist,
            now=now,
            schedule=schedule,
        )
        if not planned:
            return QueueResult(queued=0, skipped=skipped)
        batch = EmailBatch.objects.create(diagnostic=diagnostic, kind=kind, created_by=actor)
        OutboxEmail.objects.bulk_create(
            [
                OutboxEmail(
                    idempotency_key=key,
                    kind=kind,
                    recipient=row["email"],
                    batch=batch,
                    invitation_id=row["pk"],
                    diagnostic=diagnostic,
                    personal_message=personal_message,
                    reply_to=reply_to,
                    created_at=now,
                    next_attempt_at=now,
                )
                for row, key in planned
            ],
            # Another click or worker got there first: theirs stands, and is not counted.
            ignore_conflicts=True,
            batch_size=500,
        )
        queued = OutboxEmail.objects.filter(batch=batch).count()
        if len(planned) > queued:
            skipped["waiting"] += len(planned) - queued
        Invitation.objects.filter(emails__batch=batch).update(
            email_status=Status.QUEUED, email_error=""
        )
        audit(
            (
                AuditEvent.Action.LINK_SENT
                if kind == Kind.INVITATION
                else AuditEvent.Action.REMINDED
            ),
            diagnostic=diagnostic,
            actor=actor,
            detail={"queued": queued, "skipped": dict(skipped), "batch": batch.public_id},
        )
        if queued:
            enqueue_delivery(queued)
    return QueueResult(queued=queued, skipped=skipped, batch=batch, sample_id=planned[0][0]["pk"])


@dataclass(frozen=True)
class BatchProgress:
    total: int
    sent: int
    failed: int
    waiting: int
    retrying: int

    @property
    def done(self) -> bool:
        return self.waiting == 0 and self.retrying == 0

    def as_dict(self) -> dict:
        return {
            "total": self.total,
            "sent": self.sent,
            "failed": self.failed,
            "waiting": self.waiting,
            "retrying": self.retrying,
            "done": self.done,
        }


def invitation_scope(invitation: Invitation | None) -> QuerySet[Invitation] | None:
    """The invitations a send or reminder is limited to: this one, or None for the round."""
    return None if invitation is None else Invitation.objects.filter(pk=invitation.pk)


def sample_invitation(invitation_id: int | None) -> Invitation | None:
    """The invitation a preview shows its sample e-mail for (``EmailsPreview.sample_id``),
    with its round and place: one query, none without a sample."""
    if invitation_id is None:
        return None
    return Invitation.objects.select_related("diagnostic__place").get(pk=invitation_id)


def batch_of(diagnostic: Diagnostic, public_id: str) -> EmailBatch | None:
    """The round's batch with this public id (from a URL), or None."""
    if "\x00" in public_id:  # %00 in a URL: PostgreSQL refuses NUL in a query
        return None
    return EmailBatch.objects.filter(diagnostic=diagnostic, public_id=public_id).first()


def batch_problems(batch: EmailBatch, *, limit: int = 100) -> QuerySet[OutboxEmail]:
    """The batch's e-mails that failed or wait to be retried, with their invitation."""
    return (
        OutboxEmail.objects.filter(batch=batch, status__in=[Status.FAILED, Status.RETRYING])
        .select_related("invitation")
        .order_by("status", "recipient")[:limit]
    )


def reminder_days(diagnostic: Diagnostic) -> list[int]:
    """The days before the closing date that scheduled reminders go out."""
    return list(diagnostic.reminder_schedules.values_list("days_before", flat=True))


def reminder_days_set(*, diagnostic: Diagnostic, days: list[int]) -> None:
    """Scheduled reminders on exactly these days before the closing date (none if empty)."""
    with transaction.atomic():
        diagnostic.reminder_schedules.exclude(days_before__in=days).delete()
        ReminderSchedule.objects.bulk_create(
            [ReminderSchedule(diagnostic=diagnostic, days_before=d) for d in days],
            ignore_conflicts=True,
        )


def batch_progress(batch: EmailBatch) -> BatchProgress:
    counts = dict(
        OutboxEmail.objects.filter(batch=batch)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return BatchProgress(
        total=sum(counts.values()),
        sent=counts.get(Status.SENT, 0),
        failed=counts.get(Status.FAILED, 0),
        waiting=counts.get(Status.QUEUED, 0),
        retrying=counts.get(Status.RETRYING, 0),
    )


def scheduled_reminders_queue(*, today: date | None = None) -> dict[str, int]:
    """For each open round with a closing date, queue the latest scheduled reminder that
    is due (e.g. 7 and 2 days before closing). Each is queued once; run by outbox_tick."""
    today = today or timezone.localdate()
    queued: dict[str, int] = {}
    schedules = ReminderSchedule.objects.filter(
        diagnostic__status=Diagnostic.Status.OPEN,
        diagnostic__closes_on__gt=today,
    ).select_related("diagnostic__place")
    due: dict[int, tuple[ReminderSchedule, date]] = {}
    for schedule in schedules:
        diagnostic = schedule.diagnostic
        closes_on = diagnostic.closes_on
        if closes_on is None or closes_on - timedelta(days=schedule.days_before) > today:
            continue  # (no closing date: the query leaves those out)
        current = due.get(diagnostic.pk)
        if current is None or schedule.days_before < current[0].days_before:
            due[diagnostic.pk] = (schedule, closes_on)
    for schedule, closes_on in due.values():
        diagnostic = schedule.diagnostic
        result = emails_queue(
            diagnostic=diagnostic,
            kind=Kind.SCHEDULED_REMINDER,
            actor=None,
            schedule=(schedule.days_before, closes_on),
        )
        queued[diagnostic.slug] = result.queued
    return queued


def message_queue(
    *,
    diagnostic: Diagnostic,
    kind: str,
    recipient: str,
    subject: str,
    body: str,
    idempotency_key: str,
) -> bool:
    """Queue one message composed now (it holds no secret): ``subject`` and ``body`` are
    stored and sent as they are. Returns False when a message with this key was queued
    before (that one stands). Call it inside the transaction that records why it is
    sent: the delivery task starts once that transaction commits."""
    from .tasks import enqueue_delivery

    now = timezone.now()
    # get_or_create: of two runs at once, the unique key lets one insert and the other
    # find that row.
    _, created = OutboxEmail.objects.get_or_create(
        idempotency_key=idempotency_key,
        defaults={
            "kind": kind,
            "recipient": recipient,
            "diagnostic": diagnostic,
            "subject": subject,
            "body": body,
            "created_at": now,
            "next_attempt_at": now,
        },
    )
    if created:
        enqueue_delivery(1)
    return created
