"""The facilitator's e-mail pages: send, remind (each previews and only queues), a
batch's progress (HTML, and JSON for the page's small script), scheduled reminders."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from surveys.access import diagnostic_for_facilitator, signed_in_user
from surveys.invitations import invitation_of
from surveys.models import Diagnostic, Invitation

from .forms import RemindForm, ScheduleForm, SendForm, SteeringInviteForm
from .messages import Composed, compose
from .models import EmailBatch, Kind
from .queueing import (
    batch_of,
    batch_problems,
    batch_progress,
    emails_preview,
    emails_queue,
    invitation_scope,
    reminder_days,
    reminder_days_set,
    sample_invitation,
)
from .steering import (
    steering_invitation_queue,
    steering_member_invite,
    steering_member_waiting,
)
from .tasks import worker_seems_missing


def _scope(request: HttpRequest, diagnostic: Diagnostic) -> Invitation | None:
    """One invitation (``invitation=<public id>``), or None for the whole round."""
    public_id = request.POST.get("invitation") or request.GET.get("invitation")
    if not public_id:
        return None
    if "\x00" in public_id or len(public_id) > 12:
        raise Http404("No such invitation")
    invitation = invitation_of(diagnostic, public_id)
    if invitation is None:
        raise Http404("No such invitation")
    return invitation


def _sample(
    diagnostic: Diagnostic, invitation_id: int | None, kind: str, request: HttpRequest
) -> Composed | None:
    invitation = sample_invitation(invitation_id)
    if invitation is None:
        return None
    return compose(
        kind=kind,
        invitation=invitation,
        personal_message=request.POST.get("personal_message", ""),
        reply_to=signed_in_user(request).email,
    )


def _queue_page(request: HttpRequest, slug: str, *, kind: str) -> HttpResponse:
    diagnostic = diagnostic_for_facilitator(request, slug)
    one = _scope(request, diagnostic)
    scope = invitation_scope(one)
    preview = emails_preview(diagnostic=diagnostic, kind=kind, invitations=scope)
    recent = preview.skipped.get("recent", 0)
    reminder = kind == Kind.REMINDER
    # An empty POST (no personal message) is still a submission.
    data = request.POST if request.method == "POST" else None
    form = RemindForm(data, recent=recent) if reminder else SendForm(data)
    if request.method == "POST" and form.is_valid():
        result = emails_queue(
            diagnostic=diagnostic,
            kind=kind,
            actor=request.user,
            invitations=scope,
            personal_message=form.cleaned_data["personal_message"],
            reply_to=signed_in_user(request).email,
            insist=bool(form.cleaned_data.get("insist")),
        )
        if result.queued and result.batch is not None:
            messages.success(request, result.summary())
            return redirect("outbox:batch", diagnostic.slug, result.batch.public_id)
        messages.error(request, result.summary())
        return redirect("surveys:invitation_list", diagnostic.slug)
    return render(
        request,
        "outbox/queue_confirm.html",
        {
            "diagnostic": diagnostic,
            "form": form,
            "reminder": reminder,
            "one": one,
            "preview": preview,
            "sample": _sample(diagnostic, preview.sample_id, kind, request),
            "worker_missing": worker_seems_missing(),
        },
    )


@login_required
@never_cache
def send(request: HttpRequest, slug: str) -> HttpResponse:
    """E-mail links: to one invitation, or to everyone not yet e-mailed."""
    return _queue_page(request, slug, kind=Kind.INVITATION)


@login_required
@never_cache
def remind(request: HttpRequest, slug: str) -> HttpResponse:
    """Remind everyone who was sent their link and has not submitted."""
    return _queue_page(request, slug, kind=Kind.REMINDER)


def _batch(diagnostic: Diagnostic, public_id: str) -> EmailBatch:
    email_batch = batch_of(diagnostic, public_id)
    if email_batch is None:
        raise Http404("No such batch")
    return email_batch


@login_required
@never_cache
def batch(request: HttpRequest, slug: str, public_id: str) -> HttpResponse:
    diagnostic = diagnostic_for_facilitator(request, slug)
    email_batch = _batch(diagnostic, public_id)
    return render(
        request,
        "outbox/batch.html",
        {
            "diagnostic": diagnostic,
            "batch": email_batch,
            "progress": batch_progress(email_batch),
            "problems": batch_problems(email_batch, limit=100),
            "worker_missing": worker_seems_missing(),
            "status_url": reverse("outbox:batch_status", args=[diagnostic.slug, public_id]),
        },
    )


@login_required
@never_cache
def batch_status(request: HttpRequest, slug: str, public_id: str) -> JsonResponse:
    diagnostic = diagnostic_for_facilitator(request, slug)
    progress = batch_progress(_batch(diagnostic, public_id))
    return JsonResponse({**progress.as_dict(), "worker_missing": worker_seems_missing()})


@login_required
@never_cache
def schedule(request: HttpRequest, slug: str) -> HttpResponse:
    diagnostic = diagnostic_for_facilitator(request, slug)
    current = reminder_days(diagnostic)
    form = ScheduleForm(request.POST or None, initial={"days": ", ".join(map(str, current))})
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data["days"]
        reminder_days_set(diagnostic=diagnostic, days=days)
        if days:
            messages.success(
                request,
                "Reminders will be sent "
                + " and ".join(f"{d} day{'s' if d != 1 else ''}" for d in days)
                + " before the closing date, to everyone sent their link who has not submitted.",
            )
        else:
            messages.success(request, "No scheduled reminders.")
        return redirect("surveys:invitation_list", diagnostic.slug)
    return render(
        request,
        "outbox/schedule.html",
        {"diagnostic": diagnostic, "form": form},
    )


@login_required
@never_cache
def steering_invite(request: HttpRequest, slug: str) -> HttpResponse:
    """Invite a steering member by e-mail (an account without a password, and a link to
    set one); ``resend=<username>`` sends a member who has not set it yet a new link."""
    diagnostic = diagnostic_for_facilitator(request, slug)
    access_url = reverse("surveys:diagnostic_access", args=[diagnostic.slug])
    if request.method == "POST" and "resend" in request.POST:
        member = steering_member_waiting(diagnostic, request.POST["resend"])
        if member is None:
            raise Http404("No such member waiting for an invitation")
        if steering_invitation_queue(diagnostic=diagnostic, user=member, actor=request.user):
            messages.success(request, f"Queued a new invitation to {member.email}.")
        else:
            messages.info(request, f"An invitation to {member.email} is already waiting.")
        return redirect(access_url)
    form = SteeringInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invited = steering_member_invite(
                diagnostic=diagnostic, email=form.cleaned_data["email"], actor=request.user
            )
        except ValueError as problem:
            form.add_error("email", str(problem))
        else:
            messages.success(
                request,
                f"Added {invited.user.email} to the steering group and queued an e-mail "
                "with a link to set their password."
                if invited.queued
                else f"Added {invited.user.email}: an invitation to them is already waiting.",
            )
            return redirect(access_url)
    return render(
        request,
        "outbox/steering_invite.html",
        {
            "diagnostic": diagnostic,
            "form": form,
            "days": settings.STEERING_INVITATION_DAYS,
            "worker_missing": worker_seems_missing(),
        },
    )
