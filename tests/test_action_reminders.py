"""Reminders for named leads: which actions are due one, and never twice."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from actions import reminders
from actions.models import ActionEvent, Status
from actions.reminders import actions_due_for_reminder, remind_action_leads

from .action_factories import make_action, make_plan_world

TODAY = datetime.date(2030, 6, 1)


@pytest.fixture
def world(framework):
    return make_plan_world(framework)


def _remindable(world, **extra):
    values = {
        "remind_lead": True,
        "lead_email": "lead@example.org",
        "lead_name": "Sam Lead",
        "due_on": TODAY + datetime.timedelta(days=7),
        **extra,
    }
    return make_action(world, **values)


def test_only_open_actions_due_within_a_week_with_an_address_and_consent(world):
    due = _remindable(world, title="Due in a week")
    due_today = _remindable(world, due_on=TODAY, title="Due today")
    _remindable(world, due_on=TODAY + datetime.timedelta(days=8))
    _remindable(world, due_on=TODAY - datetime.timedelta(days=1))
    _remindable(world, status=Status.DONE)
    _remindable(world, status=Status.PROPOSED)
    _remindable(world, lead_email="")
    _remindable(world, remind_lead=False)
    assert list(actions_due_for_reminder(TODAY)) == [due_today, due]


def test_a_reminder_is_sent_once_and_audited(world):
    action = _remindable(world)
    assert remind_action_leads(today=TODAY) == 1
    assert remind_action_leads(today=TODAY + datetime.timedelta(days=1)) == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["lead@example.org"]
    assert action.title in message.subject
    assert "Dear Sam Lead" in message.body
    event = ActionEvent.objects.get(action=action)
    assert event.kind == "reminded" and event.changes == {"due_on": "2030-06-08"}


def test_moving_the_due_date_earns_one_reminder_for_the_new_date(world):
    action = _remindable(world)
    remind_action_leads(today=TODAY)
    action.due_on = TODAY + datetime.timedelta(days=30)
    action.save()
    assert remind_action_leads(today=TODAY + datetime.timedelta(days=25)) == 1
    assert remind_action_leads(today=TODAY + datetime.timedelta(days=26)) == 0
    assert len(mail.outbox) == 2


def test_a_failed_send_is_not_marked_and_is_tried_again(world, monkeypatch):
    _remindable(world)

    def broken(action):
        raise OSError("SMTP down")

    monkeypatch.setattr(reminders, "deliver_reminder", broken)
    with pytest.raises(OSError):
        remind_action_leads(today=TODAY)
    assert list(actions_due_for_reminder(TODAY)) != []
    assert not ActionEvent.objects.exists()
    monkeypatch.undo()
    assert remind_action_leads(today=TODAY) == 1


def test_the_command_sends_and_reports(world, capsys):
    _remindable(world)
    call_command("remind_action_leads", "--today", TODAY.isoformat())
    assert "Sent 1 reminder." in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("remind_action_leads", "--today", "tomorrow")
