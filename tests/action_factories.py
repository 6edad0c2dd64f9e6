"""Builders for action-plan tests: a round with a facilitator, a steering member and an
outsider, and actions made directly (the rules are tested through actions.rules)."""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass

from actions.models import Action, ActionPlanSettings, Status
from surveys.models import Diagnostic, Organisation, System

from .factories import make_diagnostic, make_organisation, make_place, make_system, make_user

_counter = itertools.count(1)


@dataclass
class PlanWorld:
    diagnostic: Diagnostic
    system: System
    other_system: System
    organisation: Organisation
    other_organisation: Organisation
    facilitator: object
    steering: object
    outsider: object


def make_plan_world(framework, *, propose=True, update_status=False) -> PlanWorld:
    n = next(_counter)
    facilitator, steering, outsider = (make_user(f"{who}{n}") for who in ("fac", "steer", "out"))
    place = make_place(facilitators=[facilitator])
    make_place(facilitators=[outsider])
    system, other_system = make_system(place, "Homelessness"), make_system(place, "Families")
    diagnostic = make_diagnostic(place, framework, systems=[system, other_system])
    diagnostic.steering_members.add(steering)
    ActionPlanSettings.objects.create(
        diagnostic=diagnostic,
        steering_may_propose=propose,
        steering_may_update_status=update_status,
    )
    return PlanWorld(
        diagnostic=diagnostic,
        system=system,
        other_system=other_system,
        organisation=make_organisation(place, "public", "Council"),
        other_organisation=make_organisation(place, "voluntary", "Night Shelter"),
        facilitator=facilitator,
        steering=steering,
        outsider=outsider,
    )


def make_action(
    world: PlanWorld,
    *,
    code: str = "H",
    system: System | None = None,
    status: str = Status.PLANNED,
    due_on: datetime.date = datetime.date(2030, 6, 1),
    organisation: Organisation | None = None,
    title: str | None = None,
    diagnostic: Diagnostic | None = None,
    **extra,
) -> Action:
    diagnostic = diagnostic or world.diagnostic
    return Action.objects.create(
        diagnostic=diagnostic,
        system=system or world.system,
        precondition=diagnostic.framework.preconditions.get(code=code),
        title=title or f"Action {next(_counter)}",
        description="Hold a shared workshop on risk.",
        lead_organisation=organisation or world.organisation,
        due_on=due_on,
        status=status,
        **extra,
    )
