"""actions.rules: who may do what, every change audited, overdue and the summary."""

from __future__ import annotations

import datetime

import pytest

from actions import rules
from actions.models import Action, ActionEvent, Status
from actions.rules import ActionRuleError, Role

from .action_factories import make_action, make_plan_world
from .factories import make_invitation

F, S = Role.FACILITATOR, Role.STEERING


@pytest.fixture
def world(framework):
    return make_plan_world(framework)


def _values(world, **extra):
    return {
        "system": world.system,
        "precondition": world.diagnostic.framework.preconditions.get(code="H"),
        "finding": "gap",
        "title": "Shared risk register",
        "description": "Agree one risk register across partners.",
        "lead_organisation": world.organisation,
        "lead_name": "",
        "lead_email": "",
        "remind_lead": False,
        "due_on": datetime.date(2030, 3, 1),
        **extra,
    }


def test_a_facilitators_action_goes_on_the_plan_and_is_audited(world):
    action = rules.action_create(
        diagnostic=world.diagnostic, actor=world.facilitator, role=F, values=_values(world)
    )
    assert action.status == Status.PLANNED
    event = ActionEvent.objects.get(action=action)
    assert (event.kind, event.actor, event.to_status) == ("created", world.facilitator, "planned")


def test_a_steering_members_action_is_a_proposal_when_the_round_allows(world):
    action = rules.action_create(
        diagnostic=world.diagnostic, actor=world.steering, role=S, values=_values(world)
    )
    assert action.status == Status.PROPOSED
    assert ActionEvent.objects.get(action=action).kind == "proposed"


def test_steering_members_cannot_propose_when_the_round_does_not_allow_it(framework):
    world = make_plan_world(framework, propose=False)
    with pytest.raises(ActionRuleError):
        rules.action_create(
            diagnostic=world.diagnostic, actor=world.steering, role=S, values=_values(world)
        )
    assert not Action.objects.exists()
    assert not rules.may_plan(S, rules.plan_settings(world.diagnostic))


def test_only_facilitators_accept_edit_and_change_settings(world):
    proposal = make_action(world, status=Status.PROPOSED)
    plan = rules.plan_settings(world.diagnostic)
    assert rules.may_accept(F, proposal) and not rules.may_accept(S, proposal)
    assert rules.may_edit(F) and not rules.may_edit(S)
    assert rules.may_manage_settings(F) and not rules.may_manage_settings(S)
    with pytest.raises(ActionRuleError):
        rules.action_accept(action=proposal, actor=world.steering, role=S)
    with pytest.raises(ActionRuleError):
        rules.action_edit(action=proposal, actor=world.steering, role=S, values={"title": "x"})
    with pytest.raises(ActionRuleError):
        rules.settings_update(diagnostic=world.diagnostic, actor=world.steering, role=S, values={})
    assert plan.steering_may_propose


def test_accepting_a_proposal_puts_it_on_the_plan_with_a_dated_note(world):
    proposal = make_action(world, status=Status.PROPOSED)
    rules.action_accept(action=proposal, actor=world.facilitator, role=F, note="Agreed at board")
    proposal.refresh_from_db()
    assert proposal.status == Status.PLANNED
    event = ActionEvent.objects.get(action=proposal, kind="accepted")
    assert (event.from_status, event.to_status) == ("proposed", "planned")
    assert event.note == "Agreed at board"


def test_a_proposal_has_no_status_page_until_accepted(world):
    proposal = make_action(world, status=Status.PROPOSED)
    plan = rules.plan_settings(world.diagnostic)
    assert rules.status_choices_for(F, plan, proposal) == []


def test_status_changes_need_a_note_and_record_from_and_to(world):
    action = make_action(world)
    with pytest.raises(ActionRuleError):
        rules.action_set_status(
            action=action, actor=world.facilitator, role=F, status="in_progress", note="  "
        )
    rules.action_set_status(
        action=action, actor=world.facilitator, role=F, status="in_progress", note="Started"
    )
    action.refresh_from_db()
    assert action.status == "in_progress"
    event = ActionEvent.objects.get(action=action, kind="status_changed")
    assert (event.from_status, event.to_status, event.note, event.actor) == (
        "planned",
        "in_progress",
        "Started",
        world.facilitator,
    )


def test_steering_members_update_status_only_when_allowed_and_never_drop(framework):
    denied = make_plan_world(framework, update_status=False)
    action = make_action(denied)
    assert rules.status_choices_for(S, rules.plan_settings(denied.diagnostic), action) == []
    with pytest.raises(ActionRuleError):
        rules.action_set_status(
            action=action, actor=denied.steering, role=S, status="done", note="Done"
        )

    allowed = make_plan_world(framework, update_status=True)
    action = make_action(allowed)
    choices = rules.status_choices_for(S, rules.plan_settings(allowed.diagnostic), action)
    assert choices == ["in_progress", "done"]
    with pytest.raises(ActionRuleError):
        rules.action_set_status(
            action=action, actor=allowed.steering, role=S, status="dropped", note="No"
        )
    rules.action_set_status(
        action=action, actor=allowed.steering, role=S, status="done", note="Finished"
    )
    action.refresh_from_db()
    assert action.status == "done"
    facilitator_choices = rules.status_choices_for(
        F, rules.plan_settings(allowed.diagnostic), action
    )
    assert facilitator_choices == ["planned", "in_progress", "dropped"]


def test_an_edit_records_what_changed_and_nothing_when_nothing_did(world):
    action = make_action(world, title="Old title")
    changes = rules.action_edit(
        action=action,
        actor=world.facilitator,
        role=F,
        values={"title": "New title", "due_on": datetime.date(2031, 1, 2)},
    )
    assert changes == {"title": ["Old title", "New title"], "due_on": ["2030-06-01", "2031-01-02"]}
    event = ActionEvent.objects.get(action=action, kind="edited")
    assert event.changes == changes and event.actor == world.facilitator
    assert (
        rules.action_edit(
            action=action, actor=world.facilitator, role=F, values={"title": "New title"}
        )
        == {}
    )
    assert ActionEvent.objects.filter(action=action, kind="edited").count() == 1


def test_settings_and_publishing_are_audited(world):
    changes = rules.settings_update(
        diagnostic=world.diagnostic,
        actor=world.facilitator,
        role=F,
        values={"steering_may_propose": False, "steering_may_update_status": True},
    )
    assert changes == {
        "steering_may_propose": ["True", "False"],
        "steering_may_update_status": ["False", "True"],
    }
    assert rules.partner_summary_publish(
        diagnostic=world.diagnostic, actor=world.facilitator, role=F, publish=True
    )
    assert not rules.partner_summary_publish(
        diagnostic=world.diagnostic, actor=world.facilitator, role=F, publish=True
    )
    kinds = list(
        ActionEvent.objects.filter(diagnostic=world.diagnostic).values_list("kind", flat=True)
    )
    assert kinds == ["settings_changed", "summary_published"]
    assert rules.plan_settings(world.diagnostic).partner_summary_published


def test_overdue_means_still_open_and_past_its_due_date(world):
    today = datetime.date(2030, 6, 2)
    due_yesterday = make_action(world, due_on=datetime.date(2030, 6, 1))
    due_today = make_action(world, due_on=today)
    done_late = make_action(world, due_on=datetime.date(2030, 1, 1), status=Status.DONE)
    proposal_late = make_action(world, due_on=datetime.date(2030, 1, 1), status=Status.PROPOSED)
    in_progress_late = make_action(
        world, due_on=datetime.date(2030, 1, 1), status=Status.IN_PROGRESS
    )
    assert due_yesterday.is_overdue(today) and in_progress_late.is_overdue(today)
    assert not due_today.is_overdue(today)
    assert not done_late.is_overdue(today) and not proposal_late.is_overdue(today)
    assert set(Action.objects.overdue(today)) == {due_yesterday, in_progress_late}
    summary = rules.plan_summary(Action.objects.all(), today)
    assert (summary.proposed, summary.planned, summary.in_progress, summary.done) == (1, 2, 1, 1)
    assert summary.overdue == 2 and summary.total == 5


def test_names_of_respondents_are_found_in_action_text(world):
    make_invitation(world.diagnostic, organisation=world.organisation, name="Amira Khan")
    assert rules.names_in_text(world.diagnostic, "As amira khan said, risk is avoided") == [
        "Amira Khan"
    ]
    assert rules.names_in_text(world.diagnostic, "Amira Khanum leads it") == []
    assert rules.names_in_text(world.diagnostic, "Hold a workshop") == []


def test_the_partner_summary_leaves_out_proposals_dropped_actions_and_named_leads(world):
    shown = make_action(world, title="Shown", lead_name="Sam Lead")
    make_action(world, title="Proposal", status=Status.PROPOSED)
    make_action(world, title="Dropped", status=Status.DROPPED)
    actions = list(rules.partner_summary_actions(world.diagnostic))
    assert [a.title for a in actions] == ["Shown"]
    assert "lead_name" in actions[0].get_deferred_fields()
    assert shown.lead_name == "Sam Lead"
