"""Workshop mode: a facilitated session in which a room of partners answers one
system's pre-conditions on their phones (docs/workshops.md).

The rules live in ``workshops/rules.py`` (what may happen) and ``workshops/room.py``
(what the room sees); views only adapt them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from preconditions.models import Precondition
from surveys.models import Diagnostic, Rating, Response, Role, Sector, System, new_public_id


class Workshop(models.Model):
    """One facilitated session for one open round and one of its systems."""

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting to start"
        ACTIVE = "active", "In progress"
        ENDED = "ended", "Ended"

    public_id = models.CharField(max_length=12, unique=True, default=new_public_id)
    diagnostic = models.ForeignKey(Diagnostic, on_delete=models.CASCADE, related_name="workshops")
    system = models.ForeignKey(System, on_delete=models.PROTECT, related_name="workshops")
    title = models.CharField(max_length=200, blank=True)
    # The short code people type (or scan): unique among all workshops, usable only while
    # the workshop has not ended and has not expired.
    join_code = models.CharField(max_length=8, unique=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    current_precondition = models.ForeignKey(
        Precondition, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # While held, the room sees only how many have answered, never the spread.
    results_held = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    submitted_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title or f"Workshop {self.join_code}"

    @property
    def is_ended(self) -> bool:
        return self.state == self.State.ENDED


class Participant(models.Model):
    """One phone in the room: no account, no e-mail, only what the person chose to say
    about themselves. Bound to one browser session (the session holds its id) and to one
    response of the round (source "workshop"), which holds their answers."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="participants")
    sector = models.CharField(max_length=20, choices=Sector.choices)
    # Blank: "prefer not to say" (reports never show a blank role as a group of its own).
    role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    response = models.OneToOneField(
        Response,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="workshop_participant",
    )
    joined_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Participant {self.pk} of {self.workshop}"


class Comment(models.Model):
    """The moderation of one participant's comment on one pre-condition. The text itself
    is the rating's evidence (the round's one record of it); the room sees it only once a
    facilitator has approved it, and a changed text needs approving again."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="comments")
    rating = models.OneToOneField(Rating, on_delete=models.CASCADE, related_name="workshop_comment")
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Comment {self.pk}"

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None
