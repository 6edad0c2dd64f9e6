"""How the action-plan views reach their objects: one helper per object that checks
permission and owns the query shape. Partners and outsiders get 404, as everywhere."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from surveys.access import diagnostic_for_reader, invitation_for_partner
from surveys.models import Diagnostic, Invitation

from .models import Action, ActionPlanSettings
from .rules import Role, plan_settings


def plan_for_reader(request: HttpRequest, slug: str) -> tuple[Diagnostic, Role, ActionPlanSettings]:
    """The round, the reader's role in it and its action-plan settings; 404 for anyone
    who may not read the round's reports."""
    if not request.user.is_authenticated:
        raise Http404("No such diagnostic")
    diagnostic, is_facilitator = diagnostic_for_reader(request, slug)
    role = Role.FACILITATOR if is_facilitator else Role.STEERING
    return diagnostic, role, plan_settings(diagnostic)


def action_for_reader(
    request: HttpRequest, slug: str, public_id: str
) -> tuple[Action, Role, ActionPlanSettings]:
    diagnostic, role, plan = plan_for_reader(request, slug)
    action = (
        Action.objects.select_related("system", "precondition", "lead_organisation", "created_by")
        .filter(diagnostic=diagnostic, public_id=public_id)
        .first()
    )
    if action is None:
        raise Http404("No such action")
    action.diagnostic = diagnostic  # already fetched with its place
    return action, role, plan


def summary_for_partner(request: HttpRequest, public_id: str) -> tuple[Invitation, Diagnostic]:
    """The round whose published action summary this partner's browser may read."""
    invitation = invitation_for_partner(request, public_id)
    diagnostic = invitation.diagnostic
    published = ActionPlanSettings.objects.filter(
        diagnostic=diagnostic, partner_summary_published_at__isnull=False
    ).exists()
    if not published:
        raise Http404("No published action summary")
    return invitation, diagnostic
