"""The ratings frame and the diagnostic summary, checked against independent arithmetic.

Expected numbers come from Python's ``statistics`` module or are worked out by hand in the
comments, never from pandas, so a mistake in how pandas is called cannot hide itself.
"""

from __future__ import annotations

import math
import statistics

import pandas as pd
import pytest

from preconditions.models import Precondition
from reports.aggregate import (
    FRAME_COLUMNS,
    ROLES,
    SCALE,
    SECTORS,
    Stats,
    diagnostic_summary,
    ratings_frame,
)
from surveys.models import Diagnostic, Rating
from tests.factories import (
    make_diagnostic,
    make_organisation,
    make_place,
    make_response,
    make_responses,
    make_system,
)

K = 3
# The fixed data set: (sector, role, scores, evidence). None is "don't know".
HOMELESSNESS: list[tuple[str, str, dict[str, int | None], dict[str, str]]] = [
    ("public", "manager", {"A": 1, "B": 4, "E": 2}, {"A": "Leaders talk about outcomes"}),
    ("public", "manager", {"A": 2, "B": None, "E": 3}, {}),
    ("public", "frontline", {"A": 4, "B": 5, "E": 3}, {"B": "Residents co-design services"}),
    ("public", "frontline", {"A": 5, "B": 4, "E": None}, {"A": "   "}),
    ("voluntary", "senior", {"A": 3, "B": 2, "E": 5}, {"A": "A shared outcomes framework"}),
    ("voluntary", "senior", {"A": 3, "B": 2, "E": 4}, {}),
    ("voluntary", "senior", {"A": None, "B": 3, "E": 4}, {"A": "Not sure who leads this"}),
    ("voluntary", "senior", {"A": 4, "B": 1, "E": 5}, {}),
]


def scores_of(code: str, *, sector: str | None = None, role: str | None = None) -> list[int]:
    return [
        score
        for row_sector, row_role, scores, _evidence in HOMELESSNESS
        if (score := scores.get(code)) is not None
        and (sector is None or row_sector == sector)
        and (role is None or row_role == role)
    ]


def expected_stats(values: list[int], dont_know: int) -> Stats:
    """What a Stats should hold, from the statistics module.

    statistics.quantiles(method="inclusive") is the same linear interpolation as pandas'
    default quantile: position p * (n - 1) in the sorted values.
    """
    q1, _q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return Stats(
        n=len(values),
        dont_know=dont_know,
        mean=round(statistics.mean(values), 2),
        median=round(statistics.median(values), 2),
        sd=round(statistics.stdev(values), 2) if len(values) >= 2 else None,
        q1=round(q1, 2),
        q3=round(q3, 2),
        min=min(values),
        max=max(values),
        counts={point: values.count(point) for point in SCALE},
    )


@pytest.fixture
def data(framework):
    """Two systems in one diagnostic (k = 3), with a draft and an evidence-only rating."""
    place = make_place("Northtown")
    homelessness = make_system(place, "Homelessness")
    adult_care = make_system(place, "Adult social care")
    diagnostic = make_diagnostic(
        place, framework, systems=[homelessness, adult_care], min_group_size=K
    )
    organisations = {sector: make_organisation(place, sector) for sector in SECTORS}
    responses = [
        make_response(
            diagnostic,
            homelessness,
            scores,
            organisation=organisations[sector],
            role=role,
            evidence=evidence,
        )
        for sector, role, scores, evidence in HOMELESSNESS
    ]
    # Not counted: a draft response, and a rating holding only evidence.
    make_response(diagnostic, homelessness, {"A": 1, "C": 1}, submitted=False)
    Rating.objects.create(
        response=responses[0],
        precondition=Precondition.objects.get(code="C"),
        evidence="Half-written note",
    )
    make_responses(diagnostic, adult_care, [{"A": 5}, {"A": 4}, {"A": 5}], sector="private")
    return diagnostic


def system_named(summary, name: str):
    return next(system for system in summary.systems if system.name == name)


def precondition(system, code: str):
    return next(p for p in system.preconditions if p.code == code)


# --- the ratings frame ---------------------------------------------------------------


def test_the_frame_has_one_row_per_answered_rating_of_submitted_responses(data):
    frame = ratings_frame([data.pk])

    assert list(frame.columns) == list(FRAME_COLUMNS)
    # 8 people x 3 codes in Homelessness, 3 x 1 in adult social care; no draft, no note.
    assert len(frame) == 8 * 3 + 3
    assert "C" not in set(frame["code"])
    assert frame["score"].dtype == "float64"
    assert frame["dont_know"].dtype == bool


def test_dont_know_is_a_missing_score_with_the_flag_set(data):
    frame = ratings_frame([data.pk])

    dont_know = frame[frame["dont_know"]]
    assert len(dont_know) == 3
    assert dont_know["score"].isna().all()
    assert frame.loc[~frame["dont_know"], "score"].notna().all()


def test_the_frame_holds_every_round_asked_for_and_nothing_for_none(data, framework):
    other = make_diagnostic(data.place, framework, systems=list(data.systems.all()))
    make_responses(other, data.systems.get(name="Homelessness"), [{"A": 2}])

    assert set(ratings_frame([data.pk, other.pk])["diagnostic_id"]) == {data.pk, other.pk}
    empty = ratings_frame([])
    assert list(empty.columns) == list(FRAME_COLUMNS)
    assert empty.empty


# --- statistics ----------------------------------------------------------------------


def test_overall_statistics_match_the_statistics_module(data):
    system = system_named(diagnostic_summary(data), "Homelessness")

    for code, dont_know in [("A", 1), ("B", 1), ("E", 1)]:
        assert precondition(system, code).overall == expected_stats(scores_of(code), dont_know)


def test_overall_statistics_of_a_by_hand(data):
    a = precondition(system_named(diagnostic_summary(data), "Homelessness"), "A").overall

    # Scores 1 2 3 3 4 4 5 and one don't know.
    assert (a.n, a.dont_know) == (7, 1)
    assert a.mean == 3.14  # 22 / 7 = 3.142857...
    assert a.median == 3.0
    assert a.sd == 1.35  # sqrt((4.59 + 1.31 + 0.02 + 0.02 + 0.73 + 0.73 + 3.45) / 6)
    assert (a.q1, a.q3) == (2.5, 4.0)  # positions 1.5 and 4.5 of 0..6
    assert (a.min, a.max) == (1, 5)
    assert a.counts == {1: 1, 2: 1, 3: 2, 4: 2, 5: 1}


def test_quartiles_interpolate_linearly_between_scores(data):
    public_a = precondition(system_named(diagnostic_summary(data), "Homelessness"), "A")
    public_a = public_a.by_sector["public"]

    # Scores 1 2 4 5: q1 at position 0.75 -> 1 + 0.75 * (2 - 1); q3 at 2.25 -> 4 + 0.25.
    assert (public_a.q1, public_a.median, public_a.q3) == (1.75, 3.0, 4.25)


def test_sector_statistics_match_the_statistics_module(data):
    system = system_named(diagnostic_summary(data), "Homelessness")

    a = precondition(system, "A")
    assert a.by_sector["public"] == expected_stats(scores_of("A", sector="public"), 0)
    assert a.by_sector["voluntary"] == expected_stats(scores_of("A", sector="voluntary"), 1)
    assert a.by_sector["private"] is None  # nobody from the private sector
    assert a.by_sector["citizen"] is None


def test_role_statistics_match_the_statistics_module_with_small_roles_hidden(data):
    a = precondition(system_named(diagnostic_summary(data), "Homelessness"), "A")

    # Managers (2 scores) and frontline workers (2) are below k = 3; together they hold 4.
    assert a.by_role["manager"] is None
    assert a.by_role["frontline"] is None
    assert a.by_role["senior"] == expected_stats(scores_of("A", role="senior"), 1)
    assert set(a.by_role) == set(ROLES)


def test_the_standard_deviation_needs_two_scores(framework):
    place = make_place()
    system = make_system(place)
    diagnostic = make_diagnostic(place, framework, systems=[system], min_group_size=3)
    make_responses(diagnostic, system, [{"A": 4}, {"A": None}, {"A": None}])

    a = diagnostic_summary(diagnostic).systems[0].preconditions[0].overall

    assert (a.n, a.dont_know, a.mean, a.median, a.sd) == (1, 2, 4.0, 4.0, None)
    assert (a.q1, a.q3) == (4.0, 4.0)


def test_a_precondition_nobody_answered_has_empty_statistics(data):
    c = precondition(system_named(diagnostic_summary(data), "Homelessness"), "C")

    assert c.overall == Stats(
        n=0,
        dont_know=0,
        mean=None,
        median=None,
        sd=None,
        q1=None,
        q3=None,
        min=None,
        max=None,
        counts=dict.fromkeys(SCALE, 0),
    )
    assert c.by_sector == dict.fromkeys(SECTORS)
    assert c.sector_divergence is None


def test_sector_divergence_is_the_range_of_the_shown_sector_medians(data):
    system = system_named(diagnostic_summary(data), "Homelessness")

    # B: public 4 5 4 (median 4), voluntary 2 2 3 1 (median 2).
    assert precondition(system, "B").sector_divergence == 2.0
    # A: public 1 2 4 5 (median 3), voluntary 3 3 4 (median 3).
    assert precondition(system, "A").sector_divergence == 0.0


def test_vision_and_behaviours_medians_pool_every_score_of_their_group(data):
    system = system_named(diagnostic_summary(data), "Homelessness")

    assert system.vision_median == statistics.median(scores_of("A") + scores_of("B"))
    assert system.behaviours_median == statistics.median(scores_of("E"))


def test_respondents_are_the_people_who_answered_about_the_system(data):
    summary = diagnostic_summary(data)
    system = system_named(summary, "Homelessness")

    assert system.respondents == 8  # the draft response does not count
    assert system.suppressed is False
    assert system.respondents_by_sector == {
        "public": 4,
        "private": 0,
        "voluntary": 4,
        "citizen": 0,
    }


def test_systems_are_in_name_order_and_preconditions_in_framework_order(data):
    summary = diagnostic_summary(data)

    assert [s.name for s in summary.systems] == ["Adult social care", "Homelessness"]
    for system in summary.systems:
        assert [p.code for p in system.preconditions] == list("ABCDEFGHI")
        assert [p.group for p in system.preconditions] == ["vision"] * 4 + ["behaviours"] * 5
    assert summary.slug == data.slug
    assert summary.place == "Northtown"
    assert summary.min_group_size == K


def test_every_float_is_rounded_to_two_decimals(data):
    summary = diagnostic_summary(data)

    def floats(stats: Stats | None):
        if stats is None:
            return []
        return [v for v in (stats.mean, stats.median, stats.sd, stats.q1, stats.q3) if v]

    for system in summary.systems:
        for p in system.preconditions:
            cells = [p.overall, *p.by_sector.values(), *p.by_role.values()]
            for value in [v for stats in cells for v in floats(stats)]:
                assert isinstance(value, float)
                assert math.isclose(value, round(value, 2))


# --- evidence ------------------------------------------------------------------------


def test_evidence_is_the_non_empty_texts_in_alphabetical_order_without_attribution(data):
    """Alphabetical, not response order, so excerpts of different pre-conditions cannot be
    lined up to piece one person's answers together."""
    system = system_named(diagnostic_summary(data), "Homelessness")

    assert precondition(system, "A").evidence == [
        "A shared outcomes framework",
        "Leaders talk about outcomes",
        "Not sure who leads this",  # given with a "don't know"
    ]
    assert precondition(system, "B").evidence == ["Residents co-design services"]
    assert precondition(system, "C").evidence == []  # a half-written note is not evidence


def test_evidence_is_left_out_when_not_asked_for(data):
    summary = diagnostic_summary(data, include_evidence=False)

    assert all(p.evidence == [] for system in summary.systems for p in system.preconditions)


# --- queries -------------------------------------------------------------------------


def build_rounds(framework, respondents_per_system: int) -> Diagnostic:
    place = make_place()
    systems = [make_system(place, "Homelessness"), make_system(place, "Adult social care")]
    earlier = make_diagnostic(
        place, framework, systems=systems, created_at=pd.Timestamp("2024-01-01", tz="UTC")
    )
    later = make_diagnostic(place, framework, systems=systems)
    organisation = make_organisation(place, "voluntary")
    for diagnostic in (earlier, later):
        for system in systems:
            for i in range(respondents_per_system):
                make_response(
                    diagnostic,
                    system,
                    {"A": 1 + i % 5, "B": None, "E": 1 + (i * 2) % 5},
                    organisation=organisation,
                    role=ROLES[i % len(ROLES)],
                    evidence={"A": f"Seen it {i}"},
                )
    return Diagnostic.objects.select_related("place").get(pk=later.pk)


@pytest.mark.parametrize("respondents_per_system", [3, 30])
def test_the_summary_takes_three_queries_whatever_the_data_size(
    framework, django_assert_num_queries, respondents_per_system
):
    # 6 and 60 responses per round: systems, pre-conditions, ratings. The previous round
    # is compared from its final release (reports.releases), never from live ratings.
    diagnostic = build_rounds(framework, respondents_per_system)

    with django_assert_num_queries(3):
        summary = diagnostic_summary(diagnostic)

    assert sum(system.respondents for system in summary.systems) == 2 * respondents_per_system
    assert summary.previous_title is None


def test_a_diagnostic_nobody_has_answered_hides_every_system(framework):
    place = make_place()
    diagnostic = make_diagnostic(place, framework, systems=[make_system(place)])

    summary = diagnostic_summary(diagnostic)

    assert summary.systems[0].respondents == 0
    assert summary.systems[0].suppressed is True
    assert summary.previous_title is None
