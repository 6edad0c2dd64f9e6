"""The action plan's CSV and the ``actions`` lists for the JSON export."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.test import Client
from django.urls import reverse

from actions.exports import CSV_HEADER, action_plan_csv_rows, actions_for_json
from actions.models import Action, ActionEvent, Status

from .action_factories import make_action, make_plan_world

TODAY = datetime.date(2030, 7, 1)


@pytest.fixture
def world(framework):
    return make_plan_world(framework)


def test_csv_has_one_row_per_action_with_its_last_note(world):
    action = make_action(world, title="Register", lead_name="Sam Lead", finding="gap")
    for note in ("first", "latest"):
        ActionEvent.objects.create(
            diagnostic=world.diagnostic, action=action, kind="status_changed", note=note
        )
    make_action(world, title="Proposal", status=Status.PROPOSED, due_on=datetime.date(2030, 8, 1))
    rows = list(action_plan_csv_rows(world.diagnostic, today=TODAY))
    assert rows[0] == CSV_HEADER
    register = dict(zip(CSV_HEADER, rows[1], strict=True))
    assert register["title"] == "Register"
    assert register["precondition"] == "H"
    assert register["finding"] == "gap"
    assert register["named_lead"] == "Sam Lead"
    assert register["overdue"] == "yes"  # due 2030-06-01, still planned on 2030-07-01
    assert register["last_note"] == "latest"
    assert dict(zip(CSV_HEADER, rows[2], strict=True))["status"] == "proposed"
    assert len(rows) == 3


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(world):
    make_action(world, title='=HYPERLINK("http://x")')
    rows = list(action_plan_csv_rows(world.diagnostic, today=TODAY))
    assert rows[1][CSV_HEADER.index("title")] == '\'=HYPERLINK("http://x")'


def test_the_csv_download_is_an_attachment(world):
    make_action(world, title="Register")
    client = Client()
    client.force_login(world.steering)
    response = client.get(reverse("actions:csv", args=[world.diagnostic.slug]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == CSV_HEADER and rows[1][3] == "Register"


def test_the_csv_download_uses_the_shared_rule_after_separators_and_in_full_width(world):
    """The same rule as the report's CSVs (preconditions.csvsafe): a formula after a
    separator inside the text, after leading spaces, or in full-width forms never runs."""
    action = make_action(world, title="Good work;=cmd|' /C calc'!A0")
    Action.objects.filter(pk=action.pk).update(description="  ＝1+1")
    client = Client()
    client.force_login(world.facilitator)
    response = client.get(reverse("actions:csv", args=[world.diagnostic.slug]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    row = dict(zip(CSV_HEADER, rows[1], strict=True))
    assert row["title"] == "Good work;'=cmd|' /C calc'!A0"
    assert row["what_will_be_done"] == "'  ＝1+1"


def test_json_lists_accepted_actions_per_system_without_named_leads(world):
    make_action(world, title="Register", lead_name="Sam Lead", lead_email="sam@example.org")
    make_action(world, title="Waiting", status=Status.PROPOSED)
    make_action(world, title="Finished", status=Status.DONE, system=world.other_system, code="A")
    result = actions_for_json(world.diagnostic, today=TODAY)
    assert set(result) == {world.system.slug, world.other_system.slug}
    [register] = result[world.system.slug]
    assert register["title"] == "Register"
    assert register["overdue"] is True
    assert register["status"] == "planned"
    assert register["precondition"] == "H"
    assert register["due_on"] == "2030-06-01"
    assert register["finding"] is None
    assert "Sam Lead" not in str(result) and "sam@example.org" not in str(result)
    assert [a["title"] for a in result[world.other_system.slug]] == ["Finished"]
    assert result[world.other_system.slug][0]["overdue"] is False


def test_json_gives_every_system_a_list_even_when_empty(world):
    assert actions_for_json(world.diagnostic, today=TODAY) == {
        world.system.slug: [],
        world.other_system.slug: [],
    }
