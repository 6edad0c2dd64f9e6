"""Demo data: an action plan for the earlier Northbridge round, so the current round's
report can show the review ("what we did, and what moved").

Called as ``seed_demo_actions(earlier_round, current_round)`` by the demo's seeding once
both rounds exist (see surveys/demo.py for the place, its systems and organisations).
The actions are written so that the review has each case to show: a completed action
beside a clear rise (trust in homelessness, E), a completed action with no movement
(risk in homelessness, H), an action still in progress, a dropped one, an overdue one,
and a rise with no action behind it (strengths-based working in homelessness, F).
Everything is invented; no action names anyone who answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils.text import slugify

from actions.models import Action, ActionEvent, ActionPlanSettings, FindingKind, Status
from surveys.models import Diagnostic

HH = slugify("Homelessness and housing")
FMN = slugify("Families with multiple needs")
MH = slugify("Mental health crisis care")


@dataclass(frozen=True)
class DemoAction:
    system: str
    code: str
    finding: str
    title: str
    description: str
    organisation: str
    lead_name: str
    due_days: int  # after the earlier round closed
    # (status, days after the round closed, note), in order; the first is the creation.
    history: tuple[tuple[str, int, str], ...]


DEMO_ACTIONS = (
    DemoAction(
        HH,
        "E",
        FindingKind.QUESTION,
        "One contract for homelessness services, with shared outcomes",
        "Replace the five separate hostel and outreach contracts with one contract held "
        "jointly by the providers, with outcomes agreed with people who use the services.",
        "Northbridge City Council: Commissioning",
        "Head of Commissioning",
        150,
        (
            (Status.PLANNED, 7, "Agreed at the steering group."),
            (Status.IN_PROGRESS, 30, "Providers' consortium formed; tender drafted together."),
            (Status.DONE, 140, "The single contract started on time."),
        ),
    ),
    DemoAction(
        HH,
        "H",
        FindingKind.GAP,
        "A shared risk panel for hostel placements",
        "Meet fortnightly to agree placements for people others have turned away, sharing "
        "the risk rather than passing it on.",
        "Kestrel Supported Housing",
        "",
        90,
        (
            (Status.PLANNED, 7, "Agreed at the steering group."),
            (Status.IN_PROGRESS, 21, "First panel met."),
            (Status.DONE, 95, "Panel running fortnightly; terms of reference published."),
        ),
    ),
    DemoAction(
        HH,
        "C",
        FindingKind.LOW_VISIBILITY,
        "Publish a map of the homelessness system",
        "Map who does what, from prevention to resettlement, and publish it for partners.",
        "Northbridge Council for Voluntary Service",
        "",
        120,
        ((Status.PLANNED, 10, "Agreed at the steering group."),),
    ),
    DemoAction(
        MH,
        "H",
        FindingKind.MULTIPLIER,
        "A joint risk protocol for A&E and the crisis team",
        "Agree who holds the risk when someone in crisis leaves A&E, so it is not passed "
        "back and forth.",
        "Northbridge Mental Health NHS Foundation Trust",
        "Clinical Director, crisis services",
        400,
        (
            (Status.PLANNED, 7, "Agreed at the steering group."),
            (Status.IN_PROGRESS, 60, "Draft protocol with both teams for comment."),
        ),
    ),
    DemoAction(
        FMN,
        "I",
        FindingKind.GAP,
        "Lead professionals hand over cases to the family's chosen worker",
        "Let the worker a family trusts most take the lead, whatever their organisation.",
        "Northbridge City Council: Early Help",
        "",
        180,
        (
            (Status.PLANNED, 7, "Agreed at the steering group."),
            (
                Status.DROPPED,
                80,
                "Dropped for now: case-holding rules need changing first; "
                "raised with the safeguarding partnership.",
            ),
        ),
    ),
    DemoAction(
        FMN,
        "G",
        FindingKind.CONTESTED,
        "Rotate the chair of the families partnership",
        "Each partner chairs for six months, so leadership is shared and seen to be.",
        "Bridges Family Support",
        "",
        60,
        (
            (Status.PLANNED, 7, "Agreed at the steering group."),
            (Status.DONE, 70, "Chair now rotates; the voluntary sector chairs first."),
        ),
    ),
)


def _at(closed: datetime, days: int) -> datetime:
    return closed + timedelta(days=days)


def seed_demo_actions(earlier_round: Diagnostic, current_round: Diagnostic) -> int:
    """Write the earlier round's action plan unless it has one; returns how many actions
    were made. The current round gets its settings (steering members may propose) and no
    actions: its plan is for the people trying the demo to make."""
    if Action.objects.filter(diagnostic=earlier_round).exists():
        return 0
    closed = earlier_round.closed_at or earlier_round.created_at + timedelta(days=45)
    facilitator = earlier_round.place.facilitators.order_by("pk").first()
    systems = {s.slug: s for s in earlier_round.systems.all()}
    preconditions = {p.code: p for p in earlier_round.framework.preconditions.all()}
    organisations = {o.name: o for o in earlier_round.place.organisations.all()}
    with transaction.atomic():
        ActionPlanSettings.objects.get_or_create(
            diagnostic=earlier_round,
            defaults={"steering_may_propose": True, "steering_may_update_status": True},
        )
        ActionPlanSettings.objects.get_or_create(diagnostic=current_round)
        events = []
        for item in DEMO_ACTIONS:
            first_status, first_day, _ = item.history[0]
            last_status, last_day, _ = item.history[-1]
            due: date = _at(closed, item.due_days).date()
            action = Action.objects.create(
                diagnostic=earlier_round,
                system=systems[item.system],
                precondition=preconditions[item.code],
                finding=item.finding,
                title=item.title,
                description=item.description,
                lead_organisation=organisations[item.organisation],
                lead_name=item.lead_name,
                due_on=due,
                status=last_status,
                created_by=facilitator,
                created_at=_at(closed, first_day),
                updated_at=_at(closed, last_day),
            )
            previous = ""
            for status, day, note in item.history:
                events.append(
                    ActionEvent(
                        diagnostic=earlier_round,
                        action=action,
                        actor=facilitator,
                        kind=ActionEvent.Kind.CREATED
                        if not previous
                        else ActionEvent.Kind.STATUS_CHANGED,
                        from_status=previous,
                        to_status=status,
                        note=note,
                        created_at=_at(closed, day),
                    )
                )
                previous = status
        ActionEvent.objects.bulk_create(events)
    return len(DEMO_ACTIONS)
