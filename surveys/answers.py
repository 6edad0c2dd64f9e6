"""A partner's answers: saving a rating safely, submitting, and what is left to do.

Saves are idempotent and safe under concurrency: the response row is created with
get_or_create under a unique constraint, and each rating is locked (SELECT ... FOR UPDATE)
while its version is compared, so a stale save from another tab is refused rather than
silently overwriting a newer answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from preconditions.models import Precondition

from .models import AuditEvent, Invitation, Rating, Response, System


class RoundClosedError(Exception):
    """The round is not open, so answers cannot change."""


@dataclass(frozen=True)
class SaveResult:
    saved: bool
    rating: Rating
    conflict: bool = False  # True: the stored answer is newer than the one the user edited


@dataclass(frozen=True)
class Answer:
    score: int | None
    dont_know: bool
    evidence: str
    indicators_seen: list[int]


def response_get_or_create(*, invitation: Invitation, system: System) -> Response:
    """The response of this invitation for this system, created on first use."""
    defaults = {
        "diagnostic_id": invitation.diagnostic_id,
        "organisation_id": invitation.organisation_id,
        "sector": invitation.organisation.sector,
        "role": invitation.role,
    }
    try:
        with transaction.atomic():
            response, _ = Response.objects.get_or_create(
                invitation=invitation, system=system, defaults=defaults
            )
    except IntegrityError:
        # Another request created it between our SELECT and INSERT: use theirs.
        response = Response.objects.get(invitation=invitation, system=system)
    return response


def answer_save(
    *,
    invitation: Invitation,
    system: System,
    precondition: Precondition,
    answer: Answer,
    expected_version: int | None,
) -> SaveResult:
    """A partner's save of one step: their response to ``system`` (created on first use)
    and the rating, in one transaction, so that a failure part-way (the database going
    away) stores neither. Reads ``invitation.diagnostic``: select it first.

    Usually the rating exists already (autosave runs every few seconds while someone
    types), so it is found and locked with one query; the first save of a step creates
    what is missing.
    """
    if not invitation.diagnostic.is_open:
        raise RoundClosedError
    with transaction.atomic():
        try:
            rating = (
                Rating.objects.select_for_update(of=("self",))
                .select_related("response")
                .order_by()
                .get(
                    response__invitation=invitation,
                    response__system=system,
                    precondition=precondition,
                )
            )
        except Rating.DoesNotExist:
            response = Response.objects.filter(invitation=invitation, system=system).first()
            if response is None:
                response = response_get_or_create(invitation=invitation, system=system)
            response.diagnostic = invitation.diagnostic
            return rating_save(
                response=response,
                precondition=precondition,
                answer=answer,
                expected_version=expected_version,
            )
        return _rating_store(rating, answer, expected_version, created=False)


def rating_save(
    *,
    response: Response,
    precondition: Precondition,
    answer: Answer,
    expected_version: int | None,
) -> SaveResult:
    """Store one answer. `expected_version` is the version the user's page was showing
    (0 when the page showed no stored answer); when the stored rating has moved on since,
    nothing is written and the caller shows both versions."""
    if not response.diagnostic.is_open:
        raise RoundClosedError
    # No savepoint inside answer_save's transaction: nothing here catches an error and
    # carries on, and a savepoint would cost two more round trips on every save.
    with transaction.atomic(savepoint=False):
        rating, created = Rating.objects.select_for_update().get_or_create(
            response=response,
            precondition=precondition,
            defaults={"version": 0},
        )
        return _rating_store(rating, answer, expected_version, created=created)


ANSWER_FIELDS = ["score", "dont_know", "evidence", "indicators_seen", "version", "updated_at"]


def _rating_store(
    rating: Rating, answer: Answer, expected_version: int | None, *, created: bool
) -> SaveResult:
    """Write ``answer`` into ``rating``, which the caller has locked in its transaction."""
    unchanged = (
        rating.score == answer.score
        and rating.dont_know == answer.dont_know
        and rating.evidence == answer.evidence
        and rating.indicators_seen == answer.indicators_seen
    )
    if unchanged and not created:
        # A retried request, or a save with nothing new: same answer, no new version.
        return SaveResult(saved=True, rating=rating)
    if expected_version is not None and rating.version != expected_version:
        return SaveResult(saved=False, rating=rating, conflict=True)
    now = timezone.now()
    rating.score = answer.score
    rating.dont_know = answer.dont_know
    rating.evidence = answer.evidence
    rating.indicators_seen = answer.indicators_seen
    rating.version += 1
    rating.updated_at = now
    rating.save(update_fields=ANSWER_FIELDS)
    return SaveResult(saved=True, rating=rating)


def unanswered_codes(response: Response, preconditions: list[Precondition]) -> list[str]:
    answered = {
        code
        for code, score, dont_know in response.ratings.values_list(
            "precondition__code", "score", "dont_know"
        )
        if score is not None or dont_know
    }
    return [p.code for p in preconditions if p.code not in answered]


def response_submit(*, response: Response, preconditions: list[Precondition]) -> list[str]:
    """Submit the response if every pre-condition is answered. Returns the codes still
    unanswered (empty on success). Submitting twice is harmless: the first time counts."""
    if not response.diagnostic.is_open:
        raise RoundClosedError
    with transaction.atomic():
        locked = Response.objects.select_for_update().get(pk=response.pk)
        missing = unanswered_codes(locked, preconditions)
        if missing:
            return missing
        if locked.status != Response.Status.SUBMITTED:
            locked.status = Response.Status.SUBMITTED
            locked.submitted_at = locked.updated_at = timezone.now()
            locked.save(update_fields=["status", "submitted_at", "updated_at"])
        response.status, response.submitted_at = locked.status, locked.submitted_at
    return []


def responses_withdraw(*, invitation: Invitation) -> int:
    """Delete all of this invitation's responses (the partner's own choice), leaving an
    audit record without content. Only while the round is open."""
    if not invitation.diagnostic.is_open:
        raise RoundClosedError
    with transaction.atomic():
        count = invitation.responses.count()
        invitation.responses.all().delete()
        AuditEvent.objects.create(
            diagnostic=invitation.diagnostic,
            action=AuditEvent.Action.RESPONSES_WITHDRAWN,
            detail={"responses": count},
        )
    return count
