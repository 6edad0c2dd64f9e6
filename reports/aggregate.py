"""Aggregation of a diagnostic's ratings (pandas), with anonymity suppression.

CONTRACT (shared by reports/exports.py, reports/narrative.py, reports/charts.py and the
views): the dataclasses below. Fields may be added; none renamed or removed.

Suppression rule (documented in docs/reports.md): within one system and one breakdown
dimension (sector or role) and one pre-condition, a cell whose number of scored ratings
is below the diagnostic's ``min_group_size`` (k) is suppressed (None). If the suppressed
cells of that dimension together hold fewer than k ratings but more than zero, the next
smallest cells are suppressed too, until the suppressed cells together hold at least k
ratings or every cell is suppressed — so no group below k can be recovered by subtracting
the shown cells from the total. A system whose total is below k is suppressed entirely.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SECTORS = ("public", "private", "voluntary", "citizen")
ROLES = ("frontline", "manager", "senior", "board", "service_user")
SCALE = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Stats:
    """Statistics of one group of ratings of one pre-condition. A Stats always holds
    numbers; a suppressed group is ``None`` in place of a Stats."""

    n: int  # ratings with a score (not "don't know")
    dont_know: int
    mean: float | None
    median: float | None
    sd: float | None  # sample standard deviation (ddof=1); None when n < 2
    q1: float | None
    q3: float | None
    min: int | None
    max: int | None
    counts: dict[int, int]  # scale point -> number of ratings, keys 1..5 always present


@dataclass(frozen=True)
class PreconditionSummary:
    code: str
    title: str
    group: str  # "vision" or "behaviours"
    overall: Stats | None  # None when the system is suppressed
    by_sector: dict[str, Stats | None]  # keys: SECTORS; None = suppressed or no ratings
    by_role: dict[str, Stats | None]  # keys: ROLES
    sector_divergence: float | None  # max - min of shown sector medians (>= 2 shown)
    previous: Stats | None  # the previous round, same system; None if not comparable
    change_in_median: float | None  # overall.median - previous.median
    evidence: list[str] = field(default_factory=list)  # unattributed excerpts


@dataclass(frozen=True)
class SystemSummary:
    name: str
    slug: str
    respondents: int  # distinct responses (respondents) for this system
    suppressed: bool  # respondents < k: nothing about this system is shown
    preconditions: list[PreconditionSummary]
    vision_median: float | None  # median of all A-D scores
    behaviours_median: float | None  # median of all E-I scores
    respondents_by_sector: dict[str, int | None]  # None = suppressed


@dataclass(frozen=True)
class DiagnosticSummary:
    slug: str
    title: str
    place: str
    min_group_size: int
    systems: list[SystemSummary]
    previous_title: str | None  # the previous round compared against, if any
