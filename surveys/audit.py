"""The audit trail: ``audit()`` is the one way anything writes an ``AuditEvent``.

An event says what a facilitator (or the system, with no actor) did, or who read raw
evidence or one partner's answers. It never holds evidence, answers or tokens: ``detail``
carries counts, settings, public ids and file names only. Every event about a round is
also an event of its place (``place`` is filled in from the diagnostic), so a place's
trail is complete whichever way it is read. tests/test_layout.py checks that no module
but this one creates events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from .models import AuditEvent, Diagnostic, Place

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def audit(
    action: AuditEvent.Action,
    *,
    diagnostic: Diagnostic | None = None,
    place: Place | None = None,
    actor: User | AnonymousUser | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record ``action`` on ``diagnostic`` (and its place) or on ``place``, by ``actor``
    (None for the command line, a partner or the system). Call it inside the transaction
    that makes the change, so the change and its record are kept or lost together."""
    if place is not None:
        if diagnostic is not None and diagnostic.place_id != place.pk:
            raise ValueError("The place is not the diagnostic's place.")
        place_id = place.pk
    elif diagnostic is not None:
        place_id = diagnostic.place_id
    else:
        raise ValueError("An audit event needs a diagnostic or a place.")
    return AuditEvent.objects.create(
        action=action,
        diagnostic=diagnostic,
        place_id=place_id,
        # An anonymous user (a partner, by their link) is recorded as no actor.
        actor=None if isinstance(actor, AnonymousUser) else actor,
        detail=detail or {},
    )


def audit_trail(diagnostic: Diagnostic, *, limit: int) -> QuerySet[AuditEvent]:
    """The round's latest ``limit`` events, newest first, with who did each: one query."""
    return diagnostic.audit_events.select_related("actor").order_by("-created_at")[:limit]
