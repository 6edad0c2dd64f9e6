"""The demo's action plan for the earlier Northbridge round feeds the review."""

from __future__ import annotations

import pytest

from actions.models import Action, Status
from actions.review import REVIEW_CAVEAT, MedianChange, previous_round_actions, review_sentences
from demo.actions import DEMO_ACTIONS, seed_demo_actions
from demo.northbridge import CURRENT_TITLE, PREVIOUS_TITLE, demo_seed
from surveys.models import Diagnostic


@pytest.fixture
def rounds(framework):
    demo_seed()
    return Diagnostic.objects.get(title=PREVIOUS_TITLE), Diagnostic.objects.get(title=CURRENT_TITLE)


def test_the_earlier_round_gets_an_action_plan_once(rounds):
    earlier, current = rounds  # demo_seed has written the plan already
    assert seed_demo_actions(earlier, current) == 0
    assert Action.objects.filter(diagnostic=earlier).count() == len(DEMO_ACTIONS)
    assert not Action.objects.filter(diagnostic=current).exists()
    statuses = set(Action.objects.values_list("status", flat=True))
    assert {Status.DONE, Status.IN_PROGRESS, Status.PLANNED, Status.DROPPED} <= statuses
    for action in Action.objects.all():
        assert action.events.first().kind == "created"
        assert action.events.last().to_status == action.status


def test_the_current_rounds_review_shows_the_earlier_actions(rounds):
    earlier, current = rounds
    seed_demo_actions(earlier, current)
    assert current.previous_round() == earlier
    review = previous_round_actions(current, earlier)
    done = [a.title for a in review[("homelessness-and-housing", "E")]]
    assert done == ["One contract for homelessness services, with shared outcomes"]
    assert ("homelessness-and-housing", "F") not in review  # movement with no action
    assert len(review) == len(DEMO_ACTIONS)


def test_the_demo_review_has_each_kind_of_sentence(rounds):
    """Through the report's own medians (as reports.actionplan does): trust rose with an
    action done, risk did not move although its action was done, strengths-based working
    rose with no action."""
    from reports.releases import reader_view

    earlier, current = rounds
    seed_demo_actions(earlier, current)
    facilitator = current.place.facilitators.get()
    summary = reader_view(
        current, user=facilitator, is_facilitator=True, requested=None, include_evidence=False
    ).summary
    assert summary is not None
    changes = [
        MedianChange(
            system_slug=system.slug,
            system_name=system.name,
            code=p.code,
            title=p.title,
            previous_median=p.previous.median if p.previous else None,
            current_median=p.overall.median if p.overall else None,
        )
        for system in summary.systems
        for p in system.preconditions
    ]
    sentences = review_sentences(previous_round_actions(current, earlier), changes)
    text = "\n".join(sentences)
    assert "H. Resilient & risk embracing in Homelessness and housing: an action was " in text
    assert "F. Strengths based in Homelessness and housing: the median rose" in text
    assert sentences[-1] == REVIEW_CAVEAT


def test_the_current_rounds_report_page_shows_the_review(rounds, client):
    """The demo's point: the facilitator opens this round's report and sees what was
    done after the earlier round beside what moved."""
    from django.urls import reverse

    earlier, current = rounds
    client.force_login(current.place.facilitators.get())
    content = client.get(reverse("reports:diagnostic", args=[current.slug])).content.decode()
    assert "What we did, and what moved" in content
    assert "One contract for homelessness services, with shared outcomes" in content
    assert REVIEW_CAVEAT in content
