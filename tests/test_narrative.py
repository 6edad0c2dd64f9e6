"""The narrative: each threshold on hand-built summaries, and never a total or a grade.

The summaries are built with ``tests.factories`` (``make_stats``,
``make_precondition_summary``, ``make_system_summary``, ``make_diagnostic_summary``), as the
chart and SVG tests build theirs.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports import narrative
from reports.aggregate import ROLES, SECTORS, SystemSummary
from reports.narrative import diagnostic_narrative, system_findings
from tests.factories import (
    CODES,
    make_diagnostic_summary,
    make_precondition_summary,
    make_stats,
    make_system_summary,
)
from tests.hypothesis_profiles import examples


def text_of(findings: narrative.SystemFindings) -> str:
    return " ".join(findings.paragraphs)


# --- strengths, gaps, strongest and weakest -------------------------------------------


def test_it_names_the_strongest_and_weakest_in_prose_with_their_median_and_n():
    findings = system_findings(make_system_summary({"B": 4.5, "H": 1.5}))
    text = text_of(findings)
    assert findings.strongest == "B" and findings.weakest == "H"
    assert "B. Citizen-centred (median 4.5, 10 ratings)" in text
    assert "H. Resilient & risk embracing (median 1.5, 10 ratings)" in text
    assert "more likely to stick" in text and "more likely to stall" in text


def test_it_uses_the_median_and_says_so_never_the_mean():
    # A mean of 4.4 with a median of 3: a few very high ratings, not a strength.
    skewed = make_precondition_summary("B", make_stats(4.4, median=3.0))
    medians = dict.fromkeys(CODES, 2.5) | {"E": 3.5, "H": 2.0}
    findings = system_findings(make_system_summary(medians, overrides={"B": skewed}))
    text = text_of(findings)
    assert findings.strengths == [] and "B" not in findings.highest
    assert "The figures here are medians" in text
    assert "mean" not in text.replace("medians", "").replace("median", "")


def test_strengths_are_every_code_with_a_median_of_at_least_4_highest_first():
    system = make_system_summary({"A": 4.0, "B": 5.0, "C": 4.5, "D": 4.5, "E": 3.5, "F": 4.0})
    # Ties in code order; no cap, so a tie is never cut in two.
    assert system_findings(system).strengths == ["B", "C", "D", "A", "F"]
    assert system_findings(make_system_summary({"A": 4.0})).strengths == ["A"]
    assert system_findings(make_system_summary({"A": 3.5})).strengths == []


def test_gaps_are_every_code_with_a_median_of_at_most_2_lowest_first():
    system = make_system_summary({"E": 2.0, "F": 1.0, "G": 1.5, "H": 1.5, "I": 2.5})
    assert system_findings(system).gaps == ["F", "G", "H", "E"]
    assert system_findings(make_system_summary({"I": 2.5})).gaps == []


def test_tied_highest_medians_are_all_named_and_none_is_picked():
    medians = dict.fromkeys("ACEFG", 2.5) | dict.fromkeys("BDHI", 3.0)
    findings = system_findings(make_system_summary(medians), min_group_size=5)
    text = text_of(findings)
    assert findings.highest == ["B", "D", "H", "I"] and findings.strongest is None
    assert (
        "B. Citizen-centred, D. Grounded in place but open to new approaches, "
        "H. Resilient & risk embracing and I. Able to let go share the highest median, "
        "3 (developing; 10 ratings each)." in text
    )
    assert findings.lowest == ["A", "C", "E", "F", "G"] and findings.weakest is None
    assert "share the lowest median, 2.5 (between emerging and developing; 10 ratings" in text


def test_a_tie_gives_the_range_of_ratings_when_their_numbers_differ():
    overrides = {
        "B": make_precondition_summary("B", make_stats(4.0, n=12)),
        "D": make_precondition_summary("D", make_stats(4.0, n=9)),
    }
    medians = dict.fromkeys("ACEFGHI", 3.5)
    findings = system_findings(make_system_summary(medians, overrides=overrides))
    text = text_of(findings)
    assert findings.highest == ["B", "D"]
    assert "(median 4, 12 ratings) and D. Grounded" in text  # strengths name their own n


def test_without_strengths_or_gaps_it_names_the_highest_and_lowest_without_a_pass_mark():
    findings = system_findings(make_system_summary({"D": 3.5, "G": 2.5}))
    text = text_of(findings)
    assert findings.strengths == [] and findings.gaps == []
    assert findings.strongest == "D" and findings.weakest == "G"
    assert (
        "The highest median here is 3.5 (between developing and established), for "
        "D. Grounded in place but open to new approaches (10 ratings)." in text
    )
    assert "The lowest median here is 2.5" in text and "G. Distributed leadership" in text
    assert "reach" not in text and "relatively" not in text


def test_only_preconditions_rated_by_at_least_k_people_can_be_strongest_or_weakest():
    few_high = make_precondition_summary("B", make_stats(5.0, n=4, dont_know=8))
    few_low = make_precondition_summary("H", make_stats(1.0, n=3, dont_know=9))
    system = make_system_summary({"E": 4.0, "G": 2.0}, overrides={"B": few_high, "H": few_low})
    findings = system_findings(system, min_group_size=5)
    assert findings.strongest == "E" and findings.weakest == "G"
    assert findings.strengths == ["E"] and findings.gaps == ["G"]
    assert not findings.multiplier_weak
    assert findings.too_few_ratings == ["B", "H"]
    assert (
        "B. Citizen-centred and H. Resilient & risk embracing were rated by fewer than 5 "
        "people, so the comparison below leaves them out." in text_of(findings)
    )
    # With k = 3 both count again.
    again = system_findings(system, min_group_size=3)
    assert again.strongest == "B" and again.weakest == "H"


def test_with_fewer_than_two_comparable_preconditions_none_is_named():
    few = {c: make_precondition_summary(c, make_stats(3.0 + (c == "A"), n=2)) for c in CODES}
    findings = system_findings(make_system_summary(overrides=few), min_group_size=5)
    assert findings.strongest is None and findings.highest == [] and findings.strengths == []
    assert "none is named as the strongest or the weakest" in text_of(findings)


def test_it_does_not_invent_a_strongest_when_all_are_rated_alike():
    findings = system_findings(make_system_summary())
    assert findings.highest == findings.lowest == [] and findings.strongest is None
    assert "Every pre-condition compared has the same median, 3 (developing)" in text_of(findings)


def test_a_precondition_nobody_rated_is_neither_strong_nor_weak():
    system = make_system_summary(
        {"B": 4.0}, overrides={"A": make_precondition_summary("A", make_stats(None, dont_know=9))}
    )
    findings = system_findings(system)
    assert findings.weakest != "A" and "A" not in findings.gaps


# --- contested ------------------------------------------------------------------------


def test_a_middle_half_of_2_points_or_more_is_a_wide_spread_of_views():
    wide = make_precondition_summary("C", make_stats(3.0, sd=0.4, q1=2.0, q3=4.0))
    narrow = make_precondition_summary("D", make_stats(3.0, sd=1.5, q1=2.0, q3=3.5))
    findings = system_findings(make_system_summary(overrides={"C": wide, "D": narrow}))
    assert findings.contested == ["C"]
    assert (
        "On C. Issues are acknowledged as systemic: a wide spread of views "
        "(the middle half of ratings runs from 2 to 4)." in text_of(findings)
    )
    assert "standard deviation" not in text_of(findings)


def test_sector_divergence_names_the_sectors_with_the_highest_and_lowest_medians():
    by_sector = {
        "public": make_stats(2.0, n=6),
        "private": make_stats(3.0, n=5),
        "voluntary": make_stats(4.0, n=7),
    }
    e = make_precondition_summary("E", make_stats(3.0), by_sector=by_sector)
    findings = system_findings(make_system_summary(overrides={"E": e}))
    assert findings.contested == ["E"]
    assert (
        "the voluntary sector and the public sector see it differently (medians 4 and 2)"
        in text_of(findings)
    )


def test_a_sector_divergence_below_1_5_is_not_contested():
    by_sector = {"public": make_stats(2.6), "voluntary": make_stats(4.0)}
    e = make_precondition_summary("E", make_stats(3.0), by_sector=by_sector)
    assert system_findings(make_system_summary(overrides={"E": e})).contested == []


def test_a_spread_of_role_medians_of_1_5_or_more_names_the_roles():
    by_role = {
        "frontline": make_stats(1.5),
        "manager": make_stats(2.5),
        "board": make_stats(3.0),
        "senior": None,
    }
    g = make_precondition_summary("G", make_stats(2.8), by_role=by_role)
    findings = system_findings(make_system_summary(overrides={"G": g}))
    assert findings.contested == ["G"]
    assert "board and elected members and frontline workers see it differently" in text_of(findings)
    assert "(medians 3 and 1.5)" in text_of(findings)


def test_hidden_groups_do_not_count_towards_disagreement():
    by_role = {"frontline": make_stats(1.0), "manager": None, "board": None}
    g = make_precondition_summary("G", make_stats(3.0), by_role=by_role)
    assert system_findings(make_system_summary(overrides={"G": g})).contested == []


# --- low visibility, the multiplier, vision and behaviours -----------------------------


def test_it_says_many_could_not_say_when_three_in_ten_answer_dont_know():
    at = make_precondition_summary("F", make_stats(3.0, n=7, dont_know=3))
    below = make_precondition_summary("I", make_stats(3.0, n=71, dont_know=29))
    findings = system_findings(make_system_summary(overrides={"F": at, "I": below}))
    assert findings.low_visibility == ["F"]
    assert (
        "Many people could not say how far F. Strengths based is in place: "
        "3 of 10 said \u201cdon't know\u201d." in text_of(findings)
    )


def test_when_h_is_weak_it_says_h_multiplies_the_others():
    findings = system_findings(make_system_summary({"H": 2.0}))
    assert findings.multiplier_weak
    assert "multiplier" in text_of(findings)
    assert "hold back the others" in text_of(findings)


def test_when_h_is_not_weak_it_says_nothing_about_multiplying():
    findings = system_findings(make_system_summary({"H": 2.5}))
    assert not findings.multiplier_weak
    assert "multiplier" not in text_of(findings)


def test_it_contrasts_what_we_say_with_what_we_do_when_they_differ_by_half_a_point():
    ahead = text_of(system_findings(make_system_summary(vision_median=4.0, behaviours_median=3.5)))
    assert "what we say is ahead of what we do" in ahead
    assert "median 4 for vision" in ahead and "3.5 for behaviours" in ahead
    behind = text_of(system_findings(make_system_summary(vision_median=2.0, behaviours_median=3.0)))
    assert "what we do is ahead of what we say" in behind
    close = text_of(system_findings(make_system_summary(vision_median=3.5, behaviours_median=3.01)))
    assert "what we say" not in close


# --- change over time, suppression ----------------------------------------------------


def test_it_names_changes_of_half_a_point_since_the_previous_round_with_their_numbers():
    up = make_precondition_summary("E", make_stats(3.0, n=14), previous=make_stats(2.5, n=12))
    down = make_precondition_summary("F", make_stats(2.0, n=9), previous=make_stats(3.0, n=11))
    small = make_precondition_summary("G", make_stats(3.0), previous=make_stats(2.6))
    text = text_of(system_findings(make_system_summary(overrides={"E": up, "F": down, "G": small})))
    assert (
        "the median for E. Trusted partners has risen from 2.5 to 3 (14 ratings now, 12 then)"
        in text
    )
    assert (
        "the median for F. Strengths based has fallen from 3 to 2 (9 ratings now, 11 then)" in text
    )
    assert "G. Distributed leadership has" not in text


def test_a_suppressed_system_gets_one_paragraph_stating_the_minimum_group_size():
    findings = system_findings(
        make_system_summary(suppressed=True, respondents=3), min_group_size=5
    )
    assert len(findings.paragraphs) == 1
    paragraph = findings.paragraphs[0]
    assert "Too few people responded" in paragraph
    assert "identifying them" in paragraph
    assert "at least 5 people" in paragraph
    assert findings.strengths == findings.gaps == findings.contested == []


def test_the_diagnostic_narrative_passes_the_minimum_group_size_to_suppressed_systems():
    result = diagnostic_narrative(make_diagnostic_summary(make_system_summary(suppressed=True)), {})
    assert "at least 5 people" in result.systems[0].findings.paragraphs[0]
    assert any("fewer than 5 people is hidden" in p for p in result.intro)


# --- questions for the steering group -------------------------------------------------


def test_questions_come_from_the_framework_for_weak_contested_and_unclear_preconditions(
    framework,
):
    preconditions = {p.code: p for p in framework.preconditions.all()}
    contested_c = make_precondition_summary("C", make_stats(3.0, q1=2.0, q3=4.0))
    unclear_f = make_precondition_summary("F", make_stats(3.0, n=5, dont_know=5))
    housing = make_system_summary({"H": 1.9, "B": 4.0}, overrides={"C": contested_c})
    youth = make_system_summary({"H": 2.2}, overrides={"F": unclear_f}, name="Youth", slug="youth")
    result = diagnostic_narrative(make_diagnostic_summary(housing, youth), preconditions)

    assert [group.code for group in result.questions] == ["C", "F", "H"]
    by_code = {group.code: group for group in result.questions}
    assert by_code["H"].questions == preconditions["H"].discussion_questions  # asked once
    assert [(r.system, r.reason) for r in by_code["H"].reasons] == [
        ("Homelessness and housing", "among the weakest"),
        ("Youth", "among the weakest"),
    ]
    assert by_code["C"].reasons[0].reason == "views differ"
    assert by_code["F"].reasons[0].reason == "many people could not say"
    asked = [q for group in result.questions for q in group.questions]
    assert len(asked) == len(set(asked))
    # Nothing generic: every question is one of the framework's.
    framework_questions = {q for p in preconditions.values() for q in p.discussion_questions}
    assert set(asked) <= framework_questions


# --- never a total, a grade or a place-wide average -----------------------------------

FORBIDDEN = [
    re.compile(r"\b\d\s*(out of|/)\s*9\b", re.IGNORECASE),
    re.compile(r"\b(nine|9) out of\b", re.IGNORECASE),
    re.compile(r"\boverall score\b", re.IGNORECASE),
    re.compile(r"\b(total|totals|average|averages)\b", re.IGNORECASE),
    re.compile(r"\b(pass|passed|passes|fail|failed|fails)\b", re.IGNORECASE),
    re.compile(r"\b(score|grade)\b\s*(of|:)", re.IGNORECASE),
    # Nothing that reads like a pass mark.
    re.compile(r"\b(reach|reaches|reached|threshold)\b|\bout of \d", re.IGNORECASE),
]
# One statistic throughout the narrative's own words: the median. (The framework's
# questions are its own, and may "mean" something.)
OTHER_STATISTICS = re.compile(r"\b(mean|means|average|standard deviation)\b", re.IGNORECASE)


def assert_no_totals_or_grades(result: narrative.DiagnosticNarrative) -> None:
    texts = list(result.intro)
    for system in result.systems:
        texts.extend(system.findings.paragraphs)
    for text in texts:
        assert not OTHER_STATISTICS.search(text), f"another statistic in: {text}"
    for group in result.questions:
        texts.extend(group.questions)
    for text in texts:
        for pattern in FORBIDDEN:
            assert not pattern.search(text), f"{pattern.pattern!r} found in: {text}"


def test_the_patterns_catch_what_they_are_meant_to_catch():
    caught = ["7 out of 9", "7/9", "an overall score of 3", "a total", "pass", "FAIL"]
    caught += ["no pre-condition reaches 3.5", "3 out of 5"]
    for text in caught:
        assert any(p.search(text) for p in FORBIDDEN), text
    for text in ["(mean 3)", "standard deviation 1.2"]:
        assert OTHER_STATISTICS.search(text), text


def test_hand_built_narratives_carry_no_totals_or_grades(framework):
    preconditions = {p.code: p for p in framework.preconditions.all()}
    systems = [
        make_system_summary({"B": 4.2, "H": 1.8}, vision_median=4, behaviours_median=2),
        make_system_summary({"A": 3.6, "E": 3.9, "F": 4.5, "G": 2.1}, name="Youth", slug="youth"),
        make_system_summary(suppressed=True, name="Care", slug="care"),
    ]
    assert_no_totals_or_grades(
        diagnostic_narrative(
            make_diagnostic_summary(*systems, previous_title="2024"), preconditions
        )
    )


scores = st.floats(min_value=1, max_value=5, allow_nan=False).map(lambda x: round(x, 2))
maybe_stats = st.one_of(
    st.none(),
    st.builds(
        make_stats,
        scores,
        sd=st.one_of(st.none(), st.floats(min_value=0, max_value=2.5)),
        n=st.integers(min_value=0, max_value=60),
        dont_know=st.integers(min_value=0, max_value=30),
    ),
)


@st.composite
def random_systems(draw) -> SystemSummary:
    overrides = {
        code: make_precondition_summary(
            code,
            draw(maybe_stats),
            by_sector={s: draw(maybe_stats) for s in SECTORS},
            by_role={r: draw(maybe_stats) for r in ROLES},
            previous=draw(maybe_stats),
        )
        for code in CODES
    }
    return make_system_summary(
        overrides=overrides,
        respondents=draw(st.integers(min_value=0, max_value=500)),
        suppressed=draw(st.booleans()),
        vision_median=draw(st.one_of(st.none(), scores)),
        behaviours_median=draw(st.one_of(st.none(), scores)),
    )


@pytest.fixture(scope="module")
def framework_questions():
    """The framework's questions read from the fixture file: hypothesis runs many examples,
    and a module-scoped fixture cannot use the database."""
    fixture = Path(__file__).resolve().parent.parent / "preconditions/fixtures/framework.json"
    rows = json.loads(fixture.read_text())

    class _Precondition:
        def __init__(self, fields):
            self.code = fields["code"]
            self.title = fields["title"]
            self.discussion_questions = fields["discussion_questions"]

    return {
        row["fields"]["code"]: _Precondition(row["fields"])
        for row in rows
        if row["model"] == "preconditions.precondition"
    }


@settings(max_examples=examples(150), deadline=None)
@given(systems=st.lists(random_systems(), min_size=1, max_size=4))
def test_random_narratives_carry_no_totals_or_grades(systems, framework_questions):
    result = diagnostic_narrative(
        make_diagnostic_summary(*systems, previous_title="Before"), framework_questions
    )
    assert_no_totals_or_grades(result)
    for story in result.systems:
        assert story.findings.paragraphs
        findings = story.findings
        assert not set(findings.strengths) & set(findings.gaps)
        # Ties are named whole: a code is in `highest` exactly when it has that median.
        assert findings.strongest is None or findings.highest == [findings.strongest]
        assert findings.weakest is None or findings.lowest == [findings.weakest]


# --- the thresholds are documented ----------------------------------------------------


def test_the_thresholds_are_documented_with_their_values():
    docs = (Path(__file__).resolve().parent.parent / "docs/reports.md").read_text()
    section = docs.split("## Narrative thresholds", 1)[1].split("\n## ", 1)[0]
    for name in (
        "STRENGTH_MIN_MEDIAN",
        "GAP_MAX_MEDIAN",
        "CONTESTED_MIN_MIDDLE_HALF",
        "CONTESTED_MIN_SECTOR_DIVERGENCE",
        "CONTESTED_MIN_ROLE_SPREAD",
        "LOW_VISIBILITY_MIN_SHARE",
        "MULTIPLIER_MAX_MEDIAN",
        "VISION_BEHAVIOURS_MIN_DIFFERENCE",
        "CHANGE_MIN",
    ):
        assert f"`{name}` = {getattr(narrative, name)}" in section, name


# --- the demo data --------------------------------------------------------------------


@pytest.mark.django_db
def test_the_narrative_finds_what_the_demo_was_designed_to_show(framework):
    from django.core.management import call_command

    from demo.northbridge import CURRENT_TITLE, DEMO_EXPECTATIONS
    from reports.aggregate import diagnostic_summary
    from surveys.models import Diagnostic

    call_command("seed_demo", stdout=io.StringIO())
    diagnostic = Diagnostic.objects.select_related("place").get(title=CURRENT_TITLE)
    summary = diagnostic_summary(diagnostic)
    preconditions = {p.code: p for p in framework.preconditions.all()}
    result = diagnostic_narrative(summary, preconditions)
    stories = {story.slug: story for story in result.systems}
    by_slug = {system.slug: system for system in summary.systems}

    assert set(DEMO_EXPECTATIONS) <= set(stories)
    for slug, expected in DEMO_EXPECTATIONS.items():
        findings = stories[slug].findings
        assert findings.strongest == expected["strongest"], slug
        assert findings.weakest == expected["weakest"], slug
        assert findings.strengths == expected["strengths"], slug
        assert findings.gaps == expected["gaps"], slug
        assert findings.contested == expected["contested"], slug
        assert findings.low_visibility == expected["low_visibility"], slug
        text = text_of(findings)
        titles = {p.code: f"{p.code}. {p.title}" for p in by_slug[slug].preconditions}
        for code in [expected["strongest"], expected["weakest"], *expected["contested"]]:
            assert titles[code] in text, (slug, code)
        for code in expected["low_visibility"]:
            assert "could not say" in text and titles[code] in text
    assert_no_totals_or_grades(result)
