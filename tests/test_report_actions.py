"""The action plan in the report (issue 13): "Plan an action" beside each pre-condition
and each question, the review at the next round, the board paper's section and the
JSON export's ``actions`` lists."""

from __future__ import annotations

import datetime
import io
import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from actions.links import plan_action_url
from actions.models import ActionPlanSettings, Status
from actions.review import REVIEW_CAVEAT
from reports.models import Release
from reports.releases import release_publish
from surveys.diagnostics import diagnostic_close
from surveys.models import Diagnostic

from .action_factories import make_action
from .factories import (
    make_diagnostic,
    make_organisation,
    make_place,
    make_response,
    make_system,
    make_user,
)

CODES = "ABCDEFGHI"


def add_responses(diagnostic, system, organisation, scores: dict[str, int], count: int = 6):
    for i in range(count):
        make_response(
            diagnostic,
            system,
            {code: scores.get(code, 3) for code in CODES},
            organisation=organisation,
            role=("manager", "frontline")[i % 2],
        )


class World:
    pass


@pytest.fixture
def world(framework):
    """Two rounds of one place. Round 1 (closed, final release) planned three actions for
    housing; round 2 (an interim release) moved F with no action, left H where it was
    although its action was done, and moved E, whose action was done too."""
    w = World()
    w.facilitator, w.steering, w.newcomer, w.outsider = (
        make_user(name) for name in ("fran", "sam", "nia", "otto")
    )
    w.place = make_place("Northbridge", facilitators=[w.facilitator])
    make_place("Elsewhere", facilitators=[w.outsider])
    w.housing = make_system(w.place, "Homelessness and housing")
    w.council = make_organisation(w.place, "public", "Northbridge Council")
    w.earlier = make_diagnostic(w.place, framework, systems=[w.housing], title="Round 1")
    Diagnostic.objects.filter(pk=w.earlier.pk).update(
        created_at=w.earlier.created_at.replace(year=2020)
    )
    w.earlier.refresh_from_db()
    w.earlier.steering_members.add(w.steering)
    add_responses(w.earlier, w.housing, w.council, {"E": 2, "F": 2, "H": 2})
    w.diagnostic = make_diagnostic(w.place, framework, systems=[w.housing], title="Round 2")
    w.diagnostic.steering_members.add(w.steering, w.newcomer)
    add_responses(w.diagnostic, w.housing, w.council, {"E": 3, "F": 4, "H": 2})
    ActionPlanSettings.objects.create(diagnostic=w.diagnostic, steering_may_propose=True)
    w.system = w.housing
    w.other_system = w.housing
    w.organisation = w.council
    w.risk = make_action(
        w,
        code="H",
        title="A shared risk register",
        status=Status.DONE,
        diagnostic=w.earlier,
        lead_name="Lee Named",
    )
    w.contract = make_action(
        w, code="E", title="One contract", status=Status.DONE, diagnostic=w.earlier
    )
    make_action(w, code="A", title="Never accepted", status=Status.PROPOSED, diagnostic=w.earlier)
    diagnostic_close(diagnostic=w.earlier, actor=None)  # the final release
    release_publish(diagnostic=w.diagnostic, kind=Release.Kind.INTERIM, actor=None)
    return w


def page(user, url: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def report_url(w) -> str:
    return reverse("reports:diagnostic", args=[w.diagnostic.slug])


def hrefs(content: str, prefix: str) -> list[str]:
    return [
        href.replace("&amp;", "&")
        for href in re.findall(r'href="([^"]+)"', content)
        if href.startswith(prefix)
    ]


# --- "Plan an action" -------------------------------------------------------------------


def test_facilitators_get_plan_an_action_beside_each_precondition_prefilled(world):
    content = page(world.facilitator, report_url(world))
    create = reverse("actions:create", args=[world.diagnostic.slug])
    links = hrefs(content, create + "?")
    for code in CODES:
        assert any(
            link.startswith(plan_action_url(world.diagnostic.slug, world.housing.slug, code))
            for link in links
        ), code
    assert content.count(">Plan an action<span") >= len(CODES)
    assert "Propose an action" not in content

    # The link opens the form with the system, the pre-condition and the finding chosen.
    f_link = next(link for link in links if "precondition=F" in link)
    form = page(world.facilitator, f_link)
    f_pk = world.diagnostic.framework.preconditions.get(code="F").pk
    assert re.search(rf'<option value="{f_pk}" selected', form)
    assert re.search(rf'<option value="{world.housing.pk}" selected', form)
    # A pre-condition the report finds weak carries its finding into the form.
    gap = next(link for link in links if "finding=gap" in link)
    assert re.search(r'<option value="gap" selected', page(world.facilitator, gap))


def test_steering_members_propose_where_the_round_allows_it(world):
    content = page(world.steering, report_url(world))
    assert content.count(">Propose an action<span") >= len(CODES)
    assert "Plan an action<span" not in content

    ActionPlanSettings.objects.filter(diagnostic=world.diagnostic).update(
        steering_may_propose=False
    )
    content = page(world.steering, report_url(world))
    assert not hrefs(content, reverse("actions:create", args=[world.diagnostic.slug]))
    assert "Propose an action" not in content


def test_each_question_for_the_steering_group_has_its_link_with_the_finding(world):
    content = page(world.steering, report_url(world))
    questions = content[content.index('id="questions"') :]
    links = hrefs(questions, reverse("actions:create", args=[world.diagnostic.slug]))
    assert links and all("finding=question" in link for link in links)
    assert "on the questions about" in questions


def test_the_system_page_has_the_links_too(world):
    url = reverse("reports:system", args=[world.diagnostic.slug, world.housing.slug])
    content = page(world.facilitator, url)
    links = hrefs(content, reverse("actions:create", args=[world.diagnostic.slug]))
    assert {re.search(r"precondition=(\w)", link).group(1) for link in links} == set(CODES)


def test_the_report_never_writes_the_plan_settings(world):
    ActionPlanSettings.objects.all().delete()
    page(world.steering, report_url(world))
    assert not ActionPlanSettings.objects.exists()


# --- the review at the next round -----------------------------------------------------


def review_of(content: str) -> str:
    start = content.index('id="review"')
    return content[start : content.index('id="chart-switcher"')]


def test_the_later_report_shows_what_we_did_and_what_moved(world):
    review = review_of(page(world.facilitator, report_url(world)))
    assert "What we did, and what moved" in review
    assert REVIEW_CAVEAT in review
    h_row = next(row for row in review.split("<tr") if "A shared risk register" in row)
    assert "2 then 2: no change" in h_row and "(done;" in h_row
    e_row = next(row for row in review.split("<tr") if "One contract" in row)
    assert "2 then 3: up 1" in e_row
    f_row = next(row for row in review.split("<tr") if ">F</span>" in row)
    assert "2 then 4: up 2" in f_row and "None" in f_row
    assert "Never accepted" not in review
    assert "Lee Named" not in review  # named leads stay on the plan
    # The narrative names both kinds.
    assert "an action was completed, but the median did not move" in review
    assert "the median rose from 2 to 4 with no action planned for it" in review


def test_a_steering_member_who_may_not_read_the_earlier_round_sees_no_review(world):
    content = page(world.newcomer, report_url(world))
    assert 'id="review"' not in content
    assert "A shared risk register" not in content
    # One who was in both rounds does.
    assert "A shared risk register" in page(world.steering, report_url(world))


def test_no_review_without_a_final_release_of_the_earlier_round(world):
    Release.objects.filter(diagnostic=world.earlier).delete()
    content = page(world.facilitator, report_url(world))
    assert 'id="review"' not in content and "A shared risk register" not in content


def test_the_system_page_shows_its_review(world):
    url = reverse("reports:system", args=[world.diagnostic.slug, world.housing.slug])
    content = page(world.steering, url)
    assert "What we did, and what moved" in content
    assert "A shared risk register" in content and REVIEW_CAVEAT in content


def test_the_report_costs_the_same_queries_however_many_actions(world):
    client = Client()
    client.force_login(world.facilitator)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(report_url(world)).status_code == 200
        return len(captured)

    before = queries()
    for code in "BCDFGI":
        make_action(world, code=code, status=Status.IN_PROGRESS, diagnostic=world.earlier)
        make_action(world, code=code, diagnostic=world.diagnostic)
    assert queries() == before


# --- board paper and JSON -------------------------------------------------------------


def pdf_text(user, w) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("reports:pdf", args=[w.diagnostic.slug]))
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_the_board_paper_has_this_rounds_plan_and_the_review(world):
    make_action(
        world,
        code="F",
        title="Strengths-based training",
        diagnostic=world.diagnostic,
        due_on=datetime.date(2020, 1, 1),
        lead_name="Pat Named",
    )
    make_action(
        world, code="G", title="Just an idea", status=Status.PROPOSED, diagnostic=world.diagnostic
    )
    text = pdf_text(world.steering, world)
    plan = text[text.rindex("Action plan") :]
    assert "Strengths-based training" in plan and "(overdue)" in plan
    assert "Just an idea" not in plan
    assert "Pat Named" not in text and "Lee Named" not in text
    assert "What we did, and what moved" in plan
    assert "A shared risk register" in plan
    assert "a change is not proof that an action caused it" in plan


def test_the_board_paper_of_a_newcomer_has_no_review(world):
    text = pdf_text(world.newcomer, world)
    assert "What we did, and what moved" not in text
    assert "A shared risk register" not in text


def test_the_json_export_lists_each_systems_actions(world):
    make_action(world, code="F", title="Strengths-based training", diagnostic=world.diagnostic)
    client = Client()
    client.force_login(world.steering)
    response = client.get(reverse("reports:export", args=[world.diagnostic.slug, "json"]))
    [system] = json.loads(response.content)["systems"]
    assert [a["title"] for a in system["actions"]] == ["Strengths-based training"]
    assert set(system["actions"][0]) == {
        "id",
        "precondition",
        "finding",
        "title",
        "what_will_be_done",
        "lead_organisation",
        "due_on",
        "status",
        "overdue",
    }
