"""Action-plan pages: the plan per round, one action, create/propose, edit, accept,
status, the round's settings, the printable plan, the CSV and the partner summary.

Thin views: permission and query shape come from ``actions.access``, every rule and
every write from ``actions.rules``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache

from preconditions.csvsafe import csv_writer
from preconditions.models import Precondition
from surveys.models import System

from . import rules
from .access import action_for_reader, plan_for_reader, summary_for_partner
from .exports import action_plan_csv_rows, plan_actions
from .forms import AcceptForm, ActionForm, PlanFilterForm, SettingsForm, StatusForm
from .links import plan_action_initial
from .models import Action


@dataclass
class PreconditionGroup:
    precondition: Precondition
    actions: list[Action] = field(default_factory=list)


@dataclass
class SystemGroup:
    system: System
    preconditions: list[PreconditionGroup]

    @property
    def count(self) -> int:
        return sum(len(p.actions) for p in self.preconditions)


def _grouped(diagnostic, actions: list[Action]) -> list[SystemGroup]:
    """Actions by system and pre-condition, every pre-condition of every system present
    (an empty one offers "Plan an action")."""
    systems, preconditions = rules.plan_scope(diagnostic)
    groups = []
    by_key: dict[tuple[int, int], PreconditionGroup] = {}
    for system in systems:
        rows = []
        for p in preconditions:
            row = PreconditionGroup(precondition=p)
            by_key[(system.pk, p.pk)] = row
            rows.append(row)
        groups.append(SystemGroup(system=system, preconditions=rows))
    for action in actions:
        group = by_key.get((action.system_id, action.precondition_id))
        if group is not None:
            group.actions.append(action)
    return groups


def _plan_context(request: HttpRequest, slug: str) -> dict:
    diagnostic, role, plan = plan_for_reader(request, slug)
    today = rules.today()
    actions = list(plan_actions(diagnostic))
    for action in actions:
        action.overdue = action.is_overdue(today)
    organisations = sorted(
        {(a.lead_organisation_id, a.lead_organisation.name) for a in actions}, key=lambda o: o[1]
    )
    filter_form = PlanFilterForm(request.GET or None, organisations=organisations)
    chosen = filter_form.filters()
    shown = [
        a
        for a in actions
        if (not chosen["status"] or a.status == chosen["status"])
        and (chosen["organisation"] is None or a.lead_organisation_id == chosen["organisation"])
        and (not chosen["overdue"] or a.overdue)
    ]
    filtering = bool(chosen["status"] or chosen["organisation"] or chosen["overdue"])
    return {
        "diagnostic": diagnostic,
        "role": role.value,
        "plan": plan,
        "summary": rules.plan_summary(actions, today),
        "groups": _grouped(diagnostic, shown),
        "filter_form": filter_form,
        "filtering": filtering,
        "shown_count": len(shown),
        "today": today,
        "may_plan": rules.may_plan(role, plan),
        "may_manage": rules.may_manage_settings(role),
        "is_facilitator": role is rules.Role.FACILITATOR,
    }


@never_cache
@login_required
def plan(request: HttpRequest, slug: str) -> HttpResponse:
    return render(request, "actions/plan.html", _plan_context(request, slug))


@never_cache
@login_required
def plan_print(request: HttpRequest, slug: str) -> HttpResponse:
    return render(request, "actions/plan_print.html", _plan_context(request, slug))


@never_cache
@login_required
def plan_csv(request: HttpRequest, slug: str) -> HttpResponse:
    diagnostic, _, _ = plan_for_reader(request, slug)
    buffer = io.StringIO()
    buffer.write("\ufeff")  # a byte-order mark, so Excel reads UTF-8 (as the reports' CSV)
    writer = csv_writer(buffer)
    writer.writerows(action_plan_csv_rows(diagnostic, today=rules.today()))
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        True, f"{diagnostic.slug}-action-plan.csv"
    )
    return response


def _initial_from_query(request: HttpRequest, diagnostic) -> dict:
    """The "Plan an action" link's query (?system=slug&precondition=code&finding=kind)."""
    return plan_action_initial(
        diagnostic,
        system_slug=request.GET.get("system", ""),
        code=request.GET.get("precondition", ""),
        finding=request.GET.get("finding", ""),
    )


@never_cache
@login_required
def action_create(request: HttpRequest, slug: str) -> HttpResponse:
    """Create (facilitators) or propose (steering members, if the round allows)."""
    diagnostic, role, plan_ = plan_for_reader(request, slug)
    if not rules.may_plan(role, plan_):
        raise Http404("No such page")
    proposing = not rules.may_create(role)
    form = ActionForm(
        request.POST or None,
        diagnostic=diagnostic,
        initial=_initial_from_query(request, diagnostic),
        submit_label="Propose action" if proposing else "Add to the plan",
    )
    if request.method == "POST" and form.is_valid():
        action = rules.action_create(
            diagnostic=diagnostic, actor=request.user, role=role, values=form.cleaned_data
        )
        messages.success(
            request,
            "Proposed the action: a facilitator will review it."
            if proposing
            else "Added the action to the plan.",
        )
        return redirect("actions:detail", diagnostic.slug, action.public_id)
    return render(
        request,
        "actions/form.html",
        {
            "diagnostic": diagnostic,
            "form": form,
            "title": "Propose an action" if proposing else "Plan an action",
        },
    )


@never_cache
@login_required
def action_detail(request: HttpRequest, slug: str, public_id: str) -> HttpResponse:
    action, role, plan_ = action_for_reader(request, slug, public_id)
    today = rules.today()
    events = rules.action_history(action)
    return render(
        request,
        "actions/detail.html",
        {
            "diagnostic": action.diagnostic,
            "action": action,
            "overdue": action.is_overdue(today),
            "events": events,
            "may_edit": rules.may_edit(role),
            "may_accept": rules.may_accept(role, action),
            "may_update_status": bool(rules.status_choices_for(role, plan_, action)),
            "is_facilitator": role is rules.Role.FACILITATOR,
        },
    )


@never_cache
@login_required
def action_edit(request: HttpRequest, slug: str, public_id: str) -> HttpResponse:
    action, role, _ = action_for_reader(request, slug, public_id)
    if not rules.may_edit(role):
        raise Http404("No such page")
    diagnostic = action.diagnostic
    initial = {name: getattr(action, name) for name in rules.EDITABLE_FIELDS}
    form = ActionForm(request.POST or None, diagnostic=diagnostic, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = rules.action_edit(
            action=action, actor=request.user, role=role, values=form.cleaned_data
        )
        messages.success(request, "Saved the action." if changes else "Nothing changed.")
        return redirect("actions:detail", diagnostic.slug, action.public_id)
    return render(
        request,
        "actions/form.html",
        {"diagnostic": diagnostic, "form": form, "title": "Edit the action", "action": action},
    )


@never_cache
@login_required
def action_accept(request: HttpRequest, slug: str, public_id: str) -> HttpResponse:
    action, role, _ = action_for_reader(request, slug, public_id)
    if not rules.may_accept(role, action):
        raise Http404("No such page")
    form = AcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        rules.action_accept(
            action=action, actor=request.user, role=role, note=form.cleaned_data["note"]
        )
        messages.success(request, "Accepted the action onto the plan.")
        return redirect("actions:detail", action.diagnostic.slug, action.public_id)
    return render(
        request,
        "actions/form.html",
        {
            "diagnostic": action.diagnostic,
            "form": form,
            "title": "Accept the proposed action",
            "action": action,
        },
    )


@never_cache
@login_required
def action_status(request: HttpRequest, slug: str, public_id: str) -> HttpResponse:
    action, role, plan_ = action_for_reader(request, slug, public_id)
    statuses = rules.status_choices_for(role, plan_, action)
    if not statuses:
        raise Http404("No such page")
    form = StatusForm(request.POST or None, statuses=statuses)
    if request.method == "POST" and form.is_valid():
        rules.action_set_status(
            action=action,
            actor=request.user,
            role=role,
            status=form.cleaned_data["status"],
            note=form.cleaned_data["note"],
        )
        messages.success(request, f"The action is now {action.get_status_display().lower()}.")
        return redirect("actions:detail", action.diagnostic.slug, action.public_id)
    return render(
        request,
        "actions/form.html",
        {
            "diagnostic": action.diagnostic,
            "form": form,
            "title": "Update the status",
            "action": action,
        },
    )


@never_cache
@login_required
def plan_settings(request: HttpRequest, slug: str) -> HttpResponse:
    diagnostic, role, plan_ = plan_for_reader(request, slug)
    if not rules.may_manage_settings(role):
        raise Http404("No such page")
    form = SettingsForm(
        request.POST or None,
        initial={
            "steering_may_propose": plan_.steering_may_propose,
            "steering_may_update_status": plan_.steering_may_update_status,
            "partner_summary": plan_.partner_summary_published,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        rules.settings_update(diagnostic=diagnostic, actor=request.user, role=role, values=data)
        rules.partner_summary_publish(
            diagnostic=diagnostic, actor=request.user, role=role, publish=data["partner_summary"]
        )
        messages.success(request, "Saved the action plan settings.")
        return redirect("actions:plan", diagnostic.slug)
    return render(
        request,
        "actions/form.html",
        {"diagnostic": diagnostic, "form": form, "title": "Action plan settings"},
    )


@never_cache
def partner_summary(request: HttpRequest, public_id: str) -> HttpResponse:
    invitation, diagnostic = summary_for_partner(request, public_id)
    return render(
        request,
        "actions/partner_summary.html",
        {
            "invitation": invitation,
            "diagnostic": diagnostic,
            "actions": rules.partner_summary_actions(diagnostic),
        },
    )
