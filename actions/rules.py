"""Every rule of the action plan: who may do what, how an action changes, what is overdue.

Views call these and nothing else writes actions; every write also writes an
``ActionEvent`` (who, when, what changed), in the same transaction.

Who:
- facilitators of the place create, edit, accept, drop and close actions, choose the
  round's settings and publish the partner summary;
- steering members of the round read the plan; they propose actions when the round's
  ``steering_may_propose`` is on, and move an action between planned, in progress and
  done when ``steering_may_update_status`` is on (dropping one is a facilitator's call);
- partners read only the published partner summary; everyone else sees nothing (404).
"""

from __future__ import annotations

import datetime
import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from preconditions.models import Precondition
from surveys.models import Diagnostic, Invitation, System

from .models import (
    OPEN_STATUSES,
    Action,
    ActionEvent,
    ActionPlanSettings,
    Status,
)


class Role(enum.Enum):
    FACILITATOR = "facilitator"
    STEERING = "steering"


class ActionRuleError(Exception):
    """An attempted change the rules do not allow (the views turn it into a 404 or a form
    error before it gets here; this is the last line)."""


# --- who may do what -------------------------------------------------------------------


def plan_settings(diagnostic: Diagnostic) -> ActionPlanSettings:
    """The round's settings, made with their defaults the first time they are asked for."""
    found, _ = ActionPlanSettings.objects.get_or_create(diagnostic=diagnostic)
    return found


def plan_settings_for_reading(diagnostic: Diagnostic) -> ActionPlanSettings:
    """The round's settings without writing anything: the defaults (unsaved) when none
    were chosen yet. For pages that only read, such as the report's "Plan an action"
    links."""
    found = ActionPlanSettings.objects.filter(diagnostic=diagnostic).first()
    return found or ActionPlanSettings(diagnostic=diagnostic)


def may_create(role: Role) -> bool:
    return role is Role.FACILITATOR


def may_propose(role: Role, plan: ActionPlanSettings) -> bool:
    return role is Role.STEERING and plan.steering_may_propose


def may_plan(role: Role, plan: ActionPlanSettings) -> bool:
    """Whether the "Plan an action" page is open to this reader (to create or propose)."""
    return may_create(role) or may_propose(role, plan)


def may_edit(role: Role) -> bool:
    return role is Role.FACILITATOR


def may_accept(role: Role, action: Action) -> bool:
    return role is Role.FACILITATOR and action.status == Status.PROPOSED


def status_choices_for(role: Role, plan: ActionPlanSettings, action: Action) -> list[str]:
    """The statuses this reader may move this action to (empty: no status page)."""
    if action.status == Status.PROPOSED:
        return []  # a proposal is accepted (or dropped by editing) first
    if role is Role.FACILITATOR:
        allowed = [Status.PLANNED, Status.IN_PROGRESS, Status.DONE, Status.DROPPED]
    elif role is Role.STEERING and plan.steering_may_update_status:
        if action.status == Status.DROPPED:
            return []
        allowed = [Status.PLANNED, Status.IN_PROGRESS, Status.DONE]
    else:
        return []
    return [str(s) for s in allowed if s != action.status]


def may_manage_settings(role: Role) -> bool:
    return role is Role.FACILITATOR


# --- overdue and the summary -----------------------------------------------------------


def today() -> datetime.date:
    return timezone.localdate()


@dataclass(frozen=True)
class PlanSummary:
    """Counts at the top of the action plan. Never a score of the place."""

    proposed: int
    planned: int
    in_progress: int
    done: int
    dropped: int
    overdue: int

    @property
    def total(self) -> int:
        return self.proposed + self.planned + self.in_progress + self.done + self.dropped


def plan_summary(actions: Iterable[Action], on: datetime.date) -> PlanSummary:
    counts = {str(s): 0 for s in Status}
    overdue = 0
    for action in actions:
        counts[action.status] += 1
        overdue += action.is_overdue(on)
    return PlanSummary(
        proposed=counts[Status.PROPOSED],
        planned=counts[Status.PLANNED],
        in_progress=counts[Status.IN_PROGRESS],
        done=counts[Status.DONE],
        dropped=counts[Status.DROPPED],
        overdue=overdue,
    )


# --- what an action's text may say -----------------------------------------------------

_MIN_NAME_LENGTH = 4


def names_in_text(diagnostic: Diagnostic, text: str) -> list[str]:
    """Names of people invited to any round of this place (or respondents' labels from an
    import) that appear in `text`. Actions may be read by the whole steering group and,
    summarised, by partners: they must not quote evidence with a name, so a name of a
    respondent is refused. The named lead has a field of its own."""
    if not text.strip():
        return []
    names = set(
        Invitation.objects.filter(diagnostic__place_id=diagnostic.place_id)
        .exclude(name="")
        .values_list("name", flat=True)
    )
    names |= set(
        diagnostic.place.diagnostics.filter(responses__respondent_label__gt="").values_list(
            "responses__respondent_label", flat=True
        )
    )
    found = []
    folded = text.casefold()
    for name in sorted(names):
        name = name.strip()
        if len(name) < _MIN_NAME_LENGTH:
            continue
        if re.search(rf"(?<!\w){re.escape(name.casefold())}(?!\w)", folded):
            found.append(name)
    return found


# --- changes ---------------------------------------------------------------------------

EDITABLE_FIELDS = (
    "system",
    "precondition",
    "finding",
    "title",
    "description",
    "lead_organisation",
    "lead_name",
    "lead_email",
    "remind_lead",
    "due_on",
)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def plan_scope(diagnostic: Diagnostic) -> tuple[list[System], list[Precondition]]:
    """What a plan is laid out by: the round's systems and the framework's pre-conditions,
    each in their usual order. Two queries."""
    return list(diagnostic.systems.all()), list(diagnostic.framework.preconditions.all())


def action_history(action: Action) -> QuerySet[ActionEvent]:
    """The action's events with who did each (the model's order): one query."""
    return ActionEvent.objects.filter(action=action).select_related("actor")


def action_create(
    *, diagnostic: Diagnostic, actor, role: Role, values: Mapping[str, Any]
) -> Action:
    """A facilitator's new action goes on the plan as planned; a steering member's is a
    proposal waiting for a facilitator."""
    plan = plan_settings(diagnostic)
    if may_create(role):
        status, kind = Status.PLANNED, ActionEvent.Kind.CREATED
    elif may_propose(role, plan):
        status, kind = Status.PROPOSED, ActionEvent.Kind.PROPOSED
    else:
        raise ActionRuleError("This reader may not plan actions for this round")
    fields = {name: values[name] for name in EDITABLE_FIELDS if name in values}
    with transaction.atomic():
        action = Action.objects.create(
            diagnostic=diagnostic, status=status, created_by=actor, **fields
        )
        ActionEvent.objects.create(
            diagnostic=diagnostic, action=action, actor=actor, kind=kind, to_status=status
        )
    return action


def action_edit(*, action: Action, actor, role: Role, values: Mapping[str, Any]) -> dict:
    """Apply a facilitator's edit; returns what changed (field -> [old, new])."""
    if not may_edit(role):
        raise ActionRuleError("Only facilitators edit actions")
    changes: dict[str, list[str]] = {}
    for name in EDITABLE_FIELDS:
        if name not in values:
            continue
        old, new = getattr(action, name), values[name]
        if old != new:
            changes[name] = [_as_text(old), _as_text(new)]
            setattr(action, name, new)
    if not changes:
        return changes
    action.updated_at = timezone.now()
    with transaction.atomic():
        action.save()
        ActionEvent.objects.create(
            diagnostic_id=action.diagnostic_id,
            action=action,
            actor=actor,
            kind=ActionEvent.Kind.EDITED,
            changes=changes,
        )
    return changes


def action_accept(*, action: Action, actor, role: Role, note: str = "") -> None:
    if not may_accept(role, action):
        raise ActionRuleError("Only a facilitator accepts a proposal")
    _move(action, actor=actor, to=Status.PLANNED, note=note, kind=ActionEvent.Kind.ACCEPTED)


def action_set_status(*, action: Action, actor, role: Role, status: str, note: str) -> None:
    """Move an action to `status` with a dated note (the event's date)."""
    plan = plan_settings(action.diagnostic)
    if status not in status_choices_for(role, plan, action):
        raise ActionRuleError(f"This reader may not move the action to {status}")
    if not note.strip():
        raise ActionRuleError("A status change needs a note")
    _move(action, actor=actor, to=status, note=note, kind=ActionEvent.Kind.STATUS_CHANGED)


def _move(action: Action, *, actor, to: str, note: str, kind: str) -> None:
    with transaction.atomic():
        # Locked so that two people changing the status at once each record the status
        # they really moved from.
        current = Action.objects.select_for_update().get(pk=action.pk)
        ActionEvent.objects.create(
            diagnostic_id=action.diagnostic_id,
            action=action,
            actor=actor,
            kind=kind,
            from_status=current.status,
            to_status=to,
            note=note.strip(),
        )
        action.status = to
        action.updated_at = timezone.now()
        Action.objects.filter(pk=action.pk).update(status=to, updated_at=action.updated_at)


SETTING_FIELDS = ("steering_may_propose", "steering_may_update_status")


def settings_update(
    *, diagnostic: Diagnostic, actor, role: Role, values: Mapping[str, bool]
) -> dict:
    if not may_manage_settings(role):
        raise ActionRuleError("Only facilitators change the action plan settings")
    plan = plan_settings(diagnostic)
    changes = {}
    for name in SETTING_FIELDS:
        if name in values and getattr(plan, name) != values[name]:
            changes[name] = [_as_text(getattr(plan, name)), _as_text(values[name])]
            setattr(plan, name, values[name])
    if changes:
        with transaction.atomic():
            plan.save(update_fields=list(changes))
            ActionEvent.objects.create(
                diagnostic=diagnostic,
                actor=actor,
                kind=ActionEvent.Kind.SETTINGS_CHANGED,
                changes=changes,
            )
    return changes


def partner_summary_publish(*, diagnostic: Diagnostic, actor, role: Role, publish: bool) -> bool:
    """Publish (or withdraw) the summary partners may read; returns whether it changed."""
    if not may_manage_settings(role):
        raise ActionRuleError("Only facilitators publish the partner summary")
    plan = plan_settings(diagnostic)
    if plan.partner_summary_published == publish:
        return False
    plan.partner_summary_published_at = timezone.now() if publish else None
    with transaction.atomic():
        plan.save(update_fields=["partner_summary_published_at"])
        ActionEvent.objects.create(
            diagnostic=diagnostic,
            actor=actor,
            kind=ActionEvent.Kind.SUMMARY_PUBLISHED
            if publish
            else ActionEvent.Kind.SUMMARY_WITHDRAWN,
        )
    return True


def partner_summary_actions(diagnostic: Diagnostic):
    """What partners read once the summary is published: accepted actions that are not
    dropped, without named leads or their addresses."""
    return (
        Action.objects.filter(diagnostic=diagnostic, status__in=[*OPEN_STATUSES, Status.DONE])
        .select_related("system", "precondition", "lead_organisation")
        .only(
            "title",
            "description",
            "status",
            "due_on",
            "system__name",
            "precondition__code",
            "precondition__title",
            "lead_organisation__name",
        )
    )
