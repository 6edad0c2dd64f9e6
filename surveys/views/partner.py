"""Partner pages, reached from an invitation link without an account.

The link's token is exchanged for a session on arrival, and the browser is redirected to
a URL without it, so the token never sits in history, logs or a Referer header.

A step's save (its buttons, and autosave in the background) is decided by one service,
``surveys.answers.partner_answer_save``; the views here only turn its outcome into a page
or JSON. When the database is unavailable every partner view answers 503, from one
handler (``_answers_503_when_the_database_is_down``), keeping what the partner sent.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.db import InterfaceError, OperationalError, connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from preconditions.models import Precondition

from ..access import invitation_for_partner, partner_link, partner_link_hold
from ..answers import (
    RoundClosedError,
    SaveOutcome,
    SaveStatus,
    partner_answer_save,
    response_get_or_create,
    response_submit,
    responses_withdraw,
)
from ..forms import DONT_KNOW, AnswerForm, StepForm, answer_labels
from ..invitations import invitation_from_token
from ..models import Invitation, Rating, System
from ..partner_reading import (
    invitation_language_remember,
    invitation_opened,
    partner_progress,
    partner_response,
    partner_scope,
    ratings_by_precondition,
    stored_rating,
)
from ..ratelimit import bad_token_limit_reached, bad_token_record

logger = logging.getLogger(__name__)

# The database went away (restarted, failed over, connection cut): nothing was stored,
# because each save is one statement or one transaction. Say so plainly and keep what
# the partner typed.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
NOT_SAVED = gettext_lazy(
    "Sorry, your answer was not saved because of a problem on our side. "
    "Your text is still below: please try saving again in a minute."
)
NOT_SUBMITTED = gettext_lazy(
    "Sorry, your answers were not submitted because of a problem on our side. "
    "They are still saved as a draft: please try submitting again in a minute."
)
NOT_WITHDRAWN = gettext_lazy(
    "Sorry, your answers were not deleted because of a problem on our side. "
    "Please try again in a minute."
)
NO_ANSWER = gettext_lazy("Choose an answer, or “I don't know” if you cannot say")
FROM_REVIEW = "review"  # ?from=review: "Change" on the review page, which it returns to


def _answers_503_when_the_database_is_down(
    unavailable: Callable[..., HttpResponse],
) -> Callable:
    """The one place partner views catch the database being unavailable, wherever it
    shows (reading the session, the invitation, the save): log it and answer 503 with
    ``unavailable(request, **kwargs)``, which must not touch the database."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                return view(request, *args, **kwargs)
            except DATABASE_UNAVAILABLE:
                logger.exception("A partner's request failed: the database is unavailable")
                if not connection.in_atomic_block:
                    # Outside a transaction nothing closes a connection the server
                    # dropped (atomic() does, when its rollback fails).
                    connection.close()
                return unavailable(request, **kwargs)

        return wrapper

    return decorator


def autosave_text() -> dict[str, str]:
    """What the autosave script says, in the page's language: the script reads it from
    the page (``json_script``), filling in the ``%(name)s`` places."""
    return {
        "retrying": gettext(
            "Not saved yet: %(reason)s. Your text is still here, and we will try again in "
            "%(seconds)s seconds."
        ),
        "offline": gettext("there is no internet connection"),
        "connection_failed": gettext("the connection failed"),
        "not_answering": gettext("the service is not answering"),
        "saved": gettext("Saved at %(time)s."),
        "conflict": gettext(
            "This answer was changed in another window or device. "
            "Press 'Save and continue' to compare the two versions."
        ),
        "closed": gettext("The round has closed, so this answer could not be saved."),
        "not_found": gettext(
            "This link no longer works, so this answer could not be saved. Copy your text "
            "somewhere safe and ask the person who invited you for the new link."
        ),
        "invalid": gettext("Not saved: %(problem)s"),
        "invalid_rating_kept": gettext("Not saved: %(problem)s Your rating is saved."),
        "check_your_answer": gettext("Please check your answer."),
    }


def _unavailable_page(request: HttpRequest, **context) -> HttpResponse:
    """A 503 page drawn without the database: ``user`` is given, because reading it would
    read the session again."""
    return render(
        request,
        "surveys/partner/unavailable.html",
        {"user": AnonymousUser(), **context},
        status=503,
    )


def _page_unavailable(request: HttpRequest, **_kwargs) -> HttpResponse:
    return _unavailable_page(request)


def _step_unavailable(request: HttpRequest, **kwargs) -> HttpResponse:
    """A step's save that failed: the partner's answer, text and ticks, back in a form
    that saves them again (and autosaves them when the database is back)."""
    if request.method != "POST":
        return _unavailable_page(request)
    data = request.POST
    return _unavailable_page(
        request,
        kept={
            "answer": data.get("answer", ""),
            "evidence": data.get("evidence", ""),
            "indicators_seen": data.getlist("indicators_seen"),
            "version": data.get("version", ""),
            "button": "save_and_exit" if "save_and_exit" in data else "save_and_continue",
        },
        answers=answer_labels(),
        autosave_url=reverse(
            "surveys:partner_autosave",
            args=[kwargs["public_id"], kwargs["system_slug"], kwargs["code"]],
        ),
        message=NOT_SAVED,
        autosave_text=autosave_text(),
    )


def _autosave_unavailable(request: HttpRequest, **_kwargs) -> HttpResponse:
    return JsonResponse({"status": "error", "message": NOT_SAVED}, status=503)


def _review_unavailable(request: HttpRequest, **_kwargs) -> HttpResponse:
    if request.method != "POST":
        return _unavailable_page(request)
    return _unavailable_page(request, message=NOT_SUBMITTED, retry=gettext("Submit again"))


def _withdraw_unavailable(request: HttpRequest, **_kwargs) -> HttpResponse:
    return _unavailable_page(
        request, message=NOT_WITHDRAWN, retry=gettext("Delete my answers again"), confirm="yes"
    )


@never_cache
@_answers_503_when_the_database_is_down(_page_unavailable)
def invitation_start(request: HttpRequest, token: str) -> HttpResponse:
    if bad_token_limit_reached(request):
        return render(request, "surveys/partner/too_many_attempts.html", status=429)
    invitation = invitation_from_token(token)
    if invitation is None:
        bad_token_record(request)
        return render(request, "surveys/partner/link_problem.html", status=404)
    if invitation.is_revoked:
        return render(request, "surveys/partner/link_problem.html", {"revoked": True}, status=410)
    partner_link_hold(request, invitation)
    invitation_opened(invitation)
    return redirect("surveys:partner_landing", invitation.public_id)


def _partner_context(request: HttpRequest, public_id: str):
    invitation = invitation_for_partner(request, public_id)
    systems, preconditions = partner_scope(invitation)
    return invitation, systems, preconditions


def _system(systems: list[System], slug: str) -> System:
    for system in systems:
        if system.slug == slug:
            return system
    raise Http404("No such system in this invitation")


@never_cache
@_answers_503_when_the_database_is_down(_page_unavailable)
def landing(request: HttpRequest, public_id: str) -> HttpResponse:
    invitation, systems, preconditions = _partner_context(request, public_id)
    invitation_language_remember(invitation, translation.get_language())
    rows = partner_progress(invitation, systems, preconditions)
    return render(
        request,
        "surveys/partner/landing.html",
        {
            "invitation": invitation,
            "diagnostic": invitation.diagnostic,
            "rows": rows,
            "start": _start(invitation, rows),
            "total": len(preconditions),
            "first_code": preconditions[0].code,
        },
    )


def _start(invitation: Invitation, rows: list[dict]) -> dict | None:
    """The Start button: the first system not yet submitted, at its first unanswered
    step (or its review when every step has an answer); None once all are submitted or
    the round is not open."""
    if not invitation.diagnostic.is_open:
        return None
    for row in rows:
        response = row["response"]
        if response is not None and response.is_submitted:
            continue
        slug = row["system"].slug
        url = (
            reverse("surveys:partner_step", args=[invitation.public_id, slug, row["next_code"]])
            if row["next_code"]
            else reverse("surveys:partner_review", args=[invitation.public_id, slug])
        )
        return {
            "url": url,
            "label": gettext("Continue") if row["answered"] else gettext("Start now"),
        }
    return None


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


def _save(request: HttpRequest, public_id: str, system_slug: str, code: str) -> SaveOutcome:
    """The step's save, for both adapters below."""
    return partner_answer_save(
        link=partner_link(request, public_id),
        system_slug=system_slug,
        code=code,
        submission=AnswerForm(request.POST).submission(),
    )


@never_cache
@_answers_503_when_the_database_is_down(_step_unavailable)
def step(request: HttpRequest, public_id: str, system_slug: str, code: str) -> HttpResponse:
    """A step's page; on POST, its save, answered as a redirect or the page again."""
    if request.method != "POST":
        return _step_page(request, public_id, system_slug, code)
    outcome = _save(request, public_id, system_slug, code)
    if outcome.status is SaveStatus.NOT_FOUND:
        raise Http404("No such step in this invitation")
    if outcome.status is SaveStatus.CLOSED:
        return redirect("surveys:partner_step", public_id, system_slug, code)
    from_review = request.GET.get("from") == FROM_REVIEW
    no_answer = not request.POST.get("answer") and "save_and_exit" not in request.POST
    if outcome.status is SaveStatus.SAVED and not no_answer:
        if "save_and_exit" in request.POST:
            messages.success(request, gettext("Your answers are saved. Come back any time."))
            return redirect("surveys:partner_landing", public_id)
        if outcome.next_code and not from_review:
            return redirect("surveys:partner_step", public_id, system_slug, outcome.next_code)
        return redirect("surveys:partner_review", public_id, system_slug)
    return _step_page(request, public_id, system_slug, code, outcome=outcome)


def _step_page(
    request: HttpRequest,
    public_id: str,
    system_slug: str,
    code: str,
    *,
    outcome: SaveOutcome | None = None,
) -> HttpResponse:
    """A step's page: the stored answer, or, after a save that needs the partner (a
    conflict, something refused, no answer chosen), what they sent with what to do."""
    invitation, systems, preconditions = _partner_context(request, public_id)
    system = _system(systems, system_slug)
    precondition, index, previous_code, next_code = _step_neighbours(preconditions, code)
    diagnostic = invitation.diagnostic
    rating = None
    status = 200
    from_review = request.GET.get("from") == FROM_REVIEW
    if outcome is not None:
        # Keep what they sent; with the stored version when there is one, so that saving
        # again after a conflict deliberately replaces the other answer, and after a
        # stored rating the next save is not taken for a conflict.
        data = request.POST.copy()
        if outcome.version is not None:
            data["version"] = str(outcome.version)
        form = StepForm(data, precondition=precondition, system=system)
        form.is_valid()
        if outcome.status is SaveStatus.CONFLICT:
            status = 409
        else:
            status = 400
            if outcome.status is SaveStatus.SAVED:  # saved, but no answer chosen
                form.add_error("answer", NO_ANSWER)
    else:
        rating = stored_rating(invitation, system, precondition)
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
            "conflict": outcome.stored if outcome is not None else None,
            "rating_kept": outcome is not None
            and outcome.status is SaveStatus.INVALID
            and outcome.version is not None,
            "no_answer": outcome is not None and outcome.status is SaveStatus.SAVED,
            "step_number": index + 1,
            "total": len(preconditions),
            "previous_code": previous_code,
            "next_code": next_code,
            "from_review": from_review,
            "read_only": not diagnostic.is_open,
            "autosave_url": reverse(
                "surveys:partner_autosave", args=[invitation.public_id, system.slug, code]
            ),
            "autosave_text": autosave_text(),
        },
        status=status,
    )


_AUTOSAVE_HTTP_STATUS = {
    SaveStatus.SAVED: 200,
    SaveStatus.CONFLICT: 409,
    SaveStatus.INVALID: 400,
    SaveStatus.CLOSED: 403,
    SaveStatus.NOT_FOUND: 404,
}


@require_POST
@_answers_503_when_the_database_is_down(_autosave_unavailable)
def autosave(request: HttpRequest, public_id: str, system_slug: str, code: str) -> JsonResponse:
    """Save one step in the background (JavaScript). Answers in JSON: saved, conflict,
    invalid, closed, not_found, or error (503: the database is unavailable, nothing was
    stored). The page keeps the text either way."""
    outcome = _save(request, public_id, system_slug, code)
    body: dict = {"status": outcome.status.value}
    if outcome.version is not None:
        body["version"] = outcome.version
    if outcome.updated_at is not None:
        body["saved_at"] = timezone.localtime(outcome.updated_at).strftime("%H:%M:%S")
    if outcome.errors:
        body["errors"] = outcome.errors
    if outcome.stored is not None:
        body["stored"] = {
            "score": outcome.stored.score,
            "dont_know": outcome.stored.dont_know,
            "evidence": outcome.stored.evidence,
        }
    return JsonResponse(body, status=_AUTOSAVE_HTTP_STATUS[outcome.status])


@never_cache
@_answers_503_when_the_database_is_down(_review_unavailable)
def review(request: HttpRequest, public_id: str, system_slug: str) -> HttpResponse:
    invitation, systems, preconditions = _partner_context(request, public_id)
    system = _system(systems, system_slug)
    diagnostic = invitation.diagnostic
    response = partner_response(invitation, system)
    missing: list[str] = []
    status = 200
    if request.method == "POST" and diagnostic.is_open:
        if "withdraw" in request.POST:
            return redirect("surveys:partner_landing", invitation.public_id)
        response = response or response_get_or_create(invitation=invitation, system=system)
        response.diagnostic = diagnostic
        missing = response_submit(response=response, preconditions=preconditions)
        status = 400 if missing else 200
        if status == 200:
            messages.success(
                request,
                gettext(
                    "Thank you: your assessment of %(system)s is submitted. "
                    "You can change it until the round closes."
                )
                % {"system": system.name},
            )
            return redirect("surveys:partner_landing", invitation.public_id)
    ratings = ratings_by_precondition(response)
    rows = [_review_row(p, ratings.get(p.pk)) for p in preconditions]
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


def _review_row(precondition: Precondition, rating: Rating | None) -> dict:
    """One row of the review: the answer, and the indicators the partner ticked, in the
    words they ticked them in."""
    wording = precondition.partner_indicators
    ticked = rating.indicators_seen if rating is not None else []
    return {
        "precondition": precondition,
        "rating": rating,
        "indicators": [wording[i] for i in sorted(ticked) if 0 <= i < len(wording)],
    }


@require_POST
@_answers_503_when_the_database_is_down(_withdraw_unavailable)
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
        messages.error(
            request, gettext("The round has closed, so answers can no longer be withdrawn.")
        )
        return redirect("surveys:partner_landing", invitation.public_id)
    messages.success(request, gettext("Your answers have been deleted."))
    return redirect("surveys:partner_landing", invitation.public_id)
