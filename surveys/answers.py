"""A partner's answers: saving a step (``partner_answer_save``), submitting, withdrawing.

Saves are idempotent and safe under concurrency: the response row is created with
get_or_create under a unique constraint, and each rating is locked (SELECT ... FOR UPDATE)
while its version is compared, so a stale save from another tab is refused rather than
silently overwriting a newer answer.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from preconditions.models import Precondition

from .answer_replace import stored_answer_replace
from .audit import audit
from .models import AuditEvent, Invitation, Rating, Response, System


class RoundClosedError(Exception):
    """The round is not open, so answers cannot change."""


@dataclass(frozen=True)
class PartnerLink:
    """What a partner's browser holds after following an invitation link: the
    invitation's public id and the generation of the link it followed. Renewing the link
    makes the generation old, revoking it the invitation: either way nothing is saved."""

    public_id: str
    generation: int


@dataclass(frozen=True)
class Answer:
    score: int | None
    dont_know: bool
    # None: the text sent was refused (too long), so the stored evidence is kept.
    evidence: str | None
    indicators_seen: list[int]


@dataclass(frozen=True)
class Submission:
    """What a partner sent for one step, validated (``AnswerForm.submission``)."""

    answer: Answer | None  # None: nothing in it can be stored (see errors)
    expected_version: int | None  # the version the page showed; None: not sent
    errors: dict[str, list[str]] = field(default_factory=dict)


class SaveStatus(enum.StrEnum):
    SAVED = "saved"
    CONFLICT = "conflict"  # the stored answer is newer than the one the page showed
    INVALID = "invalid"  # see errors; with a version, the rating was stored but not the text
    CLOSED = "closed"  # the round is not open
    NOT_FOUND = "not_found"  # no such step for this link (or the link is no longer valid)
    # The database went away: nothing was stored. Raised as an exception by the save and
    # answered in one place, the partner views' handler (surveys/views/partner.py).
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class SaveOutcome:
    status: SaveStatus
    version: int | None = None  # the stored version now (for a conflict, the newer one)
    updated_at: datetime | None = None
    next_code: str | None = None  # the step after this one (None after the last)
    stored: Rating | None = None  # for a conflict: the answer saved elsewhere
    errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class SaveResult:
    saved: bool
    rating: Rating
    conflict: bool = False  # True: the stored answer is newer than the one the user edited


INDICATOR_NOT_LISTED = "Select only indicators listed for this pre-condition"


def partner_answer_save(
    *,
    link: PartnerLink,
    system_slug: str,
    code: str,
    submission: Submission,
    fast_path: bool = True,
) -> SaveOutcome:
    """A partner's save of one step, from the step's button or autosave: the one place
    that decides what is stored and what the partner is told.

    First the usual case as one statement (``answer_replace.stored_answer_replace``:
    an answer already stored, the page showing its version); when that writes nothing,
    the full path below decides (first answers, conflicts, retries, refusals). Both
    apply the same rules, which ``tests/test_save_paths.py`` proves over random states;
    ``fast_path=False`` is for that test. A database error is raised, never answered
    here (see ``SaveStatus.UNAVAILABLE``): nothing was stored, because each path is one
    statement or one transaction.
    """
    answer = submission.answer
    if (
        fast_path
        and answer is not None
        and answer.evidence is not None
        and not submission.errors
        and submission.expected_version is not None
    ):
        replaced = stored_answer_replace(
            link=link,
            system_slug=system_slug,
            code=code,
            answer=answer,
            expected_version=submission.expected_version,
        )
        if replaced is not None:
            return SaveOutcome(
                SaveStatus.SAVED,
                version=replaced.version,
                updated_at=replaced.updated_at,
                next_code=replaced.next_code,
            )
    return _full_path(link=link, system_slug=system_slug, code=code, submission=submission)


def _full_path(
    *, link: PartnerLink, system_slug: str, code: str, submission: Submission
) -> SaveOutcome:
    invitation = (
        Invitation.objects.select_related("diagnostic", "organisation")
        .filter(
            public_id=link.public_id,
            token_generation=link.generation,
            token_hash__isnull=False,
            revoked_at__isnull=True,
        )
        .first()
    )
    if invitation is None:
        return SaveOutcome(SaveStatus.NOT_FOUND)
    diagnostic = invitation.diagnostic
    system = invitation.systems.filter(diagnostics=diagnostic, slug=system_slug).first()
    steps = list(
        Precondition.objects.filter(framework_id=diagnostic.framework_id)
        .order_by("order")
        .only("id", "code", "order", "indicators")
    )
    codes = [step.code for step in steps]
    if system is None or code not in codes:
        return SaveOutcome(SaveStatus.NOT_FOUND)
    index = codes.index(code)
    precondition = steps[index]
    next_code = codes[index + 1] if index + 1 < len(codes) else None
    if not diagnostic.is_open:
        return SaveOutcome(SaveStatus.CLOSED, next_code=next_code)
    errors = dict(submission.errors)
    answer = submission.answer
    if answer is not None and any(
        i >= len(precondition.indicators) for i in answer.indicators_seen
    ):
        errors["indicators_seen"] = [INDICATOR_NOT_LISTED]
        answer = None
    if answer is None:
        return SaveOutcome(SaveStatus.INVALID, next_code=next_code, errors=errors)
    invitation.diagnostic = diagnostic
    result = answer_save(
        invitation=invitation,
        system=system,
        precondition=precondition,
        answer=answer,
        expected_version=submission.expected_version,
    )
    rating = result.rating
    if result.conflict:
        return SaveOutcome(
            SaveStatus.CONFLICT,
            version=rating.version,
            updated_at=rating.updated_at,
            next_code=next_code,
            stored=rating,
            errors=errors,
        )
    return SaveOutcome(
        SaveStatus.INVALID if errors else SaveStatus.SAVED,
        version=rating.version,
        updated_at=rating.updated_at,
        next_code=next_code,
        errors=errors,
    )


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
    """The full path's write: the partner's response to ``system`` (created on first
    use) and the rating, in one transaction, so that a failure part-way (the database
    going away) stores neither. Reads ``invitation.diagnostic`` and
    ``invitation.organisation``: select them first.

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
            # No savepoint inside this transaction: nothing here catches an error and
            # carries on, and a savepoint would cost two more round trips.
            rating, created = Rating.objects.select_for_update().get_or_create(
                response=response, precondition=precondition, defaults={"version": 0}
            )
            return _rating_store(rating, answer, expected_version, created=created)
        return _rating_store(rating, answer, expected_version, created=False)


ANSWER_FIELDS = ["score", "dont_know", "evidence", "indicators_seen", "version", "updated_at"]


def _rating_store(
    rating: Rating, answer: Answer, expected_version: int | None, *, created: bool
) -> SaveResult:
    """Write ``answer`` into ``rating``, which the caller has locked in its transaction."""
    evidence = rating.evidence if answer.evidence is None else answer.evidence
    unchanged = (
        rating.score == answer.score
        and rating.dont_know == answer.dont_know
        and rating.evidence == evidence
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
    rating.evidence = evidence
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
        audit(
            AuditEvent.Action.RESPONSES_WITHDRAWN,
            diagnostic=invitation.diagnostic,
            detail={"responses": count},
        )
    return count
