"""Review at the next round: the earlier round's actions per system and pre-condition,
and the narrative sentences from the medians the report passes in."""

from __future__ import annotations

import datetime

import pytest

from actions.models import Status
from actions.review import (
    REVIEW_CAVEAT,
    MedianChange,
    ReviewedAction,
    previous_round_actions,
    review_rows,
    review_sentences,
)

from .action_factories import make_action, make_plan_world
from .factories import make_diagnostic, make_place, make_system


@pytest.fixture
def rounds(framework):
    world = make_plan_world(framework)
    earlier = world.diagnostic
    later = make_diagnostic(earlier.place, framework, systems=[world.system])
    return world, earlier, later


def test_it_lists_the_earlier_rounds_actions_for_the_later_rounds_systems(rounds):
    world, earlier, later = rounds
    make_action(world, title="Register", code="H", status=Status.DONE)
    make_action(world, title="Workshop", code="H", status=Status.IN_PROGRESS)
    make_action(world, title="Never accepted", code="H", status=Status.PROPOSED)
    make_action(world, title="Other system", code="H", system=world.other_system)
    make_action(world, title="This round", code="A", diagnostic=later)
    found = previous_round_actions(later, earlier)
    assert list(found) == [(world.system.slug, "H")]
    assert [(a.title, a.status, a.status_label) for a in found[(world.system.slug, "H")]] == [
        ("Register", "done", "Done"),
        ("Workshop", "in_progress", "In progress"),
    ]
    assert found[(world.system.slug, "H")][0].lead_organisation == "Council"


def test_no_earlier_round_or_another_places_round_gives_nothing(rounds, framework):
    world, earlier, later = rounds
    make_action(world)
    assert previous_round_actions(later, None) == {}
    elsewhere = make_diagnostic(make_place(), framework, systems=[make_system(make_place())])
    assert previous_round_actions(elsewhere, earlier) == {}
    assert previous_round_actions(earlier, earlier) == {}


def test_it_costs_one_query(rounds, django_assert_num_queries):
    world, earlier, later = rounds
    for code in "ABCDE":
        make_action(world, code=code)
    with django_assert_num_queries(1):
        previous_round_actions(later, earlier)


def _action(status: str) -> ReviewedAction:
    return ReviewedAction(
        title="t",
        status=status,
        status_label=status,
        lead_organisation="Council",
        due_on=datetime.date(2026, 1, 1),
    )


def _change(code: str, before, after, system="hh") -> MedianChange:
    return MedianChange(
        system_slug=system,
        system_name="Homelessness",
        code=code,
        title=f"Title {code}",
        previous_median=before,
        current_median=after,
    )


def test_sentences_name_completed_actions_without_movement_and_movement_without_action():
    reviews = {
        ("hh", "H"): [_action("done"), _action("done")],
        ("hh", "E"): [_action("done")],
        ("hh", "G"): [_action("in_progress")],
    }
    changes = [
        _change("H", 2.0, 2.0),  # two done, no movement
        _change("E", 3.0, 4.0),  # done and moved: nothing to say here (the table shows it)
        _change("F", 2.0, 3.0),  # moved, no action
        _change("G", 3.0, 3.0),  # not done, no movement: nothing
        _change("I", 3.0, 2.0),  # fell, no action
        _change("A", None, 3.0),  # no earlier median: nothing
    ]
    sentences = review_sentences(reviews, changes)
    assert sentences == [
        "H. Title H in Homelessness: 2 actions were completed, but the median did not move "
        "(2 then 2).",
        "F. Title F in Homelessness: the median rose from 2 to 3 with no action planned for it.",
        "I. Title I in Homelessness: the median fell from 3 to 2 with no action planned for it.",
        REVIEW_CAVEAT,
    ]


def test_the_threshold_for_movement_is_the_reports(rounds):
    changes = [_change("F", 2.0, 2.5)]
    assert review_sentences({}, changes, movement_min=0.5) != []
    assert review_sentences({}, changes, movement_min=1.0) == []
    assert review_sentences({}, []) == []


def test_review_rows_put_actions_beside_each_change_in_the_reports_order():
    reviews = {("hh", "H"): [_action("done")]}
    rows = review_rows(reviews, [_change("A", 2.0, 3.0), _change("H", 2.0, 2.0)])
    assert [(r.code, r.change, len(r.actions)) for r in rows] == [("A", 1.0, 0), ("H", 0.0, 1)]
    # The medians themselves travel too: the report shows "2 then 3".
    assert [(r.previous_median, r.current_median) for r in rows] == [(2.0, 3.0), (2.0, 2.0)]
