"""Action plans: what a place will do about a round's findings, and who changed what.

An action belongs to one round (diagnostic), one system and one pre-condition, and
optionally names the finding that prompted it. Actions hold no respondent data (they are
not suppressed), so their text must not quote evidence with a name: see
``actions/rules.py``, which holds every rule about who may do what.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from preconditions.models import Precondition
from surveys.models import Diagnostic, Organisation, System, new_public_id

TITLE_MAX_LENGTH = 200
TEXT_MAX_LENGTH = 2000
NOTE_MAX_LENGTH = 1000


class Status(models.TextChoices):
    """Where an action stands. A proposal (from a steering member) is not on the plan
    until a facilitator accepts it."""

    PROPOSED = "proposed", "Proposed"
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"


# Statuses of an action that is still to be delivered: only these can be overdue or
# earn a reminder.
OPEN_STATUSES = (Status.PLANNED, Status.IN_PROGRESS)


class FindingKind(models.TextChoices):
    """The finding of the report that prompted an action (optional)."""

    GAP = "gap", "A gap"
    CONTESTED = "contested", "Views differ (contested)"
    LOW_VISIBILITY = "low_visibility", "Few people could say (little seen)"
    MULTIPLIER = "multiplier", "H as a multiplier for the others"
    QUESTION = "question", "A question for the steering group"


class ActionPlanSettings(models.Model):
    """Per-round choices a facilitator makes about the action plan."""

    diagnostic = models.OneToOneField(
        Diagnostic, on_delete=models.CASCADE, related_name="action_plan_settings"
    )
    steering_may_propose = models.BooleanField(
        default=True, help_text="Steering members may propose actions for a facilitator to accept."
    )
    steering_may_update_status = models.BooleanField(
        default=False,
        help_text="Steering members may move an action between planned, in progress and done.",
    )
    partner_summary_published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "action plan settings"

    def __str__(self) -> str:
        return f"Action plan settings for {self.diagnostic}"

    @property
    def partner_summary_published(self) -> bool:
        return self.partner_summary_published_at is not None


class ActionQuerySet(models.QuerySet):
    def on_plan(self) -> ActionQuerySet:
        """Accepted actions (not proposals waiting for a facilitator)."""
        return self.exclude(status=Status.PROPOSED)

    def overdue(self, today: datetime.date) -> ActionQuerySet:
        return self.filter(status__in=OPEN_STATUSES, due_on__lt=today)


class Action(models.Model):
    diagnostic = models.ForeignKey(Diagnostic, on_delete=models.CASCADE, related_name="actions")
    public_id = models.CharField(max_length=12, unique=True, default=new_public_id)
    system = models.ForeignKey(System, on_delete=models.PROTECT, related_name="actions")
    precondition = models.ForeignKey(Precondition, on_delete=models.PROTECT, related_name="+")
    finding = models.CharField(max_length=20, choices=FindingKind.choices, blank=True)
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    description = models.TextField("what will be done", max_length=TEXT_MAX_LENGTH)
    lead_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="led_actions"
    )
    lead_name = models.CharField("named lead", max_length=200, blank=True)
    lead_email = models.EmailField(blank=True)
    remind_lead = models.BooleanField(default=False)
    due_on = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # The due date a reminder was sent for: one reminder per due date, never two.
    reminded_for_due_on = models.DateField(null=True, blank=True)

    objects = ActionQuerySet.as_manager()

    class Meta:
        ordering = ["diagnostic", "system__name", "precondition__order", "due_on", "pk"]
        indexes = [models.Index(fields=["diagnostic", "status"])]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, today: datetime.date) -> bool:
        return self.status in OPEN_STATUSES and self.due_on < today


class ActionEvent(models.Model):
    """The history of an action plan: who did what, when, and what changed. Every change
    to an action or to the plan's settings writes one."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created the action"
        PROPOSED = "proposed", "Proposed the action"
        ACCEPTED = "accepted", "Accepted the proposal"
        EDITED = "edited", "Edited the action"
        STATUS_CHANGED = "status_changed", "Changed the status"
        REMINDED = "reminded", "Reminded the named lead"
        SETTINGS_CHANGED = "settings_changed", "Changed the action plan settings"
        SUMMARY_PUBLISHED = "summary_published", "Published the partner summary"
        SUMMARY_WITHDRAWN = "summary_withdrawn", "Withdrew the partner summary"

    diagnostic = models.ForeignKey(
        Diagnostic, on_delete=models.CASCADE, related_name="action_events"
    )
    action = models.ForeignKey(
        Action, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    note = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)
    # Field name -> [old, new], as text, for edits and settings changes.
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.created_at:%Y-%m-%d %H:%M}"
