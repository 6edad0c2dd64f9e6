"""Plain-English findings from a diagnostic's summary, for the report and its exports.

The report the framework comes from insists the nine pre-conditions are not a checklist,
so nothing here adds them up: no totals, no "out of nine", no pass or fail, no average
across a place. Findings name pre-conditions — strengths where change is likely to stick,
gaps and disagreements where it is likely to stall — and say how sure we can be.

The thresholds below are documented in docs/reports.md ("Narrative thresholds"); change
both together. Paragraphs are plain strings: templates escape them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .aggregate import (
    ROLES,
    SECTORS,
    DiagnosticSummary,
    PreconditionSummary,
    Stats,
    SystemSummary,
)

if TYPE_CHECKING:
    from preconditions.models import Precondition

# One statistic throughout: the median rating (the middle rating when a pre-condition's
# ratings are put in order), with the middle half of ratings as its spread. Means and
# standard deviations stay in the tables and exports, never in the prose.
# Strengths: codes whose median is at least this ("established" or "embedded").
STRENGTH_MIN_MEDIAN = 4
# Gaps: codes whose median is at most this ("absent" or "emerging").
GAP_MAX_MEDIAN = 2
# Contested: any one of these.
CONTESTED_MIN_MIDDLE_HALF = 2  # the middle half of ratings (q3 - q1) is at least this wide
CONTESTED_MIN_SECTOR_DIVERGENCE = 1.5  # highest minus lowest shown sector median
CONTESTED_MIN_ROLE_SPREAD = 1.5  # highest minus lowest shown role median
# Low visibility: the share of people answering "don't know" is at least this.
LOW_VISIBILITY_MIN_SHARE = 0.3
# The pre-condition the framework describes as a multiplier for the others, and the
# median at or below which its weakness is called out.
MULTIPLIER_CODE = "H"
MULTIPLIER_MAX_MEDIAN = 2
# Vision (A–D) and behaviours (E–I) medians are compared when they differ by this much.
VISION_BEHAVIOURS_MIN_DIFFERENCE = 0.5
# A change in a code's median since the previous round is named when at least this big.
CHANGE_MIN = 0.5

SCALE_WORDS = {1: "absent", 2: "emerging", 3: "developing", 4: "established", 5: "embedded"}

SECTOR_PHRASES = {
    "public": "the public sector",
    "private": "the private sector",
    "voluntary": "the voluntary sector",
    "citizen": "citizens and service users",
}
ROLE_PHRASES = {
    "frontline": "frontline workers",
    "manager": "managers",
    "senior": "senior leaders",
    "board": "board and elected members",
    "service_user": "service users",
}


@dataclass(frozen=True)
class SystemFindings:
    """What stands out in one system. The lists hold pre-condition codes.

    Strongest and weakest come only from pre-conditions rated by at least k people
    (``min_group_size``): a median of two ratings says little. ``highest`` and ``lowest``
    hold every code sharing the highest (lowest) median, so a tie is never broken by the
    alphabet; ``strongest`` and ``weakest`` are set only when one code stands alone.
    """

    strengths: list[str]
    gaps: list[str]
    contested: list[str]
    low_visibility: list[str]
    paragraphs: list[str]
    strongest: str | None = None  # the highest median, when no other code shares it
    weakest: str | None = None  # the lowest median, when no other code shares it
    multiplier_weak: bool = False  # H at or below MULTIPLIER_MAX_MEDIAN
    highest: list[str] = field(default_factory=list)  # every code sharing the highest median
    lowest: list[str] = field(default_factory=list)  # every code sharing the lowest median
    too_few_ratings: list[str] = field(default_factory=list)  # rated, by fewer than k people


@dataclass(frozen=True)
class SystemNarrative:
    name: str
    slug: str
    suppressed: bool
    findings: SystemFindings


@dataclass(frozen=True)
class QuestionReason:
    system: str  # the system's name (user text: render inside <bdi>)
    reason: str  # e.g. "among the weakest"


@dataclass(frozen=True)
class QuestionGroup:
    """The framework's discussion questions for one pre-condition, and why it is here."""

    code: str
    title: str
    reasons: list[QuestionReason]
    questions: list[str]


@dataclass(frozen=True)
class DiagnosticNarrative:
    intro: list[str]
    systems: list[SystemNarrative]
    questions: list[QuestionGroup] = field(default_factory=list)


# --- formatting ----------------------------------------------------------------------


def format_number(value: float | None) -> str:
    """One decimal place, without a trailing ".0": 4.0 -> "4", 3.46 -> "3.5"."""
    if value is None:
        return "–"
    text = f"{float(value):.1f}"
    return text[:-2] if text.endswith(".0") else text


def _label(p: PreconditionSummary) -> str:
    return f"{p.code}. {p.title}"


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _median(p: PreconditionSummary) -> float | None:
    if p.overall is None or p.overall.median is None:
        return None
    return float(p.overall.median)


def _n(p: PreconditionSummary) -> int:
    return 0 if p.overall is None else p.overall.n


def _ratings(n: int) -> str:
    return f"{n} rating{'' if n == 1 else 's'}"


def _scale_word(median: float) -> str:
    """The scale point's name for a whole median; "between emerging and developing" for
    a half."""
    low, high = math.floor(median), math.ceil(median)
    if low == high:
        return SCALE_WORDS[int(low)]
    return f"between {SCALE_WORDS[int(low)]} and {SCALE_WORDS[int(high)]}"


# --- the rules -----------------------------------------------------------------------


def _rated(system: SystemSummary) -> list[tuple[PreconditionSummary, float]]:
    return [(p, m) for p in system.preconditions if (m := _median(p)) is not None]


def _comparable(
    rated: list[tuple[PreconditionSummary, float]], min_ratings: int
) -> list[tuple[PreconditionSummary, float]]:
    """The rated pre-conditions with enough ratings to be called strongest or weakest."""
    return [(p, m) for p, m in rated if _n(p) >= min_ratings]


def _strengths(rated: list[tuple[PreconditionSummary, float]]) -> list[PreconditionSummary]:
    candidates = [(p, m) for p, m in rated if m >= STRENGTH_MIN_MEDIAN]
    candidates.sort(key=lambda pm: (-pm[1], pm[0].code))
    return [p for p, _ in candidates]


def _gaps(rated: list[tuple[PreconditionSummary, float]]) -> list[PreconditionSummary]:
    candidates = [(p, m) for p, m in rated if m <= GAP_MAX_MEDIAN]
    candidates.sort(key=lambda pm: (pm[1], pm[0].code))
    return [p for p, _ in candidates]


def _tier(
    rated: list[tuple[PreconditionSummary, float]], median: float
) -> list[PreconditionSummary]:
    """Every pre-condition with this median, in code order."""
    return sorted((p for p, m in rated if m == median), key=lambda p: p.code)


def _extremes(
    groups: Mapping[str, Stats | None], order: Iterable[str]
) -> tuple[tuple[str, float], tuple[str, float]] | None:
    """The groups with the highest and lowest shown median (first in `order` on ties)."""
    shown = [
        (key, float(stats.median))
        for key in order
        if (stats := groups.get(key)) is not None and stats.median is not None
    ]
    if len(shown) < 2:
        return None
    high = max(shown, key=lambda kv: kv[1])  # max/min keep the first of equals
    low = min(shown, key=lambda kv: kv[1])
    if high[1] == low[1]:
        return None
    return high, low


def contested_reasons(p: PreconditionSummary) -> list[str]:
    """Why views on this pre-condition are divided, as phrases; empty when they are not."""
    reasons: list[str] = []
    if p.overall is None:
        return reasons
    q1, q3 = p.overall.q1, p.overall.q3
    if q1 is not None and q3 is not None and q3 - q1 >= CONTESTED_MIN_MIDDLE_HALF:
        reasons.append(
            "a wide spread of views (the middle half of ratings runs from "
            f"{format_number(q1)} to {format_number(q3)})"
        )
    if p.sector_divergence is not None and p.sector_divergence >= CONTESTED_MIN_SECTOR_DIVERGENCE:
        extremes = _extremes(p.by_sector, SECTORS)
        if extremes is None:
            reasons.append(
                "sectors see it differently (their medians are "
                f"{format_number(p.sector_divergence)} apart)"
            )
        else:
            (high, high_median), (low, low_median) = extremes
            reasons.append(
                f"{SECTOR_PHRASES[high]} and {SECTOR_PHRASES[low]} see it differently "
                f"(medians {format_number(high_median)} and {format_number(low_median)})"
            )
    roles = _extremes(p.by_role, ROLES)
    if roles is not None and roles[0][1] - roles[1][1] >= CONTESTED_MIN_ROLE_SPREAD:
        (high, high_median), (low, low_median) = roles
        reasons.append(
            f"{ROLE_PHRASES[high]} and {ROLE_PHRASES[low]} see it differently "
            f"(medians {format_number(high_median)} and {format_number(low_median)})"
        )
    return reasons


def dont_know_share(p: PreconditionSummary) -> float | None:
    if p.overall is None:
        return None
    answered = p.overall.n + p.overall.dont_know
    return p.overall.dont_know / answered if answered else None


def _low_visibility(p: PreconditionSummary) -> bool:
    share = dont_know_share(p)
    return share is not None and share >= LOW_VISIBILITY_MIN_SHARE


def _changed(p: PreconditionSummary) -> bool:
    return p.change_in_median is not None and abs(p.change_in_median) >= CHANGE_MIN


# --- paragraphs ----------------------------------------------------------------------


def _with_median(p: PreconditionSummary) -> str:
    """ "E. Trusted partners (median 4, 12 ratings)": the figure always with its n."""
    return f"{_label(p)} (median {format_number(_median(p))}, {_ratings(_n(p))})"


def _ratings_each(tier: list[PreconditionSummary]) -> str:
    ns = sorted({_n(p) for p in tier})
    if len(ns) == 1:
        return f"{_ratings(ns[0])} each"
    return f"{ns[0]} to {ns[-1]} ratings each"


def _tier_sentence(tier: list[PreconditionSummary], median: float, which: str) -> str:
    """ "The highest median here is 4 (established), for E. Trusted partners (12 ratings)."
    or, on a tie, "B. …, D. … and H. … share the highest median, 3 (developing; 10 to 12
    ratings each)." """
    figure = f"{format_number(median)} ({_scale_word(median)}"
    if len(tier) == 1:
        return (
            f"The {which} median here is {figure}), for {_label(tier[0])} "
            f"({_ratings(_n(tier[0]))})."
        )
    return (
        f"{_join([_label(p) for p in tier])} share the {which} median, {figure}; "
        f"{_ratings_each(tier)})."
    )


def _suppressed_paragraph(min_group_size: int | None) -> str:
    minimum = (
        f"at least {min_group_size} people"
        if min_group_size is not None
        else "the minimum number of people set for this diagnostic"
    )
    return (
        "Too few people responded about this system to report it without risking "
        "identifying them. This report only shows a group when it holds "
        f"{minimum}, so nothing about this system is shown."
    )


def _profile_paragraphs(
    system: SystemSummary,
    rated: list[tuple[PreconditionSummary, float]],
    comparable: list[tuple[PreconditionSummary, float]],
    min_ratings: int,
) -> list[str]:
    people = "person" if system.respondents == 1 else "people"
    opening = (
        f"{system.respondents} {people} responded about this system. The figures here are "
        "medians: the middle rating when everyone's ratings of a pre-condition are put in "
        "order, from 1 (absent) to 5 (embedded)."
    )
    if not rated:
        return [
            f"{opening} Nobody gave a rating other than \u201cdon't know\u201d, so there is "
            "no profile to describe yet."
        ]
    sentences = [opening]
    few = [p for p, _ in rated if _n(p) < min_ratings]
    if few:
        sentences.append(
            f"{_join([_label(p) for p in few])} "
            f"{'was' if len(few) == 1 else 'were'} rated by fewer than {min_ratings} "
            "people, so the comparison below leaves "
            f"{'it' if len(few) == 1 else 'them'} out."
        )
    if len(comparable) < 2:
        sentences.append(
            f"Fewer than two pre-conditions were rated by at least {min_ratings} people, "
            "so none is named as the strongest or the weakest."
        )
        return [" ".join(sentences)]
    high = max(m for _, m in comparable)
    low = min(m for _, m in comparable)
    if high == low:
        sentences.append(
            f"Every pre-condition compared has the same median, {format_number(high)} "
            f"({_scale_word(high)}), so none stands out as stronger or weaker than the rest."
        )
        return [" ".join(sentences)]
    strengths, gaps = _strengths(comparable), _gaps(comparable)
    if strengths:
        sentences.append(
            f"People see {_join([_with_median(p) for p in strengths])} as established or "
            "embedded here: foundations where change is more likely to stick."
        )
    else:
        sentences.append(_tier_sentence(_tier(comparable, high), high, "highest"))
    if gaps:
        sentences.append(
            f"People see {_join([_with_median(p) for p in gaps])} as absent or emerging "
            "here: this is where change is more likely to stall."
        )
    else:
        sentences.append(_tier_sentence(_tier(comparable, low), low, "lowest"))
    return [" ".join(sentences)]


def _multiplier_paragraph(p: PreconditionSummary) -> str:
    return (
        f"{_with_median(p)} is weak here. The framework describes it as a multiplier for "
        "the other pre-conditions: where it is weak, it tends to hold back the others, "
        "because people take fewer of the risks that working differently needs when "
        "failure is punished rather than learned from."
    )


def _vision_behaviours_paragraph(system: SystemSummary) -> str | None:
    vision, behaviours = system.vision_median, system.behaviours_median
    if vision is None or behaviours is None:
        return None
    if abs(vision - behaviours) < VISION_BEHAVIOURS_MIN_DIFFERENCE:
        return None
    numbers = (
        f"(median {format_number(vision)} for vision, A to D, and "
        f"{format_number(behaviours)} for behaviours, E to I)"
    )
    if vision > behaviours:
        return (
            f"People rate the vision pre-conditions higher than the behaviours {numbers}: "
            "what we say is ahead of what we do. The shared ambition is further along than "
            "the ways of working that would carry it out."
        )
    return (
        f"People rate the behaviours higher than the vision pre-conditions {numbers}: what "
        "we do is ahead of what we say. The ways of working are further along than a shared "
        "ambition to direct them."
    )


def _contested_paragraph(contested: list[PreconditionSummary]) -> str:
    sentences = [
        "Views differ on some pre-conditions; these are worth talking through before "
        "acting on them, since change is likely to stall where partners see things "
        "differently."
    ]
    for p in contested:
        sentences.append(f"On {_label(p)}: {'; '.join(contested_reasons(p))}.")
    return " ".join(sentences)


def _low_visibility_paragraph(low: list[PreconditionSummary]) -> str:
    counts = []
    for p in low:
        assert p.overall is not None  # low visibility implies an overall Stats
        answered = p.overall.n + p.overall.dont_know
        counts.append(f"{p.overall.dont_know} of {answered} said \u201cdon't know\u201d")
    if len(low) == 1:
        opening = f"Many people could not say how far {_label(low[0])} is in place: {counts[0]}."
        pronoun = "it may be happening"
    else:
        parts = [f"{_label(p)} ({count})" for p, count in zip(low, counts, strict=True)]
        opening = f"Many people could not say how far these are in place: {_join(parts)}."
        pronoun = "they may be happening"
    return (
        f"{opening} Not knowing is a finding in itself: {pronoun} out of sight of many "
        "partners, or not at all."
    )


def _change_paragraph(changed: list[PreconditionSummary]) -> str:
    parts = []
    for p in changed:
        assert p.overall is not None and p.previous is not None and p.change_in_median
        direction = "risen" if p.change_in_median > 0 else "fallen"
        parts.append(
            f"the median for {_label(p)} has {direction} from "
            f"{format_number(p.previous.median)} to {format_number(p.overall.median)} "
            f"({p.overall.n} ratings now, {p.previous.n} then)"
        )
    return "Since the previous round, " + _join(parts) + "."


def system_findings(system: SystemSummary, *, min_group_size: int | None = None) -> SystemFindings:
    """The findings for one system: which codes stand out, and paragraphs saying so.

    `min_group_size` (k) is the fewest ratings a pre-condition needs to be named the
    strongest, the weakest, a strength or a gap, and is stated in a suppressed system's
    paragraph. Without it (tests, tools without a diagnostic) every rating counts.
    """
    if system.suppressed:
        return SystemFindings(
            strengths=[],
            gaps=[],
            contested=[],
            low_visibility=[],
            paragraphs=[_suppressed_paragraph(min_group_size)],
        )
    min_ratings = max(1, min_group_size or 1)
    rated = _rated(system)
    comparable = _comparable(rated, min_ratings)
    highest: list[PreconditionSummary] = []
    lowest: list[PreconditionSummary] = []
    strengths: list[PreconditionSummary] = []
    gaps: list[PreconditionSummary] = []
    if len(comparable) >= 2:
        high = max(m for _, m in comparable)
        low = min(m for _, m in comparable)
        if high != low:
            highest, lowest = _tier(comparable, high), _tier(comparable, low)
            strengths, gaps = _strengths(comparable), _gaps(comparable)
    contested = [p for p in system.preconditions if contested_reasons(p)]
    low_visibility = [p for p in system.preconditions if _low_visibility(p)]
    changed = [p for p in system.preconditions if _changed(p)]
    multiplier = next(
        (p for p, m in comparable if p.code == MULTIPLIER_CODE and m <= MULTIPLIER_MAX_MEDIAN),
        None,
    )

    paragraphs = _profile_paragraphs(system, rated, comparable, min_ratings)
    if multiplier is not None:
        paragraphs.append(_multiplier_paragraph(multiplier))
    if (vb := _vision_behaviours_paragraph(system)) is not None:
        paragraphs.append(vb)
    if contested:
        paragraphs.append(_contested_paragraph(contested))
    if low_visibility:
        paragraphs.append(_low_visibility_paragraph(low_visibility))
    if changed:
        paragraphs.append(_change_paragraph(changed))

    return SystemFindings(
        strengths=[p.code for p in strengths],
        gaps=[p.code for p in gaps],
        contested=[p.code for p in contested],
        low_visibility=[p.code for p in low_visibility],
        paragraphs=paragraphs,
        strongest=highest[0].code if len(highest) == 1 else None,
        weakest=lowest[0].code if len(lowest) == 1 else None,
        multiplier_weak=multiplier is not None,
        highest=[p.code for p in highest],
        lowest=[p.code for p in lowest],
        too_few_ratings=[p.code for p, _ in rated if _n(p) < min_ratings],
    )


# --- the whole diagnostic ------------------------------------------------------------


def _intro(summary: DiagnosticSummary) -> list[str]:
    shown = [s for s in summary.systems if not s.suppressed]
    count = len(summary.systems)
    if count == 0:
        return ["This diagnostic has no systems in scope yet, so there is nothing to report."]
    scope = "the system" if count == 1 else f"each of the {count} systems"
    paragraphs = [
        f"This report shows how the people who took part see the nine pre-conditions for "
        f"place-based systems change in {scope} in scope: a profile across the nine, how "
        "widely views differ, and the evidence people gave.",
        "The pre-conditions are not a checklist, so nothing here is added up or turned into "
        "a grade. Read each profile as a whole: strengths show where change is likely to "
        "stick, and gaps, disagreements and uncertainty show where it is likely to stall.",
        "Ratings use a five-point scale from 1 (absent) to 5 (embedded), and people could "
        "answer \u201cdon't know\u201d. Every figure in these summaries is a median: the "
        "middle rating when a group's ratings are put in order. A pre-condition is named "
        "the strongest or the weakest only when at least "
        f"{summary.min_group_size} people rated it. To protect anonymity, any group of "
        f"fewer than {summary.min_group_size} people is hidden.",
    ]
    if len(shown) < count:
        hidden = count - len(shown)
        paragraphs[-1] += (
            f" {'One system is' if hidden == 1 else f'{hidden} systems are'} hidden for "
            "that reason."
        )
    if summary.release is not None:
        paragraphs.append(
            f"These figures are those of the {summary.release.label[0].lower()}"
            f"{summary.release.label[1:]}."
            + (
                " It is an interim release: the round is still open, and the figures will "
                "change at the next release."
                if summary.release.kind == "interim"
                else ""
            )
        )
    paragraphs.extend(summary.hidden_by_rule)
    if summary.previous_title:
        paragraphs.append(
            "Where the same system was assessed in the previous round, changes of "
            f"{format_number(CHANGE_MIN)} or more in a pre-condition's median rating are "
            "noted."
        )
    return paragraphs


def _question_reasons(
    system: SystemSummary, findings: SystemFindings
) -> dict[str, list[QuestionReason]]:
    reasons: dict[str, list[QuestionReason]] = {}

    def add(code: str, reason: str) -> None:
        reasons.setdefault(code, []).append(QuestionReason(system=system.name, reason=reason))

    weakest = set(findings.gaps) | set(findings.lowest)
    for code in sorted(weakest):
        add(code, "among the weakest")
    if findings.multiplier_weak and MULTIPLIER_CODE not in weakest:
        add(MULTIPLIER_CODE, "weak, and a multiplier for the others")
    for code in findings.contested:
        add(code, "views differ")
    for code in findings.low_visibility:
        add(code, "many people could not say")
    return reasons


def diagnostic_narrative(
    summary: DiagnosticSummary, preconditions: Mapping[str, Precondition]
) -> DiagnosticNarrative:
    """Intro, findings per system, and questions for the steering group.

    The questions are the framework's own discussion questions for the pre-conditions
    that are weakest, contested or little seen in any system, each asked once.
    """
    systems: list[SystemNarrative] = []
    reasons: dict[str, list[QuestionReason]] = {}
    for system in summary.systems:
        findings = system_findings(system, min_group_size=summary.min_group_size)
        systems.append(
            SystemNarrative(
                name=system.name, slug=system.slug, suppressed=system.suppressed, findings=findings
            )
        )
        for code, items in _question_reasons(system, findings).items():
            reasons.setdefault(code, []).extend(items)

    seen: set[str] = set()
    questions: list[QuestionGroup] = []
    for code in sorted(reasons):
        precondition = preconditions.get(code)
        if precondition is None:
            continue
        asked = []
        for question in precondition.discussion_questions:
            if question not in seen:
                seen.add(question)
                asked.append(question)
        if asked:
            questions.append(
                QuestionGroup(
                    code=code, title=precondition.title, reasons=reasons[code], questions=asked
                )
            )
    return DiagnosticNarrative(intro=_intro(summary), systems=systems, questions=questions)
