"""The facilitator's e-mail pages: send, remind (each previews and only queues), a
batch's progress (HTML, and JSON for the page's small script), scheduled reminders."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from surveys.access import diagnostic_for_facilitator
from surveys.models import Diagnostic, Invitation

from .forms import RemindForm, ScheduleForm, SendForm, SteeringInviteForm
from .messages import compose
from .models import EmailBatch, Kind, OutboxEmail, ReminderSchedule, Status
from .queueing import batch_progress, emails_preview, emails_queue
from .steering import awaiting_password, steering_invitation_queue, steering_member_invite
from .tasks import worker_seems_missing


def _scope(request: HttpRequest, diagnostic: Diagnostic) -> Invitation | None:
    """One invitation (``invitation=<public id>``), or None for the whole round."""
    public_id = request.POST.get("invitation") or request.GET.get("invitation")
    if not public_id:
        return None
    if "\x00" in public_id or len(public_id) > 12:
        raise Http404("No such invitation")
    return get_object_or_404(diagnostic.invitations, public_id=public_id)


def _sample(diagnostic: Diagnostic, invitation_id: int | None, kind: str, request):
    if invitation_id is None:
        return None
    invitation = Invitation.objects.select_related("diagnostic__place").get(pk=invitation_id)
    return compose(
        kind=kind,
        invitation=invitation,
        personal_message=request.POST.get("personal_message", ""),
        reply_to=request.user.email,
    )


def _queue_page(request: HttpRequest, slug: str, *, kind: str) -> HttpResponse:
    diagnostic = diagnostic_for_facilitator(request, slug)
    one = _scope(request, diagnostic)
    scope = diagnostic.invitations.filter(pk=one.pk) if one else None
    preview = emails_preview(diagnostic=diagnostic, kind=kind, invitations=scope)
    recent = preview.skipped.get("recent", 0)
    reminder = kind == Kind.REMINDER
    form_class = RemindForm if reminder else SendForm
    extra = {"recent": recent} if reminder else {}
    # An empty POST (no personal message) is still a submission.
    form = form_class(request.POST if request.method == "POST" else None, **extra)
    if request.method == "POST" and form.is_valid():
        result = emails_queue(
            diagnostic=diagnostic,
            kind=kind,
            actor=request.user,
            invitations=scope,
            personal_message=form.cleaned_data["personal_message"],
            reply_to=request.user.email,
            insist=bool(form.cleaned_data.get("insist")),
        )
        if result.queued:
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
    if "\x00" in public_id:
        raise Http404("No such batch")
    return get_object_or_404(EmailBatch, diagnostic=diagnostic, public_id=public_id)


@login_required
@never_cache
def batch(request: HttpRequest, slug: str, public_id: str) -> HttpResponse:
    diagnostic = diagnostic_for_facilitator(request, slug)
    email_batch = _batch(diagnostic, public_id)
    failed = (
        OutboxEmail.objects.filter(batch=email_batch, status__in=[Status.FAILED, Status.RETRYING])
        .select_related("invitation")
        .order_by("status", "recipient")[:100]
    )
    return render(
        request,
        "outbox/batch.html",
        {
            "diagnostic": diagnostic,
            "batch": email_batch,
            "progress": batch_progress(email_batch),
            "problems": failed,
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
    current = list(diagnostic.reminder_schedules.values_list("days_before", flat=True))
    form = ScheduleForm(request.POST or None, initial={"days": ", ".join(map(str, current))})
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data["days"]
        with transaction.atomic():
            diagnostic.reminder_schedules.exclude(days_before__in=days).delete()
            ReminderSchedule.objects.bulk_create(
                [ReminderSchedule(diagnostic=diagnostic, days_before=d) for d in days],
                ignore_conflicts=True,
            )
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
        member = diagnostic.steering_members.filter(
            username=request.POST["resend"].replace("\x00", "")
        ).first()
        if member is None or not awaiting_password(member):
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
