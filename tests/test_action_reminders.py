"""Reminders for named leads: which actions are due one, and never twice; queued in the
outbox (an idempotency key per action and due date) and sent by its worker."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from actions import reminders
from actions.models import ActionEvent, Status
from actions.reminders import actions_due_for_reminder, remind_action_leads, reminder_key
from outbox.delivery import deliver_due
from outbox.models import Kind, OutboxEmail

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


def test_a_reminder_is_queued_once_sent_by_the_outbox_and_audited(world):
    action = _remindable(world)
    assert remind_action_leads(today=TODAY) == 1
    assert remind_action_leads(today=TODAY + datetime.timedelta(days=1)) == 0
    assert mail.outbox == []  # queued, not sent by the command
    [queued] = OutboxEmail.objects.all()
    assert queued.kind == Kind.ACTION_REMINDER
    assert queued.idempotency_key == f"action-reminder:{action.public_id}:2030-06-08"
    assert queued.recipient == "lead@example.org" and queued.invitation is None
    assert deliver_due().sent == 1
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
    assert deliver_due().sent == 2
    assert len(mail.outbox) == 2


def test_a_failed_queueing_is_not_marked_and_is_tried_again(world, monkeypatch):
    _remindable(world)

    def broken(action):
        raise OSError("database hiccup")

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
    assert "Queued 1 reminder for the outbox to send." in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("remind_action_leads", "--today", "tomorrow")


def test_the_outbox_key_stops_a_second_reminder_for_the_same_due_date(world):
    """Were the action's mark lost (restored from a backup, edited by hand), the outbox
    still holds one reminder per action and due date."""
    action = _remindable(world)
    assert remind_action_leads(today=TODAY) == 1
    action.__class__.objects.filter(pk=action.pk).update(reminded_for_due_on=None)
    remind_action_leads(today=TODAY)
    assert OutboxEmail.objects.filter(idempotency_key=reminder_key(action)).count() == 1
    assert deliver_due().sent == 1


def test_a_relay_that_is_down_is_retried_by_the_outbox(world, settings):
    _remindable(world)
    remind_action_leads(today=TODAY)
    settings.EMAIL_BACKEND = "tests.test_action_reminders.DownBackend"
    report = deliver_due()
    assert report.relay_down and report.retrying == 1
    assert OutboxEmail.objects.get().status == "retrying"


class DownBackend:
    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        raise OSError("Connection refused")

    def close(self):
        pass

    def send_messages(self, messages):
        raise OSError("Connection refused")
