"""The outbox: every e-mail the service sends is a row here before it is sent.

A row is queued once (its ``idempotency_key`` is unique), delivered by the background
worker (``outbox.delivery``) and marked ``sent`` only once the relay has accepted it.
An invitation's body is not stored: its link is a secret derived from SECRET_KEY, so the
message is composed again when it is sent (``outbox.messages``). Messages with no secret
and no invitation (an action's reminder to its named lead) are composed when queued and
kept in ``subject`` and ``body`` (``outbox.queueing.message_queue``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from surveys.models import Diagnostic, Invitation, new_public_id


class Kind(models.TextChoices):
    INVITATION = "invitation", "Invitation"
    REMINDER = "reminder", "Reminder"
    STEERING_INVITATION = "steering_invitation", "Steering group invitation"
    SCHEDULED_REMINDER = "scheduled_reminder", "Scheduled reminder"
    # A named lead's reminder that an action is due (actions.reminders): composed when
    # queued, since it holds no secret; stored in ``subject`` and ``body``.
    ACTION_REMINDER = "action_reminder", "Action reminder"


class Status(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    RETRYING = "retrying", "Retrying"
    FAILED = "failed", "Failed"


class EmailBatch(models.Model):
    """What one click (or one command) queued: its progress is shown as "84 of 150 sent"."""

    public_id = models.CharField(max_length=12, unique=True, default=new_public_id)
    diagnostic = models.ForeignKey(Diagnostic, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} batch {self.public_id}"


class EmailQuerySet(models.QuerySet):
    def due(self, now=None) -> EmailQuerySet:
        """Waiting to be (re)tried now, and not held by a worker that is sending it."""
        now = now or timezone.now()
        return self.filter(
            status__in=[Status.QUEUED, Status.RETRYING],
            next_attempt_at__lte=now,
        ).filter(models.Q(claimed_until__isnull=True) | models.Q(claimed_until__lt=now))


class OutboxEmail(models.Model):
    idempotency_key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    recipient = models.EmailField()
    batch = models.ForeignKey(
        EmailBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="emails"
    )
    invitation = models.ForeignKey(
        Invitation, on_delete=models.CASCADE, null=True, blank=True, related_name="emails"
    )
    # A steering invitation's recipient: the account whose password the link sets.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    diagnostic = models.ForeignKey(Diagnostic, on_delete=models.CASCADE, related_name="+")
    # Written by the facilitator on the send page; added to the message as it is.
    personal_message = models.TextField(blank=True, max_length=2000)
    reply_to = models.EmailField(blank=True)
    # Only for messages composed when queued (no invitation, no secret): see Kind.
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A worker holds a row while it sends it; a worker killed mid-send lets go when
    # this passes, and another worker sends the message again (the one possible repeat).
    claimed_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=32, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = EmailQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["invitation", "kind"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient} ({self.status})"


class ReminderSchedule(models.Model):
    """A reminder sent automatically a number of days before the round closes."""

    diagnostic = models.ForeignKey(
        Diagnostic, on_delete=models.CASCADE, related_name="reminder_schedules"
    )
    days_before = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["diagnostic", "-days_before"]
        constraints = [
            models.UniqueConstraint(
                fields=["diagnostic", "days_before"], name="one_schedule_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.days_before} days before closing"
