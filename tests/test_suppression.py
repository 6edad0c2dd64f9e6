"""Anonymity suppression: the pure rule, and how the summary applies it.

The rule (reports/aggregate/suppression.py, docs/reports.md): a cell below k is hidden;
if the hidden cells of a breakdown hold fewer than k ratings (but some), the next
smallest cells are hidden too, until they hold at least k or every cell is hidden.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from reports.aggregate import ROLES, SECTORS, diagnostic_summary, suppressed_cells
from reports.releases import reader_view, release_publish
from surveys.diagnostics import diagnostic_close
from tests.factories import (
    make_diagnostic,
    make_place,
    make_response,
    make_responses,
    make_system,
)

# --- the pure rule -------------------------------------------------------------------


def test_it_hides_nothing_when_every_cell_meets_the_minimum():
    assert suppressed_cells({"public": 5, "private": 6, "voluntary": 9}, 5) == set()


def test_it_hides_a_sector_below_the_minimum_and_the_next_smallest_to_protect_it():
    ns = {"public": 10, "private": 3, "voluntary": 8, "citizen": 0}
    assert suppressed_cells(ns, 5) == {"private", "voluntary"}


def test_two_small_sectors_that_sum_below_the_minimum_hide_a_third():
    ns = {"public": 10, "private": 2, "voluntary": 2, "citizen": 8}
    assert suppressed_cells(ns, 5) == {"private", "voluntary", "citizen"}


def test_two_small_sectors_that_together_reach_the_minimum_need_no_third():
    ns = {"public": 10, "private": 3, "voluntary": 3, "citizen": 8}
    assert suppressed_cells(ns, 5) == {"private", "voluntary"}


def test_cells_without_ratings_are_no_data_and_need_no_protecting():
    ns = {"public": 10, "private": 0, "voluntary": 7, "citizen": 0}
    assert suppressed_cells(ns, 5) == set()


def test_it_hides_every_cell_when_all_of_them_are_small():
    assert suppressed_cells({"public": 2, "private": 1, "citizen": 0}, 5) == {"public", "private"}


def test_ties_for_the_next_smallest_are_broken_in_the_order_given():
    ns = {"public": 10, "private": 2, "voluntary": 7, "citizen": 7}
    assert suppressed_cells(ns, 5) == {"private", "voluntary"}


def test_a_never_shown_cell_counts_toward_the_hidden_total():
    # Two people gave no role: with "senior" hidden too, the 2 cannot be worked out.
    ns = {"manager": 10, "senior": 7, "frontline": 9, "": 2}
    assert suppressed_cells(ns, 5, never_shown=[""]) == {"", "senior"}


def test_a_large_never_shown_cell_already_protects_a_small_one():
    ns = {"manager": 10, "senior": 3, "": 6}
    assert suppressed_cells(ns, 5, never_shown=[""]) == {"", "senior"}


@given(
    ns=st.dictionaries(st.sampled_from(SECTORS + ROLES), st.integers(0, 30), max_size=9),
    k=st.integers(3, 12),
)
def test_no_group_below_the_minimum_can_be_seen_or_worked_out(ns, k):
    hidden = suppressed_cells(ns, k)
    shown = {cell for cell, n in ns.items() if n > 0 and cell not in hidden}
    with_data = {cell for cell, n in ns.items() if n > 0}
    hidden_total = sum(ns[cell] for cell in hidden)

    assert all(ns[cell] >= k for cell in shown)
    assert all(ns[cell] > 0 for cell in hidden)
    assert hidden_total == 0 or hidden_total >= k or hidden == with_data


# --- the summary ---------------------------------------------------------------------


def one_system_diagnostic(framework, *, min_group_size: int = 3, created_at=None):
    place = make_place()
    system = make_system(place, "Homelessness")
    extra = {"created_at": created_at} if created_at else {}
    diagnostic = make_diagnostic(
        place, framework, systems=[system], min_group_size=min_group_size, **extra
    )
    return diagnostic, system


def precondition(summary, code: str, system_index: int = 0):
    return next(p for p in summary.systems[system_index].preconditions if p.code == code)


def test_the_summary_hides_a_small_sector_and_the_next_smallest(framework):
    diagnostic, system = one_system_diagnostic(framework, min_group_size=3)
    make_responses(diagnostic, system, [{"A": 4}] * 5, sector="public")
    make_responses(diagnostic, system, [{"A": 2}] * 4, sector="voluntary")
    make_responses(diagnostic, system, [{"A": 1}] * 2, sector="private")

    a = precondition(diagnostic_summary(diagnostic), "A")

    assert a.by_sector["public"] is not None
    assert a.by_sector["public"].n == 5
    assert a.by_sector["private"] is None
    assert a.by_sector["voluntary"] is None
    assert a.by_sector["citizen"] is None
    assert a.overall.n == 11  # the total is still shown


def test_the_summary_hides_a_third_sector_when_two_small_ones_sum_below_k(framework):
    diagnostic, system = one_system_diagnostic(framework, min_group_size=5)
    make_responses(diagnostic, system, [{"A": 4}] * 8, sector="public")
    make_responses(diagnostic, system, [{"A": 2}] * 2, sector="private")
    make_responses(diagnostic, system, [{"A": 3}] * 2, sector="voluntary")
    make_responses(diagnostic, system, [{"A": 1}] * 6, sector="citizen")

    summary = diagnostic_summary(diagnostic)
    a = precondition(summary, "A")

    assert [sector for sector, stats in a.by_sector.items() if stats is not None] == ["public"]
    # Fewer than two sectors shown: nothing to compare.
    assert a.sector_divergence is None
    assert summary.systems[0].respondents_by_sector == {
        "public": 8,
        "private": None,
        "voluntary": None,
        "citizen": None,
    }


def test_sector_respondent_counts_show_empty_sectors_as_zero(framework):
    diagnostic, system = one_system_diagnostic(framework, min_group_size=3)
    make_responses(diagnostic, system, [{"A": 4}] * 3, sector="public")
    make_responses(diagnostic, system, [{"A": 4}] * 4, sector="citizen")

    counts = diagnostic_summary(diagnostic).systems[0].respondents_by_sector

    assert counts == {"public": 3, "private": 0, "voluntary": 0, "citizen": 4}


def test_a_sector_where_everyone_said_dont_know_is_no_data(framework):
    diagnostic, system = one_system_diagnostic(framework, min_group_size=3)
    make_responses(diagnostic, system, [{"A": 4}] * 3, sector="public")
    make_responses(diagnostic, system, [{"A": 2}] * 3, sector="private")
    make_responses(diagnostic, system, [{"A": None}] * 3, sector="citizen")

    a = precondition(diagnostic_summary(diagnostic), "A")

    assert a.by_sector["citizen"] is None
    assert a.by_sector["public"] is not None
    assert a.by_sector["private"] is not None
    assert a.overall.dont_know == 3


def test_people_without_a_role_count_toward_the_hidden_roles(framework):
    diagnostic, system = one_system_diagnostic(framework, min_group_size=3)
    make_responses(diagnostic, system, [{"A": 4}] * 5, role="manager")
    make_responses(diagnostic, system, [{"A": 3}] * 4, role="senior")
    make_responses(diagnostic, system, [{"A": 1}] * 2, role="")

    a = precondition(diagnostic_summary(diagnostic), "A")

    # 2 with no role are never shown; hiding "senior" too stops 11 - 5 - 4 giving them away.
    assert a.by_role["manager"] is not None
    assert a.by_role["senior"] is None
    assert set(a.by_role) == set(ROLES)


def test_a_system_with_fewer_respondents_than_k_is_hidden_entirely(framework):
    diagnostic, system = one_system_diagnostic(framework, min_group_size=5)
    make_responses(
        diagnostic, system, [{"A": 4, "E": 2}] * 4, sector="public"
    )  # 4 people, 4 ratings each code

    summary = diagnostic_summary(diagnostic)
    hidden = summary.systems[0]

    assert hidden.suppressed is True
    assert hidden.respondents == 4
    assert hidden.vision_median is None
    assert hidden.behaviours_median is None
    assert hidden.respondents_by_sector == dict.fromkeys(SECTORS)
    for p in hidden.preconditions:
        assert p.overall is None
        assert p.by_sector == dict.fromkeys(SECTORS)
        assert p.by_role == dict.fromkeys(ROLES)
        assert p.sector_divergence is None
        assert p.previous is None
        assert p.change_in_median is None
        assert p.evidence == []


def test_a_hidden_system_shows_no_evidence(framework):
    diagnostic, system = one_system_diagnostic(framework, min_group_size=3)
    make_response(diagnostic, system, {"A": 4}, evidence={"A": "Only two of us said this"})
    make_response(diagnostic, system, {"A": 4})

    assert precondition(diagnostic_summary(diagnostic), "A").evidence == []


# --- comparison with the previous round ----------------------------------------------


def compared(earlier, later):
    """The later round as a facilitator reads it: the earlier round closed (its final
    release made), the later one released; rounds are compared from their releases."""
    diagnostic_close(diagnostic=earlier, actor=None)
    release_publish(diagnostic=later, kind="interim", actor=None)
    return reader_view(
        later, user=None, is_facilitator=True, requested=None, include_evidence=False
    ).summary


def two_rounds(framework, *, min_group_size: int = 3):
    place = make_place()
    system = make_system(place, "Homelessness")
    earlier = make_diagnostic(
        place,
        framework,
        systems=[system],
        min_group_size=min_group_size,
        title="Spring round",
        created_at=timezone.now() - datetime.timedelta(days=365),
    )
    later = make_diagnostic(
        place, framework, systems=[system], min_group_size=min_group_size, title="Autumn round"
    )
    return earlier, later, system


def test_the_previous_round_is_compared_when_both_rounds_meet_k(framework):
    earlier, later, system = two_rounds(framework)
    make_responses(earlier, system, [{"A": 2}, {"A": 2}, {"A": 3}])
    make_responses(later, system, [{"A": 4}, {"A": 4}, {"A": 5}, {"A": 3}])

    summary = compared(earlier, later)
    a = precondition(summary, "A")

    assert summary.previous_title == "Spring round"
    assert a.previous is not None
    assert a.previous.n == 3
    assert a.previous.median == 2.0
    assert a.overall.median == 4.0
    assert a.change_in_median == 2.0


def test_no_comparison_when_the_previous_round_has_too_few_ratings(framework):
    earlier, later, system = two_rounds(framework)
    # The earlier round meets k in respondents, but only 2 of them scored A.
    make_responses(earlier, system, [{"A": 2, "B": 2}, {"A": 2, "B": 3}, {"A": None, "B": 1}])
    make_responses(later, system, [{"A": 4, "B": 4}] * 3)

    summary = compared(earlier, later)

    assert precondition(summary, "A").previous is None
    assert precondition(summary, "A").change_in_median is None
    assert precondition(summary, "B").previous is not None
    assert precondition(summary, "B").change_in_median == 2.0


def test_no_comparison_when_the_current_round_has_too_few_ratings(framework):
    earlier, later, system = two_rounds(framework)
    make_responses(earlier, system, [{"A": 2}] * 3)
    make_responses(later, system, [{"A": 4}, {"A": 4}, {"A": None}])

    a = precondition(compared(earlier, later), "A")

    assert a.previous is None
    assert a.change_in_median is None


def test_no_comparison_when_the_system_was_hidden_in_the_previous_round(framework):
    earlier, later, system = two_rounds(framework, min_group_size=4)
    make_responses(earlier, system, [{"A": 2}] * 3)
    make_responses(later, system, [{"A": 4}] * 4)

    a = precondition(compared(earlier, later), "A")

    assert a.previous is None
    assert a.change_in_median is None


def test_no_comparison_when_the_system_is_hidden_now(framework):
    earlier, later, system = two_rounds(framework, min_group_size=4)
    make_responses(earlier, system, [{"A": 2}] * 5)
    make_responses(later, system, [{"A": 4}] * 3)

    summary = compared(earlier, later)

    assert summary.systems[0].suppressed is True
    assert precondition(summary, "A").previous is None


def test_a_round_of_another_place_is_never_the_previous_round(framework):
    earlier, later, system = two_rounds(framework)
    other_place = make_place()
    other = make_diagnostic(
        other_place, framework, created_at=timezone.now() - datetime.timedelta(days=1)
    )
    diagnostic_close(diagnostic=other, actor=None)  # closed, with a final release
    later.refresh_from_db()
    make_responses(earlier, system, [{"A": 2}] * 3)
    make_responses(later, system, [{"A": 4}] * 3)

    assert compared(earlier, later).previous_title == "Spring round"


@pytest.mark.parametrize("min_group_size", [3, 5])
def test_a_first_round_has_nothing_to_compare(framework, min_group_size):
    diagnostic, system = one_system_diagnostic(framework, min_group_size=min_group_size)
    make_responses(diagnostic, system, [{"A": 3}] * min_group_size)

    summary = diagnostic_summary(diagnostic)

    assert summary.previous_title is None
    assert precondition(summary, "A").previous is None
