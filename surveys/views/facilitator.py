"""Facilitator pages: places, systems, organisations, diagnostics, invitations, progress.

Thin views: permission and query shape come from surveys.access, rules from the service
modules (diagnostics, invitations, progress).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from .. import confidentiality, place_setup
from .. import diagnostics as diagnostic_service
from ..access import (
    diagnostic_for_facilitator,
    place_for_facilitator,
    user_can_create_places,
)
from ..audit import audit_trail
from ..bulk_invitations import MAX_ROWS as BULK_MAX_ROWS
from ..bulk_invitations import pending_bulk_confirm, pending_bulk_create, plan_from_text
from ..forms import (
    BulkInvitationForm,
    DiagnosticForm,
    InvitationFilterForm,
    InvitationForm,
    MembershipForm,
    OrganisationForm,
    OrganisationsBulkForm,
    PlaceForm,
    SystemForm,
    SystemsBulkForm,
)
from ..invitation_links import (
    invitation_links,
    invitations_with_links,
    links_csv_lines,
    links_given_record,
    qr_code_svg,
)
from ..invitations import (
    invitation_answers_read,
    invitation_invite,
    invitation_link,
    invitation_of,
    invitation_renew_link,
    invitation_responses,
    invitation_revoke,
    invitation_systems,
    invitations_not_emailed_count,
    invitations_search,
)
from ..models import (
    Diagnostic,
    Invitation,
    PendingBulkInvitation,
    System,
)
from ..privacy import diagnostic_erase_personal_data, diagnostic_members, membership_change
from ..progress import diagnostic_progress, round_counts


# Places ---------------------------------------------------------------------------------
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "surveys/dashboard.html",
        {
            "places": diagnostic_service.places_of_facilitator(request.user),
            "steered": diagnostic_service.rounds_steered_by(request.user),
            "can_create_places": user_can_create_places(request.user),
        },
    )


@login_required
def place_create(request: HttpRequest) -> HttpResponse:
    if not user_can_create_places(request.user):
        raise PermissionDenied
    form = PlaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        place = diagnostic_service.place_create(
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
            facilitator=request.user,
        )
        messages.success(request, f"Created {place.name}. Now add its systems and organisations.")
        return redirect(place)
    return render(request, "surveys/form_page.html", {"form": form, "title": "Create a place"})


@login_required
def place_detail(request: HttpRequest, slug: str) -> HttpResponse:
    place = place_for_facilitator(request, slug)
    return render(
        request,
        "surveys/place_detail.html",
        {"place": place, **diagnostic_service.place_overview(place)},
    )


@login_required
def place_edit(request: HttpRequest, slug: str) -> HttpResponse:
    place = place_for_facilitator(request, slug)
    form = PlaceForm(request.POST or None, instance=place)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Saved the place.")
        return redirect(place)
    return render(
        request,
        "surveys/form_page.html",
        {"form": form, "title": "Edit", "title_name": place.name, "place": place},
    )


@login_required
def system_create(request: HttpRequest, slug: str) -> HttpResponse:
    place = place_for_facilitator(request, slug)
    form = SystemForm(request.POST or None, place=place)
    if request.method == "POST" and form.is_valid():
        system = diagnostic_service.system_add(place=place, system=form.save(commit=False))
        messages.success(request, f"Added the system {system.name}.")
        return redirect(place)
    return render(
        request, "surveys/form_page.html", {"form": form, "title": "Add a system", "place": place}
    )


@login_required
def system_bulk(request: HttpRequest, slug: str) -> HttpResponse:
    """Paste a list of systems, one per line."""
    place = place_for_facilitator(request, slug)
    form = SystemsBulkForm(request.POST or None, place=place)
    if request.method == "POST" and form.is_valid():
        plan = form.cleaned_data["plan"]
        created = diagnostic_service.systems_create(place=place, names=plan.new)
        messages.success(request, _added_message(len(created), "system", plan.existing))
        return redirect(place)
    return render(
        request,
        "surveys/form_page.html",
        {"form": form, "title": "Add several systems", "place": place},
    )


@login_required
def organisation_bulk(request: HttpRequest, slug: str) -> HttpResponse:
    """Paste a list of organisations with their sectors, one per line."""
    place = place_for_facilitator(request, slug)
    form = OrganisationsBulkForm(request.POST or None, place=place)
    if request.method == "POST" and form.is_valid():
        plan = form.cleaned_data["plan"]
        created = place_setup.organisations_create(place=place, lines=plan.new)
        messages.success(request, _added_message(len(created), "organisation", plan.existing))
        return redirect(place)
    return render(
        request,
        "surveys/form_page.html",
        {"form": form, "title": "Add several organisations", "place": place},
    )


def _added_message(count: int, noun: str, existing: list[str]) -> str:
    message = f"Added {count} {noun}{'s' if count != 1 else ''}."
    if existing:
        message += f" Already in this place, so not added again: {', '.join(existing)}."
    return message


@login_required
def system_edit(request: HttpRequest, slug: str, system_slug: str) -> HttpResponse:
    place = place_for_facilitator(request, slug)
    system = get_object_or_404(System, place=place, slug=system_slug)
    form = SystemForm(request.POST or None, instance=system, place=place)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Saved the system {system.name}.")
        return redirect(place)
    return render(
        request,
        "surveys/form_page.html",
        {"form": form, "title": "Edit", "title_name": system.name, "place": place},
    )


@login_required
def organisation_create(request: HttpRequest, slug: str) -> HttpResponse:
    place = place_for_facilitator(request, slug)
    form = OrganisationForm(request.POST or None, place=place)
    if request.method == "POST" and form.is_valid():
        organisation = form.save(commit=False)
        organisation.place = place
        organisation.save()
        messages.success(request, f"Added {organisation.name}.")
        return redirect(place)
    return render(
        request,
        "surveys/form_page.html",
        {"form": form, "title": "Add an organisation", "place": place},
    )


@login_required
def organisation_edit(request: HttpRequest, slug: str, organisation_id: int) -> HttpResponse:
    place = place_for_facilitator(request, slug)
    organisation = get_object_or_404(place.organisations, pk=organisation_id)
    form = OrganisationForm(request.POST or None, instance=organisation, place=place)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Saved {organisation.name}.")
        return redirect(place)
    return render(
        request,
        "surveys/form_page.html",
        {"form": form, "title": "Edit", "title_name": organisation.name, "place": place},
    )


# Diagnostics ----------------------------------------------------------------------------
@login_required
def diagnostic_create(request: HttpRequest, slug: str) -> HttpResponse:
    """A new round; ``?copy=<slug>`` starts from the set-up of an earlier one (its
    systems and confidentiality settings, and its partners invited again if asked)."""
    place = place_for_facilitator(request, slug)
    rounds = diagnostic_service.place_rounds(place)
    copy_slug = request.POST.get("copy_from") or request.GET.get("copy")
    source = next((d for d in rounds if d.slug == copy_slug), None)
    form = DiagnosticForm(
        request.POST or None,
        place=place,
        copy_source=source,
        initial=place_setup.setup_from(source) if source else None,
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        diagnostic, copied, skipped = place_setup.diagnostic_create_from(
            place=place,
            form_data=data,
            actor=request.user,
            source=form.cleaned_data["copy_from"],
            copy_invitations=form.cleaned_data["copy_invitations"],
        )
        message = f"Created {diagnostic.title}. It is a draft until you open it."
        if copied or skipped:
            message += f" Invited {copied} partner{'s' if copied != 1 else ''} again"
            message += (
                f" ({skipped} not: none of their systems is in this round)." if skipped else "."
            )
        messages.success(request, message)
        return redirect(diagnostic)
    return render(
        request,
        "surveys/diagnostic_create.html",
        {
            "form": form,
            "title": "Create a diagnostic",
            "place": place,
            "rounds": rounds,
            "source": source,
        },
    )


@login_required
def diagnostic_edit(request: HttpRequest, slug: str) -> HttpResponse:
    diagnostic = diagnostic_for_facilitator(request, slug)
    form = DiagnosticForm(request.POST or None, instance=diagnostic, place=diagnostic.place)
    if request.method == "POST" and form.is_valid():
        try:
            diagnostic_service.diagnostic_update(
                diagnostic=diagnostic, form_data=dict(form.cleaned_data), actor=request.user
            )
        except diagnostic_service.ConfidentialityLoosenedError as refused:
            # Partners were told the terms between showing the form and saving it.
            for name, problem in refused.problems.items():
                form.add_error(name, problem)
        else:
            messages.success(request, "Saved the diagnostic.")
            return redirect(diagnostic)
    return render(
        request,
        "surveys/form_page.html",
        {"form": form, "title": "Edit", "title_name": diagnostic.title, "diagnostic": diagnostic},
    )


@login_required
@never_cache
def diagnostic_detail(request: HttpRequest, slug: str) -> HttpResponse:
    diagnostic = diagnostic_for_facilitator(request, slug)
    return render(
        request,
        "surveys/diagnostic_detail.html",
        {
            "diagnostic": diagnostic,
            "systems": diagnostic_service.round_systems(diagnostic),
            "progress": diagnostic_progress(diagnostic),
            "audit_events": audit_trail(diagnostic, limit=20),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def diagnostic_open(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: what opening will do, with counts; POST: open (or re-open) the round."""
    diagnostic = diagnostic_for_facilitator(request, slug)
    if request.method == "GET":
        return render(
            request,
            "surveys/diagnostic_confirm.html",
            {
                "diagnostic": diagnostic,
                "action": "open",
                "counts": round_counts(diagnostic),
                "systems": diagnostic_service.round_systems(diagnostic),
            },
        )
    diagnostic_service.diagnostic_open(diagnostic=diagnostic, actor=request.user)
    messages.success(request, "The round is open: partners can now answer.")
    return redirect(diagnostic)


@login_required
@require_http_methods(["GET", "POST"])
def diagnostic_close(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: what closing will do, with counts of partners still answering; POST: close."""
    diagnostic = diagnostic_for_facilitator(request, slug)
    if request.method == "GET":
        return render(
            request,
            "surveys/diagnostic_confirm.html",
            {"diagnostic": diagnostic, "action": "close", "counts": round_counts(diagnostic)},
        )
    diagnostic_service.diagnostic_close(diagnostic=diagnostic, actor=request.user)
    messages.success(request, "The round is closed: answers can no longer change.")
    return redirect(diagnostic)


# Invitations ----------------------------------------------------------------------------
INVITATIONS_PER_PAGE = 50


def _page_links(page) -> list[int | None]:
    """Page numbers for the GOV.UK pagination component: the first, the last and the
    neighbours of the current one; None where an ellipsis goes."""
    last = page.paginator.num_pages
    wanted = sorted(
        {1, last, page.number - 1, page.number, page.number + 1} & set(range(1, last + 1))
    )
    links: list[int | None] = []
    for number in wanted:
        if links and number - (links[-1] or 0) > 1:
            links.append(None)
        links.append(number)
    return links


@login_required
@never_cache
def invitation_list(request: HttpRequest, slug: str) -> HttpResponse:
    """Paginated, searchable; the same few queries whatever the round's size."""
    diagnostic = diagnostic_for_facilitator(request, slug)
    filters, criteria, invitations = _invitations_searched(request, diagnostic)
    page = Paginator(invitations, INVITATIONS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "surveys/invitation_list.html",
        {
            "diagnostic": diagnostic,
            "filters": filters,
            "filtered": bool(criteria and any(criteria.values())),
            "page": page,
            "page_links": _page_links(page),
            "query_string": query.urlencode(),
            "not_emailed": invitations_not_emailed_count(diagnostic),
        },
    )


def _invitations_searched(request: HttpRequest, diagnostic: Diagnostic):
    """The invitation list's rows as its search and filters (in the query string) pick
    them: the list, its CSV of links and its sheet of links show the same people."""
    filters = InvitationFilterForm(request.GET or None)
    criteria = filters.cleaned_data if filters.is_valid() else {}
    invitations = invitations_search(
        diagnostic=diagnostic,
        query=criteria.get("q", ""),
        status=criteria.get("status", ""),
        sector=criteria.get("sector", ""),
    )
    return filters, criteria, invitations


@login_required
@never_cache
def invitation_links_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    """Every working link of the list (as searched and filtered), for a mail merge.
    Audited: the file holds secrets."""
    diagnostic = diagnostic_for_facilitator(request, slug)
    _filters, _criteria, invitations = _invitations_searched(request, diagnostic)
    invitations = invitations_with_links(invitations)
    rows = list(invitation_links(invitations))
    links_given_record(diagnostic=diagnostic, actor=request.user, form="csv", count=len(rows))
    response = StreamingHttpResponse(links_csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        True, f"{diagnostic.slug}-invitation-links.csv"
    )
    return response


LINKS_PER_SHEET = 50


@login_required
@never_cache
def invitation_links_sheet(request: HttpRequest, slug: str) -> HttpResponse:
    """A printable page of links with a QR code each (50 at a time, as the list is
    paginated). Audited, as the CSV is."""
    diagnostic = diagnostic_for_facilitator(request, slug)
    _filters, _criteria, invitations = _invitations_searched(request, diagnostic)
    page = Paginator(invitations_with_links(invitations), LINKS_PER_SHEET).get_page(
        request.GET.get("page")
    )
    links = [(row, qr_code_svg(row.link)) for row in invitation_links(page.object_list)]
    links_given_record(diagnostic=diagnostic, actor=request.user, form="sheet", count=len(links))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "surveys/invitation_links_sheet.html",
        {
            "diagnostic": diagnostic,
            "page": page,
            "page_links": _page_links(page),
            "links": links,
            "query_string": query.urlencode(),
        },
    )


@login_required
def invitation_create_view(request: HttpRequest, slug: str) -> HttpResponse:
    diagnostic = diagnostic_for_facilitator(request, slug)
    form = InvitationForm(request.POST or None, diagnostic=diagnostic)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        invitation = invitation_invite(
            diagnostic=diagnostic,
            actor=request.user,
            organisation=data["organisation"],
            role=data["role"],
            systems=list(data["systems"]),
            name=data["name"],
            email=data["email"],
            language=data["language"],
        )
        messages.success(request, "Created the invitation. Copy its link or send it by email.")
        return redirect("surveys:invitation_detail", diagnostic.slug, invitation.public_id)
    return render(
        request,
        "surveys/form_page.html",
        {"form": form, "title": "Invite a partner", "diagnostic": diagnostic},
    )


@login_required
def invitation_bulk(request: HttpRequest, slug: str) -> HttpResponse:
    """Paste or upload many invitations; check every row, then create them once."""
    diagnostic = diagnostic_for_facilitator(request, slug)
    if request.method == "POST" and request.POST.get("pending"):
        return _invitation_bulk_confirm(request, diagnostic)
    form = BulkInvitationForm(request.POST or None, request.FILES or None)
    plan = pending = None
    if request.method == "POST" and form.is_valid():
        plan = plan_from_text(diagnostic=diagnostic, text=form.cleaned_data["source_text"])
        if not plan.errors and plan.to_create:
            pending = pending_bulk_create(
                diagnostic=diagnostic, text=form.cleaned_data["source_text"], actor=request.user
            )
    return render(
        request,
        "surveys/invitation_bulk.html",
        {
            "form": form,
            "diagnostic": diagnostic,
            "plan": plan,
            "pending": pending,
            "max_rows": BULK_MAX_ROWS,
        },
    )


def _invitation_bulk_confirm(request: HttpRequest, diagnostic: Diagnostic) -> HttpResponse:
    pending_id = request.POST["pending"]
    if "\x00" in pending_id or len(pending_id) > 12:
        raise Http404("No such list")
    try:
        outcome = pending_bulk_confirm(
            pending_id=pending_id, diagnostic=diagnostic, actor=request.user
        )
    except PendingBulkInvitation.DoesNotExist:
        raise Http404("No such list") from None
    if outcome.already_done:
        messages.info(
            request,
            f"These invitations were already created ({outcome.created_count}); "
            "nothing more was created.",
        )
        return redirect("surveys:invitation_list", diagnostic.slug)
    if outcome.plan is not None and outcome.plan.errors:
        messages.error(request, "The list no longer checks out: check it again.")
        return redirect("surveys:invitation_bulk", diagnostic.slug)
    text = f"Created {outcome.created_count} invitation{pluralize(outcome.created_count)}."
    duplicates = len(outcome.plan.duplicate_rows) if outcome.plan else 0
    if duplicates:
        text += f" {duplicates} line{pluralize(duplicates)} already invited were left out."
    messages.success(request, text)
    if request.POST.get("send") == "yes" and outcome.created_count:
        # Sending is the outbox's page: it previews the e-mail and queues it.
        return redirect("outbox:send", diagnostic.slug)
    return redirect("surveys:invitation_list", diagnostic.slug)


def _invitation(diagnostic: Diagnostic, public_id: str) -> Invitation:
    invitation = invitation_of(diagnostic, public_id)
    if invitation is None:
        raise Http404("No such invitation")
    return invitation


@login_required
@never_cache
def invitation_detail(request: HttpRequest, slug: str, public_id: str) -> HttpResponse:
    diagnostic = diagnostic_for_facilitator(request, slug)
    invitation = _invitation(diagnostic, public_id)
    return render(
        request,
        "surveys/invitation_detail.html",
        {
            "diagnostic": diagnostic,
            "invitation": invitation,
            "link": invitation_link(invitation) if invitation.token_hash else "",
            "systems": invitation_systems(invitation),
            "responses": invitation_responses(invitation),
        },
    )


@login_required
@never_cache
def invitation_answers(request: HttpRequest, slug: str, public_id: str) -> HttpResponse:
    """One partner's answers with their name: only in an attributed round, for the
    follow-up partners agreed to (404 in an anonymous one). Every reading is audited."""
    diagnostic = diagnostic_for_facilitator(request, slug)
    if not confidentiality.facilitators_see_who_said_what(diagnostic):
        raise Http404("This round is anonymous")
    invitation = _invitation(diagnostic, public_id)
    responses = invitation_answers_read(invitation=invitation, actor=request.user)
    return render(
        request,
        "surveys/invitation_answers.html",
        {"diagnostic": diagnostic, "invitation": invitation, "responses": responses},
    )


@login_required
@require_http_methods(["GET", "POST"])
def invitation_renew(request: HttpRequest, slug: str, public_id: str) -> HttpResponse:
    """GET: what a new link will do; POST: make it (the old link stops working)."""
    diagnostic = diagnostic_for_facilitator(request, slug)
    invitation = _invitation(diagnostic, public_id)
    if request.method == "GET":
        return render(
            request,
            "surveys/invitation_renew.html",
            {
                "diagnostic": diagnostic,
                "invitation": invitation,
                "started": invitation_responses(invitation).count(),
            },
        )
    invitation_renew_link(invitation=invitation, actor=request.user)
    messages.success(request, "Made a new link. The old link no longer works.")
    return redirect("surveys:invitation_detail", diagnostic.slug, invitation.public_id)


@login_required
@require_POST
def invitation_revoke_view(request: HttpRequest, slug: str, public_id: str) -> HttpResponse:
    diagnostic = diagnostic_for_facilitator(request, slug)
    invitation = _invitation(diagnostic, public_id)
    invitation_revoke(invitation=invitation, actor=request.user)
    messages.success(request, "Revoked the invitation. Its link no longer works.")
    return redirect("surveys:invitation_list", diagnostic.slug)


# Access and privacy ----------------------------------------------------------------------
@login_required
@never_cache
def diagnostic_access(request: HttpRequest, slug: str) -> HttpResponse:
    """Who can manage and read this diagnostic; add or remove people."""
    diagnostic = diagnostic_for_facilitator(request, slug)
    form = MembershipForm(request.POST if "add" in request.POST else None)
    if request.method == "POST":
        if "remove" in request.POST:
            role, _, identifier = request.POST["remove"].partition(":")
            # No account name holds NUL, and PostgreSQL refuses it in a query.
            changed = "\x00" not in identifier and membership_change(
                diagnostic=diagnostic,
                identifier=identifier,
                role=role if role in {"steering", "facilitator"} else "steering",
                add=False,
                actor=request.user,
            )
            if changed:
                messages.success(request, "Removed their access.")
            else:
                messages.error(request, "You cannot remove yourself as facilitator.")
            return redirect("surveys:diagnostic_access", diagnostic.slug)
        if form.is_valid():
            if membership_change(
                diagnostic=diagnostic,
                identifier=form.cleaned_data["identifier"],
                role=form.cleaned_data["role"],
                add=True,
                actor=request.user,
            ):
                messages.success(request, "Added their access.")
                return redirect("surveys:diagnostic_access", diagnostic.slug)
            form.add_error(
                "identifier",
                "There is no account with that username or email. To invite a steering "
                "member without an account, use “Invite a steering member by e-mail”",
            )
    return render(
        request,
        "surveys/diagnostic_access.html",
        {
            "diagnostic": diagnostic,
            "form": form,
            **diagnostic_members(diagnostic),
        },
    )


@login_required
@never_cache
def diagnostic_audit(request: HttpRequest, slug: str) -> HttpResponse:
    diagnostic = diagnostic_for_facilitator(request, slug)
    return render(
        request,
        "surveys/diagnostic_audit.html",
        {
            "diagnostic": diagnostic,
            "events": audit_trail(diagnostic, limit=500),
        },
    )


@login_required
def diagnostic_erase(request: HttpRequest, slug: str) -> HttpResponse:
    diagnostic = diagnostic_for_facilitator(request, slug)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        erased = diagnostic_erase_personal_data(diagnostic=diagnostic, actor=request.user)
        messages.success(
            request,
            f"Erased the names, emails and links of {erased} invitations. "
            "The anonymised ratings are kept.",
        )
        return redirect(diagnostic)
    return render(request, "surveys/diagnostic_erase.html", {"diagnostic": diagnostic})
