"""Partner pages, reached from an invitation link without an account.

The link's token is exchanged for a session on arrival, and the browser is redirected to
a URL without it, so the token never sits in history, logs or a Referer header.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.db import InterfaceError, OperationalError, connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from preconditions.models import Precondition

from ..access import PARTNER_SESSION_KEY, invitation_for_partner, partner_holds_invitation
from ..answer_replace import Replaced, stored_answer_replace
from ..answers import (
    RoundClosedError,
    answer_save,
    response_get_or_create,
    response_submit,
    responses_withdraw,
)
from ..forms import DONT_KNOW, AnswerForm, StepForm
from ..invitations import invitation_from_token
from ..models import Invitation, Rating, Response, System
from ..ratelimit import bad_token_limit_reached, bad_token_record

logger = logging.getLogger(__name__)

# The database went away (restarted, failed over, connection cut): nothing was stored,
# because each save is one transaction. Say so plainly and keep what the partner typed.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
NOT_SAVED = (
    "Sorry, your answer was not saved because of a problem on our side. "
    "Your text is still below: please try saving again in a minute."
)
NOT_SUBMITTED = (
    "Sorry, your answers were not submitted because of a problem on our side. "
    "They are still saved as a draft: please try submitting again in a minute."
)


@never_cache
def invitation_start(request: HttpRequest, token: str) -> HttpResponse:
    if bad_token_limit_reached(request):
        return render(request, "surveys/partner/too_many_attempts.html", status=429)
    invitation = invitation_from_token(token)
    if invitation is None:
        bad_token_record(request)
        return render(request, "surveys/partner/link_problem.html", status=404)
    if invitation.is_revoked:
        return render(request, "surveys/partner/link_problem.html", {"revoked": True}, status=410)
    held = request.session.get(PARTNER_SESSION_KEY, [])
    if invitation.public_id not in held:
        # A new session key on arrival: a session fixed by someone else gains nothing.
        request.session.cycle_key()
        request.session[PARTNER_SESSION_KEY] = [*held, invitation.public_id][-20:]
    if invitation.opened_at is None:
        Invitation.objects.filter(pk=invitation.pk).update(opened_at=timezone.now())
    return redirect("surveys:partner_landing", invitation.public_id)


def _partner_invitation(request: HttpRequest, public_id: str) -> Invitation:
    invitation = invitation_for_partner(request, public_id)
    if invitation.is_revoked:
        raise Http404("Revoked")
    return invitation


def _partner_context(request: HttpRequest, public_id: str):
    invitation = _partner_invitation(request, public_id)
    systems = list(invitation.systems.filter(diagnostics=invitation.diagnostic))
    preconditions = list(invitation.diagnostic.framework.preconditions.all())
    return invitation, systems, preconditions


def _save_context(
    request: HttpRequest, public_id: str, system_slug: str, code: str
) -> tuple[Invitation, System, Precondition]:
    """Only what a background save needs: the one system and pre-condition in the URL
    (404 unless they are this invitation's), not every step of the page around them."""
    invitation = _partner_invitation(request, public_id)
    system = invitation.systems.filter(diagnostics=invitation.diagnostic, slug=system_slug).first()
    precondition = Precondition.objects.filter(
        framework_id=invitation.diagnostic.framework_id, code=code
    ).first()
    if system is None or precondition is None:
        raise Http404("No such step in this invitation")
    return invitation, system, precondition


def _system(systems: list[System], slug: str) -> System:
    for system in systems:
        if system.slug == slug:
            return system
    raise Http404("No such system in this invitation")


@never_cache
def landing(request: HttpRequest, public_id: str) -> HttpResponse:
    invitation, systems, preconditions = _partner_context(request, public_id)
    responses = {r.system_id: r for r in Response.objects.filter(invitation=invitation)}
    answered_codes: dict[int, set[str]] = {}
    for system_id, code in (
        Rating.objects.filter(response__invitation=invitation)
        .answered()
        .values_list("response__system_id", "precondition__code")
    ):
        answered_codes.setdefault(system_id, set()).add(code)
    rows = []
    for system in systems:
        answered = answered_codes.get(system.pk, set())
        rows.append(
            {
                "system": system,
                "response": responses.get(system.pk),
                "answered": len(answered),
                # Carry on from the first pre-condition not yet answered.
                "next_code": next((p.code for p in preconditions if p.code not in answered), None),
            }
        )
    return render(
        request,
        "surveys/partner/landing.html",
        {
            "invitation": invitation,
            "diagnostic": invitation.diagnostic,
            "rows": rows,
            "total": len(preconditions),
            "first_code": preconditions[0].code,
        },
    )


def _step_neighbours(preconditions: list[Precondition], code: str):
    codes = [p.code for p in preconditions]
    if code not in codes:
        raise Http404("No such pre-condition")
    index = codes.index(code)
    return (
        preconditions[index],
        index,
        codes[index - 1] if index > 0 else None,
        codes[index + 1] if index + 1 < len(codes) else None,
    )


def _initial(rating: Rating | None) -> dict:
    if rating is None:
        return {"version": 0}
    answer = DONT_KNOW if rating.dont_know else (str(rating.score) if rating.score else "")
    return {
        "answer": answer,
        "evidence": rating.evidence,
        "indicators_seen": rating.indicators_seen,
        "version": rating.version,
    }


def _replace_stored_answer(
    data: QueryDict, public_id: str, system_slug: str, code: str
) -> Replaced | None:
    """The usual save in one statement (``stored_answer_replace``), before anything else
    is read; None when this save needs the full path: a first answer, a conflict, a
    retry, a closed round, bad input... The caller has checked the session."""
    form = AnswerForm(data)
    if not form.is_valid() or form.cleaned_data["version"] is None:
        return None
    try:
        return stored_answer_replace(
            public_id=public_id,
            system_slug=system_slug,
            code=code,
            answer=form.to_answer(),
            expected_version=form.cleaned_data["version"],
        )
    except DATABASE_UNAVAILABLE:
        # Outside a transaction nothing closes a connection the server dropped (atomic()
        # does, when its rollback fails): close it, so the next query opens a new one.
        connection.close()
        raise


def _after_step_saved(
    request: HttpRequest, public_id: str, system_slug: str, next_code: str | None
) -> HttpResponse:
    if "save_and_exit" in request.POST:
        messages.success(request, "Your answers are saved. Come back any time.")
        return redirect("surveys:partner_landing", public_id)
    if next_code:
        return redirect("surveys:partner_step", public_id, system_slug, next_code)
    return redirect("surveys:partner_review", public_id, system_slug)


@never_cache
def step(request: HttpRequest, public_id: str, system_slug: str, code: str) -> HttpResponse:
    if request.method == "POST" and partner_holds_invitation(request, public_id):
        try:
            replaced = _replace_stored_answer(request.POST, public_id, system_slug, code)
        except DATABASE_UNAVAILABLE:
            logger.exception("A partner's answer was not saved: the database is unavailable")
            return _step_page(request, public_id, system_slug, code, not_saved=True)
        if replaced is not None:
            return _after_step_saved(request, public_id, system_slug, replaced.next_code)
    return _step_page(request, public_id, system_slug, code)


def _step_page(
    request: HttpRequest, public_id: str, system_slug: str, code: str, *, not_saved: bool = False
) -> HttpResponse:
    """A step's page; on POST, the full path of a save (see ``answer_save``), or, with
    ``not_saved``, the page saying the save failed, keeping what was sent."""
    invitation, systems, preconditions = _partner_context(request, public_id)
    system = _system(systems, system_slug)
    precondition, index, previous_code, next_code = _step_neighbours(preconditions, code)
    diagnostic = invitation.diagnostic
    conflict = None
    rating = None
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and diagnostic.is_open:
        form = StepForm(request.POST, precondition=precondition, system=system)
        if not_saved:
            form.is_valid()
            form.add_error(None, NOT_SAVED)
            status = 503
        elif form.is_valid():
            try:
                result = answer_save(
                    invitation=invitation,
                    system=system,
                    precondition=precondition,
                    answer=form.to_answer(len(precondition.indicators)),
                    expected_version=form.cleaned_data["version"],
                )
            except RoundClosedError:
                return redirect("surveys:partner_landing", invitation.public_id)
            except DATABASE_UNAVAILABLE:
                logger.exception("A partner's answer was not saved: the database is unavailable")
                # The form is still bound to what they sent, so the page keeps their text.
                form.add_error(None, NOT_SAVED)
                status = 503
            else:
                if not result.conflict:
                    return _after_step_saved(request, invitation.public_id, system.slug, next_code)
                conflict = result.rating
                status = 409
                # Keep the user's text in the form; its version now matches the stored
                # one, so saving again deliberately replaces the other answer.
                data = request.POST.copy()
                data["version"] = str(result.rating.version)
                form = StepForm(data, precondition=precondition, system=system)
                form.is_valid()
    else:
        rating = Rating.objects.filter(
            response__invitation=invitation, response__system=system, precondition=precondition
        ).first()
        form = StepForm(initial=_initial(rating), precondition=precondition, system=system)
    return render(
        request,
        "surveys/partner/step.html",
        {
            "invitation": invitation,
            "diagnostic": diagnostic,
            "system": system,
            "precondition": precondition,
            "form": form,
            "rating": rating,
            "conflict": conflict,
            "step_number": index + 1,
            "total": len(preconditions),
            "previous_code": previous_code,
            "next_code": next_code,
            "read_only": not diagnostic.is_open,
            "autosave_url": reverse(
                "surveys:partner_autosave", args=[invitation.public_id, system.slug, code]
            ),
        },
        status=status,
    )


def _saved_json(version: int, updated_at) -> JsonResponse:
    return JsonResponse(
        {
            "status": "saved",
            "version": version,
            "saved_at": timezone.localtime(updated_at).strftime("%H:%M:%S"),
        }
    )


@require_POST
def autosave(request: HttpRequest, public_id: str, system_slug: str, code: str) -> JsonResponse:
    """Save one step in the background (JavaScript). Answers in JSON: saved, conflict,
    invalid, closed or error (503: the database is unavailable, nothing was stored). The
    page keeps the text either way."""
    if not partner_holds_invitation(request, public_id):
        raise Http404("No such invitation")
    try:
        replaced = _replace_stored_answer(request.POST, public_id, system_slug, code)
    except DATABASE_UNAVAILABLE:
        logger.exception("A partner's autosave was not stored: the database is unavailable")
        return JsonResponse({"status": "error", "message": NOT_SAVED}, status=503)
    if replaced is not None:
        return _saved_json(replaced.version, replaced.updated_at)

    invitation, system, precondition = _save_context(request, public_id, system_slug, code)
    form = StepForm(request.POST, precondition=precondition, system=system)
    if not form.is_valid():
        return JsonResponse(
            {
                "status": "invalid",
                "errors": {k: [str(e) for e in v] for k, v in form.errors.items()},
            },
            status=400,
        )
    try:
        result = answer_save(
            invitation=invitation,
            system=system,
            precondition=precondition,
            answer=form.to_answer(len(precondition.indicators)),
            expected_version=form.cleaned_data["version"],
        )
    except RoundClosedError:
        return JsonResponse({"status": "closed"}, status=403)
    except DATABASE_UNAVAILABLE:
        logger.exception("A partner's autosave was not stored: the database is unavailable")
        return JsonResponse({"status": "error", "message": NOT_SAVED}, status=503)
    if result.conflict:
        return JsonResponse(
            {
                "status": "conflict",
                "version": result.rating.version,
                "stored": {
                    "score": result.rating.score,
                    "dont_know": result.rating.dont_know,
                    "evidence": result.rating.evidence,
                },
            },
            status=409,
        )
    return _saved_json(result.rating.version, result.rating.updated_at)


@never_cache
def review(request: HttpRequest, public_id: str, system_slug: str) -> HttpResponse:
    invitation, systems, preconditions = _partner_context(request, public_id)
    system = _system(systems, system_slug)
    diagnostic = invitation.diagnostic
    response = Response.objects.filter(invitation=invitation, system=system).first()
    missing: list[str] = []
    status = 200
    if request.method == "POST" and diagnostic.is_open:
        if "withdraw" in request.POST:
            return redirect("surveys:partner_landing", invitation.public_id)
        try:
            response = response or response_get_or_create(invitation=invitation, system=system)
            response.diagnostic = diagnostic
            missing = response_submit(response=response, preconditions=preconditions)
        except DATABASE_UNAVAILABLE:
            logger.exception("A partner's submission failed: the database is unavailable")
            messages.error(request, NOT_SUBMITTED)
            status = 503
        else:
            status = 400 if missing else 200
        if status == 200:
            messages.success(
                request,
                f"Thank you: your assessment of {system.name} is submitted. "
                "You can change it until the round closes.",
            )
            return redirect("surveys:partner_landing", invitation.public_id)
    ratings = {r.precondition_id: r for r in response.ratings.all()} if response is not None else {}
    rows = [{"precondition": p, "rating": ratings.get(p.pk)} for p in preconditions]
    return render(
        request,
        "surveys/partner/review.html",
        {
            "invitation": invitation,
            "diagnostic": diagnostic,
            "system": system,
            "response": response,
            "rows": rows,
            "missing": [p for p in preconditions if p.code in missing],
            "read_only": not diagnostic.is_open,
        },
        status=status,
    )


@require_POST
def withdraw(request: HttpRequest, public_id: str) -> HttpResponse:
    invitation, _systems, _preconditions = _partner_context(request, public_id)
    if request.POST.get("confirm") != "yes":
        return render(
            request,
            "surveys/partner/withdraw.html",
            {"invitation": invitation, "diagnostic": invitation.diagnostic},
        )
    try:
        responses_withdraw(invitation=invitation)
    except RoundClosedError:
        messages.error(request, "The round has closed, so answers can no longer be withdrawn.")
        return redirect("surveys:partner_landing", invitation.public_id)
    messages.success(request, "Your answers have been deleted.")
    return redirect("surveys:partner_landing", invitation.public_id)
