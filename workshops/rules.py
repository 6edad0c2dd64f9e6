"""What may happen in a workshop: starting one, joining it, pacing it, answering,
moderating comments and ending it (docs/workshops.md). Plain functions; the views only
adapt them. What the room *sees* is ``workshops/room.py``.

Answers are the round's own: each participant has one ``Response`` (source "workshop",
a draft while the workshop runs) and one ``Rating`` per pre-condition answered, so the
reports count and suppress them like any other once the workshop ends and submits them.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from preconditions.models import Precondition
from surveys.audit import audit
from surveys.models import (
    AuditEvent,
    Diagnostic,
    Organisation,
    Rating,
    Response,
    Sector,
    System,
)

from .models import Comment, Participant, Workshop

# No 0/O, 1/I: a code read off a projector across a room is typed without doubt.
# 32 symbols, 6 of them: 2^30 (about a billion) codes, against at most
# WORKSHOP_JOIN_MISSES_PER_MINUTE guesses a minute from one address.
JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6
COMMENT_MAX_LENGTH = 280


class WorkshopError(Exception):
    """A request the workshop's state does not allow; the message says why, for people."""


# --- join codes -------------------------------------------------------------------------


def join_code_new() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def join_code_normalise(text: str) -> str:
    """What someone typed, as stored: capitals, no spaces or dashes (a code shown as
    "K7P 3QX" may be typed "k7p-3qx")."""
    return "".join(ch for ch in text.upper() if ch not in " -\t")


def join_code_usable(workshop: Workshop, *, now: datetime | None = None) -> bool:
    """A code works until its workshop ends or expires, whichever comes first."""
    now = now or timezone.now()
    return not workshop.is_ended and workshop.expires_at > now


def workshop_for_code(code: str, *, now: datetime | None = None) -> Workshop | None:
    """The workshop a typed code opens, or None (unknown, ended or expired: the same
    answer, so a guesser learns nothing about which codes existed)."""
    code = join_code_normalise(code)
    if len(code) != JOIN_CODE_LENGTH or any(ch not in JOIN_CODE_ALPHABET for ch in code):
        return None
    workshop = (
        Workshop.objects.select_related("diagnostic", "system").filter(join_code=code).first()
    )
    if workshop is None or not join_code_usable(workshop, now=now):
        return None
    return workshop


# --- the facilitator ----------------------------------------------------------------------


def workshop_start(
    *, diagnostic: Diagnostic, system: System, actor, title: str = "", now: datetime | None = None
) -> Workshop:
    """A new workshop for an open round and one of its systems, waiting for people to
    join. Its code is fresh (a collision with any workshop's code, ended or not, draws
    again: an old code never opens a new workshop)."""
    if not diagnostic.is_open:
        raise WorkshopError("Workshops can only be run while the round is open.")
    if not diagnostic.systems.filter(pk=system.pk).exists():
        raise WorkshopError("Choose a system in this round.")
    now = now or timezone.now()
    expires_at = now + timedelta(hours=settings.WORKSHOP_CODE_HOURS)
    for _attempt in range(10):
        try:
            with transaction.atomic():
                workshop = Workshop.objects.create(
                    diagnostic=diagnostic,
                    system=system,
                    title=title.strip(),
                    join_code=join_code_new(),
                    created_by=actor,
                    created_at=now,
                    expires_at=expires_at,
                )
                audit(
                    AuditEvent.Action.WORKSHOP_STARTED,
                    diagnostic=diagnostic,
                    actor=actor,
                    detail={"workshop": workshop.public_id, "system": system.slug},
                )
            return workshop
        except IntegrityError:
            continue
    raise WorkshopError("Could not find a free join code: try again.")  # pragma: no cover


def preconditions_of(workshop: Workshop) -> list[Precondition]:
    return list(
        Precondition.objects.filter(framework_id=workshop.diagnostic.framework_id).order_by("order")
    )


class Move(enum.StrEnum):
    NEXT = "next"
    PREVIOUS = "previous"


def workshop_move(*, workshop: Workshop, move: Move) -> Workshop:
    """Show the next (or previous) pre-condition; the first "next" starts the workshop.
    Phones may then answer only the pre-condition shown. At either end it stays put."""
    with transaction.atomic():
        locked = Workshop.objects.select_for_update().get(pk=workshop.pk)
        if locked.is_ended:
            raise WorkshopError("This workshop has ended.")
        codes = preconditions_of(locked)
        if not codes:  # pragma: no cover - every framework has pre-conditions
            raise WorkshopError("This round's framework has no pre-conditions.")
        ids = [p.pk for p in codes]
        if locked.current_precondition_id not in ids:
            index = 0
        else:
            index = ids.index(locked.current_precondition_id)
            index += 1 if move == Move.NEXT else -1
            index = max(0, min(index, len(ids) - 1))
        locked.current_precondition = codes[index]
        locked.state = Workshop.State.ACTIVE
        locked.save(update_fields=["current_precondition", "state"])
    return locked


def results_hold(*, workshop: Workshop, held: bool) -> None:
    """Hold the spread back (the room sees only how many have answered) or reveal it
    (still only once at least k people have scored: ``workshops.room``)."""
    Workshop.objects.filter(pk=workshop.pk).update(results_held=held)
    workshop.results_held = held


def comment_moderate(*, workshop: Workshop, comment_id: int, approve: bool, actor) -> bool:
    """Approve a comment for the room, or take it off the screen again. False when the
    comment is not this workshop's."""
    updated = Comment.objects.filter(pk=comment_id, workshop=workshop).update(
        approved_at=timezone.now() if approve else None,
        approved_by=actor if approve else None,
    )
    return bool(updated)


def workshop_end(*, workshop: Workshop, actor, now: datetime | None = None) -> int:
    """End the workshop: its code stops working, phones can no longer answer, and every
    participant who answered at least one pre-condition has their response submitted
    into the round (source "workshop"). Responses with no answer are removed. Returns
    how many were submitted; ending twice changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Workshop.objects.select_for_update().get(pk=workshop.pk)
        if locked.is_ended:
            return locked.submitted_count
        responses = Response.objects.filter(workshop_participant__workshop=locked)
        answered = responses.filter(ratings__in=Rating.objects.answered()).distinct()
        answered_ids = list(answered.values_list("pk", flat=True))
        Response.objects.filter(pk__in=answered_ids).update(
            status=Response.Status.SUBMITTED, submitted_at=now, updated_at=now
        )
        responses.exclude(pk__in=answered_ids).delete()
        locked.state = Workshop.State.ENDED
        locked.ended_at = now
        locked.submitted_count = len(answered_ids)
        locked.save(update_fields=["state", "ended_at", "submitted_count"])
        audit(
            AuditEvent.Action.WORKSHOP_ENDED,
            diagnostic=workshop.diagnostic,
            actor=actor,
            detail={"workshop": locked.public_id, "submitted": len(answered_ids)},
        )
    workshop.state, workshop.ended_at = locked.state, locked.ended_at
    workshop.submitted_count = locked.submitted_count
    return locked.submitted_count


def workshops_end_on_close(*, diagnostic: Diagnostic, actor) -> None:
    """The round is closing: end its workshops still running (their answers were given
    while it was open), before the final release is made."""
    for workshop in Workshop.objects.filter(diagnostic=diagnostic).exclude(
        state=Workshop.State.ENDED
    ):
        workshop_end(workshop=workshop, actor=actor)


# --- participants -------------------------------------------------------------------------


def workshop_organisation(*, diagnostic: Diagnostic, sector: str) -> Organisation:
    """Every response names an organisation; a workshop participant names none, so their
    response is filed under one organisation per sector of the place, "Workshop
    participants (…)", which the progress page shows as such."""
    name = f"Workshop participants ({Sector(sector).label})"
    organisation = Organisation.objects.filter(place_id=diagnostic.place_id, name=name).first()
    if organisation is not None:
        return organisation
    try:
        with transaction.atomic():
            return Organisation.objects.create(
                place_id=diagnostic.place_id, name=name, sector=sector
            )
    except IntegrityError:  # created by another phone meanwhile
        return Organisation.objects.get(place_id=diagnostic.place_id, name=name)


def participant_join(*, workshop: Workshop, sector: str, role: str) -> Participant:
    """A phone joins: its participant and its draft response in the round. ``role`` ""
    is "prefer not to say"."""
    if not join_code_usable(workshop):
        raise WorkshopError("This workshop has ended.")
    organisation = workshop_organisation(diagnostic=workshop.diagnostic, sector=sector)
    with transaction.atomic():
        response = Response.objects.create(
            diagnostic_id=workshop.diagnostic_id,
            system_id=workshop.system_id,
            organisation=organisation,
            sector=sector,
            role=role,
            source=Response.Source.WORKSHOP,
        )
        return Participant.objects.create(
            workshop=workshop, sector=sector, role=role, response=response
        )


class AnswerStatus(enum.StrEnum):
    SAVED = "saved"
    MOVED_ON = "moved_on"  # the facilitator shows another pre-condition now
    ENDED = "ended"
    CLOSED = "closed"  # the round is no longer open


@dataclass(frozen=True)
class AnswerOutcome:
    status: AnswerStatus
    current_code: str | None  # what the facilitator shows now


def answer_record(
    *,
    participant: Participant,
    code: str,
    score: int | None,
    dont_know: bool,
    comment: str,
) -> AnswerOutcome:
    """Store this phone's answer to the pre-condition ``code``, only while the
    facilitator shows it: one answer per phone per pre-condition, changed in place. Read
    ``participant.workshop`` (with its current pre-condition and diagnostic) in the same
    query as the participant, so the check sees the facilitator's latest move."""
    workshop = participant.workshop
    current = workshop.current_precondition
    current_code = current.code if current is not None else None
    if workshop.is_ended:
        return AnswerOutcome(AnswerStatus.ENDED, None)
    if not workshop.diagnostic.is_open:
        return AnswerOutcome(AnswerStatus.CLOSED, current_code)
    if current is None or current.code != code or participant.response_id is None:
        return AnswerOutcome(AnswerStatus.MOVED_ON, current_code)
    comment = comment.strip()[:COMMENT_MAX_LENGTH]
    with transaction.atomic():
        rating, created = Rating.objects.select_for_update().get_or_create(
            response_id=participant.response_id, precondition=current, defaults={"version": 0}
        )
        changed_text = rating.evidence != comment
        if created or changed_text or (rating.score, rating.dont_know) != (score, dont_know):
            rating.score, rating.dont_know, rating.evidence = score, dont_know, comment
            rating.version += 1
            rating.updated_at = timezone.now()
            rating.save(update_fields=["score", "dont_know", "evidence", "version", "updated_at"])
        if changed_text:
            if comment:
                # A new or changed text waits for (new) approval.
                Comment.objects.update_or_create(
                    rating=rating,
                    defaults={"workshop": workshop, "approved_at": None, "approved_by": None},
                )
            else:
                Comment.objects.filter(rating=rating).delete()
    return AnswerOutcome(AnswerStatus.SAVED, current_code)


def own_answer(participant: Participant) -> Rating | None:
    """This phone's answer to the pre-condition shown now (to show it back to them)."""
    current_id = participant.workshop.current_precondition_id
    if current_id is None or participant.response_id is None:
        return None
    return Rating.objects.filter(
        response_id=participant.response_id, precondition_id=current_id
    ).first()


def workshops_of(diagnostic: Diagnostic) -> list[Workshop]:
    """The round's workshops, newest first, with their systems: one query."""
    return list(
        Workshop.objects.filter(diagnostic=diagnostic)
        .select_related("system")
        .order_by("-created_at")
    )


def participants_joined(workshop: Workshop) -> int:
    return Participant.objects.filter(workshop=workshop).count()


def participant_of(workshop: Workshop, participant_id: int | None) -> bool:
    """Whether the phone's session still holds a participant of this workshop."""
    return (
        participant_id is not None
        and Participant.objects.filter(pk=participant_id, workshop=workshop).exists()
    )
