"""The contract of the aggregation: the dataclasses every report, chart, export and
narrative reads (reports/exports.py, reports/narrative.py, reports/charts.py, the views),
and the breakdown dimensions and scale. Fields may be added; none renamed or removed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

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
class ReleaseStamp:
    """Which release a summary is (``reports.releases``): shown wherever its figures are."""

    number: int
    kind: str  # "interim" or "final"
    published_at: datetime
    respondents: int
    label: str  # e.g. "Interim release 2, 14 May 2026 09:30 UTC, 37 respondents"


@dataclass(frozen=True)
class DiagnosticSummary:
    slug: str
    title: str
    place: str
    min_group_size: int
    systems: list[SystemSummary]
    previous_title: str | None  # the previous round compared against, if any
    # The release these figures come from; None for live figures (facilitators of an
    # attributed round only, see reports.releases).
    release: ReleaseStamp | None = None
    # Groups the differencing rule hid from this (final) release, each a sentence.
    hidden_by_rule: list[str] = field(default_factory=list)
