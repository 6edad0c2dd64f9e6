"""Action-plan pages: create and propose, accept, status, edit, settings, filters, the
partner summary, and constant queries per page at two sizes."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions.models import Action, ActionEvent, Status
from surveys.invitations import invitation_token

from .action_factories import make_action, make_plan_world
from .factories import make_invitation, make_system


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post_data(world, **extra):
    return {
        "system": world.system.pk,
        "precondition": world.diagnostic.framework.preconditions.get(code="H").pk,
        "finding": "question",
        "title": "Shared risk register",
        "description": "Agree one risk register across partners.",
        "lead_organisation": world.organisation.pk,
        "lead_name": "Sam Lead",
        "lead_email": "",
        "due_on_0": "1",
        "due_on_1": "3",
        "due_on_2": "2030",
        **extra,
    }


@pytest.fixture
def world(framework):
    return make_plan_world(framework, update_status=True)


def test_the_plan_an_action_link_preselects_system_precondition_and_finding(world):
    url = reverse("actions:create", args=[world.diagnostic.slug])
    response = _client(world.facilitator).get(
        f"{url}?system={world.system.slug}&precondition=C&finding=low_visibility"
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["system"] == world.system
    assert form.initial["precondition"].code == "C"
    assert form.initial["finding"] == "low_visibility"


def test_unknown_query_values_preselect_nothing(world):
    url = reverse("actions:create", args=[world.diagnostic.slug])
    response = _client(world.facilitator).get(f"{url}?system=nope&precondition=Z&finding=x")
    assert response.context["form"].initial == {}


def test_a_facilitator_creates_an_action_on_the_plan(world):
    url = reverse("actions:create", args=[world.diagnostic.slug])
    response = _client(world.facilitator).post(url, _post_data(world))
    action = Action.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "actions:detail", args=[world.diagnostic.slug, action.public_id]
    )
    assert (action.status, action.due_on, action.finding) == (
        "planned",
        datetime.date(2030, 3, 1),
        "question",
    )
    assert action.created_by == world.facilitator


def test_a_steering_member_proposes_and_a_facilitator_accepts(world):
    url = reverse("actions:create", args=[world.diagnostic.slug])
    page = _client(world.steering).get(url)
    assert "Propose action" in page.content.decode()
    _client(world.steering).post(url, _post_data(world))
    action = Action.objects.get()
    assert action.status == Status.PROPOSED
    accept = reverse("actions:accept", args=[world.diagnostic.slug, action.public_id])
    assert _client(world.steering).post(accept, {"note": ""}).status_code == 404
    assert _client(world.facilitator).post(accept, {"note": "Agreed"}).status_code == 302
    action.refresh_from_db()
    assert action.status == Status.PLANNED
    assert list(action.events.values_list("kind", flat=True)) == ["proposed", "accepted"]


def test_steering_members_get_404_when_the_round_does_not_let_them_propose(framework):
    world = make_plan_world(framework, propose=False)
    url = reverse("actions:create", args=[world.diagnostic.slug])
    assert _client(world.steering).get(url).status_code == 404
    assert _client(world.steering).post(url, _post_data(world)).status_code == 404
    assert not Action.objects.exists()


def test_the_form_shows_an_error_summary_for_a_date_that_does_not_exist(world):
    url = reverse("actions:create", args=[world.diagnostic.slug])
    response = _client(world.facilitator).post(
        url, _post_data(world, due_on_0="31", due_on_1="2", title="")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "govuk-error-summary" in html
    assert '<a href="#id_title" dir="auto">Enter a title</a>' in html
    assert "The due date must be a real date" in html
    assert 'class="govuk-date-input"' in html
    assert response.context["form"].errors["due_on"]
    assert not Action.objects.exists()


def test_a_missing_part_of_the_date_is_named(world):
    url = reverse("actions:create", args=[world.diagnostic.slug])
    response = _client(world.facilitator).post(url, _post_data(world, due_on_1=""))
    assert "The due date must include a month" in response.context["form"].errors["due_on"]


def test_a_reminder_needs_an_address(world):
    url = reverse("actions:create", args=[world.diagnostic.slug])
    response = _client(world.facilitator).post(url, _post_data(world, remind_lead="on"))
    assert response.context["form"].errors["lead_email"] == [
        "Enter the named lead's email address for a reminder"
    ]


def test_action_text_naming_a_respondent_is_refused(world):
    make_invitation(world.diagnostic, organisation=world.organisation, name="Amira Khan")
    url = reverse("actions:create", args=[world.diagnostic.slug])
    response = _client(world.facilitator).post(
        url, _post_data(world, description="Amira Khan said nobody takes risks")
    )
    assert response.status_code == 200
    assert "Remove the name Amira Khan" in response.context["form"].errors["description"][0]
    assert not Action.objects.exists()


def test_status_page_needs_a_note_and_records_the_change(world):
    action = make_action(world)
    url = reverse("actions:status", args=[world.diagnostic.slug, action.public_id])
    client = _client(world.steering)
    response = client.post(url, {"status": "in_progress", "note": ""})
    assert response.context["form"].errors["note"] == ["Enter a note about the change"]
    response = client.post(url, {"status": "dropped", "note": "No"})
    assert "status" in response.context["form"].errors  # steering members cannot drop
    assert client.post(url, {"status": "in_progress", "note": "Workshop booked"}).status_code == 302
    action.refresh_from_db()
    assert action.status == "in_progress"
    detail = client.get(reverse("actions:detail", args=[world.diagnostic.slug, action.public_id]))
    assert "Workshop booked" in detail.content.decode()


def test_edit_is_for_facilitators_and_is_audited(world):
    action = make_action(world, title="Old")
    url = reverse("actions:edit", args=[world.diagnostic.slug, action.public_id])
    assert _client(world.steering).get(url).status_code == 404
    response = _client(world.facilitator).post(url, _post_data(world, title="New"))
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.title == "New"
    assert ActionEvent.objects.get(action=action, kind="edited").changes["title"] == ["Old", "New"]


def test_settings_page_saves_and_audits(world):
    url = reverse("actions:settings", args=[world.diagnostic.slug])
    assert _client(world.steering).get(url).status_code == 404
    response = _client(world.facilitator).post(url, {"partner_summary": "on"})
    assert response.status_code == 302
    kinds = set(ActionEvent.objects.values_list("kind", flat=True))
    assert kinds == {"settings_changed", "summary_published"}
    world.diagnostic.action_plan_settings.refresh_from_db()
    assert not world.diagnostic.action_plan_settings.steering_may_propose


def test_the_plan_filters_by_status_organisation_and_overdue(world):
    make_action(world, title="Late one", due_on=datetime.date(2020, 1, 1))
    make_action(world, title="Shelter one", organisation=world.other_organisation)
    make_action(world, title="Done one", status=Status.DONE)
    url = reverse("actions:plan", args=[world.diagnostic.slug])
    client = _client(world.steering)

    def titles(query: dict) -> set[str]:
        response = client.get(url, query)
        return {
            a.title for g in response.context["groups"] for p in g.preconditions for a in p.actions
        }

    assert titles({}) == {"Late one", "Shelter one", "Done one"}
    assert titles({"status": "done"}) == {"Done one"}
    assert titles({"organisation": world.other_organisation.pk}) == {"Shelter one"}
    assert titles({"overdue": "on"}) == {"Late one"}
    assert titles({"status": "bogus", "overdue": "on"}) == {"Late one"}
    page = client.get(url).content.decode()
    assert "Overdue" in page and "govuk-tag--red" in page
    summary = client.get(url, {"status": "done"}).context["summary"]
    assert (summary.planned, summary.done, summary.overdue) == (2, 1, 1)  # never filtered


def _partner_client(invitation) -> Client:
    client = Client()
    assert client.get(f"/i/{invitation_token(invitation)}/").status_code == 302
    return client


def test_partners_read_the_summary_only_once_published(world):
    invitation = make_invitation(world.diagnostic, organisation=world.organisation)
    make_action(world, title="Shared register", lead_name="Sam Lead")
    url = reverse("actions:partner_summary", args=[invitation.public_id])
    client = _partner_client(invitation)
    assert client.get(url).status_code == 404
    plan = world.diagnostic.action_plan_settings
    plan.partner_summary_published_at = plan.diagnostic.created_at
    plan.save()
    page = client.get(url)
    assert page.status_code == 200
    assert "Shared register" in page.content.decode()
    assert "Sam Lead" not in page.content.decode()
    assert client.get(reverse("actions:plan", args=[world.diagnostic.slug])).status_code == 302


def _fill(world, n: int) -> None:
    systems = [world.system, world.other_system]
    for i in range(n):
        action = make_action(
            world,
            code="ABCDEFGHI"[i % 9],
            system=systems[i % 2],
            organisation=[world.organisation, world.other_organisation][i % 2],
        )
        ActionEvent.objects.create(
            diagnostic=world.diagnostic, action=action, kind="status_changed", note=f"n{i}"
        )


@pytest.mark.parametrize("name", ["actions:plan", "actions:print", "actions:csv"])
def test_plan_pages_make_the_same_number_of_queries_at_two_sizes(name, framework):
    counts = []
    for size in (2, 30):
        world = make_plan_world(framework)
        make_system(world.diagnostic.place)  # a system outside the round is not listed
        _fill(world, size)
        client = _client(world.facilitator)
        url = reverse(name, args=[world.diagnostic.slug])
        client.get(url)  # settings made, session warmed
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_the_detail_page_makes_the_same_number_of_queries_whatever_the_history(framework):
    counts = []
    for size in (1, 25):
        world = make_plan_world(framework)
        action = make_action(world)
        for i in range(size):
            ActionEvent.objects.create(
                diagnostic=world.diagnostic,
                action=action,
                actor=world.facilitator,
                kind="status_changed",
                note=f"n{i}",
            )
        client = _client(world.facilitator)
        url = reverse("actions:detail", args=[world.diagnostic.slug, action.public_id])
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
