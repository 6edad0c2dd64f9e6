"""Thin adapters around ``workshops.rules`` and ``workshops.room``: the facilitator's
pages (start, control, projector) and the phones' pages (join, answer)."""

from __future__ import annotations

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from surveys.access import diagnostic_for_facilitator
from surveys.confidentiality import steering_sees_evidence
from surveys.ratelimit import bad_token_limit_reached, bad_token_record

from . import rules
from .access import (
    participant_for_session,
    participant_held,
    participant_hold,
    workshop_for_facilitator,
)
from .forms import JoinForm, WorkshopAnswerForm, WorkshopStartForm
from .models import Workshop
from .room import pending_comments, room_view

JOIN_SCOPE = "workshop-code"

# --- facilitators -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def workshop_list(request: HttpRequest, slug: str) -> HttpResponse:
    diagnostic = diagnostic_for_facilitator(request, slug)
    form = WorkshopStartForm(request.POST or None, diagnostic=diagnostic)
    if request.method == "POST" and form.is_valid():
        try:
            workshop = rules.workshop_start(
                diagnostic=diagnostic,
                system=form.cleaned_data["system"],
                actor=request.user,
                title=form.cleaned_data["title"],
            )
        except rules.WorkshopError as error:
            form.add_error(None, str(error))
        else:
            return redirect("workshops:control", workshop.public_id)
    workshops = rules.workshops_of(diagnostic)
    return render(
        request,
        "workshops/list.html",
        {"diagnostic": diagnostic, "form": form, "workshops": workshops},
    )


def _join_url(request: HttpRequest, workshop: Workshop) -> str:
    """The QR code's address: from SITE_URL (as every link the service gives out), never
    from the request's Host header."""
    return settings.SITE_URL + reverse("workshops:join_code", args=[workshop.join_code])


@login_required
@require_GET
def control(request: HttpRequest, public_id: str) -> HttpResponse:
    workshop = workshop_for_facilitator(request, public_id)
    codes = rules.preconditions_of(workshop)
    current = workshop.current_precondition
    position = next((i for i, p in enumerate(codes, 1) if current and p.pk == current.pk), 0)
    return render(
        request,
        "workshops/control.html",
        {
            "workshop": workshop,
            "diagnostic": workshop.diagnostic,
            "room": room_view(workshop),
            "pending": pending_comments(workshop),
            "position": position,
            "total": len(codes),
            "join_url": _join_url(request, workshop),
        },
    )


@login_required
@require_GET
def projector(request: HttpRequest, public_id: str) -> HttpResponse:
    workshop = workshop_for_facilitator(request, public_id)
    join_url = _join_url(request, workshop)
    qr = segno.make_qr(join_url, error="m")
    # segno writes the SVG from the URL alone (no user text in it).
    qr_svg = mark_safe(  # noqa: S308
        qr.svg_inline(scale=8, border=2, dark="#0b0c0c", light="#ffffff", omitsize=True)
    )
    return render(
        request,
        "workshops/projector.html",
        {
            "workshop": workshop,
            "room": room_view(workshop),
            "precondition": workshop.current_precondition,
            "join_url": join_url,
            "short_url": join_url.split("://", 1)[-1],
            "join_path": (settings.SITE_URL + reverse("workshops:join")).split("://", 1)[-1],
            "qr_svg": qr_svg,
        },
    )


@login_required
@require_GET
def room(request: HttpRequest, public_id: str) -> JsonResponse:
    """The projector's refresh (every 2 s): a constant number of queries."""
    workshop = workshop_for_facilitator(request, public_id)
    return JsonResponse(room_view(workshop).as_json())


@login_required
@require_POST
def move(request: HttpRequest, public_id: str) -> HttpResponse:
    workshop = workshop_for_facilitator(request, public_id)
    try:
        direction = rules.Move(request.POST.get("move", "next"))
    except ValueError:
        direction = rules.Move.NEXT
    try:
        rules.workshop_move(workshop=workshop, move=direction)
    except rules.WorkshopError as error:
        messages.error(request, str(error))
    return redirect("workshops:control", workshop.public_id)


@login_required
@require_POST
def results(request: HttpRequest, public_id: str) -> HttpResponse:
    workshop = workshop_for_facilitator(request, public_id)
    rules.results_hold(workshop=workshop, held=request.POST.get("held") == "1")
    return redirect("workshops:control", workshop.public_id)


@login_required
@require_POST
def comment(request: HttpRequest, public_id: str, comment_id: int) -> HttpResponse:
    workshop = workshop_for_facilitator(request, public_id)
    if not rules.comment_moderate(
        workshop=workshop,
        comment_id=comment_id,
        approve=request.POST.get("approve") == "1",
        actor=request.user,
    ):
        raise Http404("No such comment")
    return redirect(reverse("workshops:control", args=[workshop.public_id]) + "#comments")


@login_required
@require_http_methods(["GET", "POST"])
def end(request: HttpRequest, public_id: str) -> HttpResponse:
    workshop = workshop_for_facilitator(request, public_id)
    if request.method == "POST":
        submitted = rules.workshop_end(workshop=workshop, actor=request.user)
        messages.success(
            request,
            f"The workshop has ended: {submitted} response{'s' if submitted != 1 else ''} "
            "added to the round.",
        )
        return redirect("workshops:list", workshop.diagnostic.slug)
    return render(
        request,
        "workshops/end.html",
        {
            "workshop": workshop,
            "diagnostic": workshop.diagnostic,
            "joined": rules.participants_joined(workshop),
        },
    )


# --- phones -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, code: str = "") -> HttpResponse:
    """Join by code. Wrong codes are counted per client address (surveys.ratelimit)."""
    limit = settings.WORKSHOP_JOIN_MISSES_PER_MINUTE
    if request.method == "POST":
        if bad_token_limit_reached(request, scope=JOIN_SCOPE, limit=limit):
            return render(request, "workshops/too_many_attempts.html", status=429)
        form = JoinForm(request.POST)
        if form.is_valid():
            workshop = rules.workshop_for_code(form.cleaned_data["code"])
            if workshop is None:
                bad_token_record(request, scope=JOIN_SCOPE)
                form.add_error(
                    "code",
                    "This code does not open a workshop. Check it against the screen: "
                    "codes stop working when their workshop ends",
                )
            else:
                participant_id = participant_held(request, workshop.public_id)
                if not rules.participant_of(workshop, participant_id):
                    try:
                        participant = rules.participant_join(
                            workshop=workshop,
                            sector=form.cleaned_data["sector"],
                            role=form.role_value(),
                        )
                    except rules.WorkshopError as error:
                        form.add_error("code", str(error))
                        return render(request, "workshops/join.html", {"form": form}, status=400)
                    participant_hold(request, participant)
                return redirect("workshops:answer", workshop.public_id)
        return render(request, "workshops/join.html", {"form": form}, status=400)
    form = JoinForm(initial={"code": rules.join_code_normalise(code)} if code else None)
    return render(request, "workshops/join.html", {"form": form})


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, public_id: str) -> HttpResponse:
    participant = participant_for_session(request, public_id)
    workshop = participant.workshop
    precondition = workshop.current_precondition
    form = None
    status = 200
    if precondition is not None and not workshop.is_ended:
        if request.method == "POST":
            form = WorkshopAnswerForm(
                request.POST, precondition=precondition, system=workshop.system
            )
            if form.is_valid():
                score, dont_know = form.answer_value()
                outcome = rules.answer_record(
                    participant=participant,
                    code=form.cleaned_data["code"],
                    score=score,
                    dont_know=dont_know,
                    comment=form.cleaned_data["comment"],
                )
                sent = form.cleaned_data["code"]
                if outcome.status == rules.AnswerStatus.SAVED:
                    return redirect(reverse("workshops:answer", args=[public_id]) + "?saved=1")
                if outcome.status == rules.AnswerStatus.MOVED_ON:
                    messages.warning(
                        request,
                        f"The facilitator had moved on, so your answer to {sent} was not saved.",
                    )
                elif outcome.status == rules.AnswerStatus.CLOSED:
                    messages.warning(request, "The round has closed: answers cannot change.")
                return redirect("workshops:answer", public_id)
            status = 400
            if form.data.get("code") != precondition.code:
                messages.warning(request, "The facilitator had moved on: here is the next one.")
                return redirect("workshops:answer", public_id)
        else:
            own = rules.own_answer(participant)
            initial = {"code": precondition.code}
            if own is not None and own.is_answered:
                initial["answer"] = "dont_know" if own.dont_know else str(own.score)
                initial["comment"] = own.evidence
            form = WorkshopAnswerForm(
                initial=initial, precondition=precondition, system=workshop.system
            )
    elif request.method == "POST":
        return redirect("workshops:answer", public_id)
    return render(
        request,
        "workshops/answer.html",
        {
            "workshop": workshop,
            "precondition": precondition,
            "form": form,
            "saved": request.GET.get("saved") == "1" and form is not None and not form.is_bound,
            "k": workshop.diagnostic.min_group_size,
            "evidence_quoted": steering_sees_evidence(workshop.diagnostic),
        },
        status=status,
    )


@require_GET
def state(request: HttpRequest, public_id: str) -> JsonResponse:
    """What the phone polls: which pre-condition the facilitator shows (nothing else)."""
    workshop = participant_for_session(request, public_id).workshop
    current = workshop.current_precondition
    return JsonResponse({"state": workshop.state, "code": current.code if current else None})
