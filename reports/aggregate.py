"""Aggregation of a diagnostic's ratings (pandas), with anonymity suppression.

CONTRACT (shared by reports/exports.py, reports/narrative.py, reports/charts.py and the
views): the dataclasses below. Fields may be added; none renamed or removed.

Suppression rule (documented in docs/reports.md): within one system and one breakdown
dimension (sector or role) and one pre-condition, a cell with people in it but fewer than
the diagnostic's ``min_group_size`` (k) scored ratings is suppressed (None). If the
suppressed cells of that dimension together hold fewer than k scores or fewer than k
people (but more than zero), the next smallest cells are suppressed too, until they hold
at least k of each or every cell is suppressed — so no group below k can be recovered by
subtracting the shown cells from the total. A system whose total is below k is
suppressed entirely.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.db import connections
from django.db.models import Q, QuerySet

from preconditions.models import Precondition
from surveys.models import Diagnostic, Rating, Response

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


# --------------------------------------------------------------------------------------
# Implementation. Everything below computes the dataclasses above; nothing else is public
# except ``ratings_frame``, ``diagnostic_summary`` and ``suppressed_cells``.
# --------------------------------------------------------------------------------------

FRAME_COLUMNS = (
    "diagnostic_id",
    "system_id",
    "response_id",
    "sector",
    "role",
    "code",
    "score",
    "dont_know",
    "evidence",
)


def ratings_frame(diagnostic_ids: Sequence[int]) -> pd.DataFrame:
    """Every answered rating of the submitted responses of these diagnostics, one per row.

    Columns: ``FRAME_COLUMNS``. ``score`` is a float, NaN for "don't know"; ``sector``,
    ``role`` and ``code`` are categoricals (group them with ``observed=True``). Ratings that
    hold only evidence (neither a score nor "don't know") are left out: they are drafts.

    One query. The ORM builds the SQL, but rows are fetched with a plain cursor and turned
    into columns at once: building 430,000 model instances (or even running the ORM's
    per-row converters) costs several times more than the statistics themselves.
    """
    ids = list(diagnostic_ids)
    if not ids:
        return _frame_from_columns([[] for _ in FRAME_COLUMNS])
    queryset = _answered_ratings(ids).values_list(
        "response__diagnostic_id",
        "response__system_id",
        "response_id",
        "response__sector",
        "response__role",
        "precondition__code",
        "score",
        "dont_know",
        "evidence",
    )
    sql, params = queryset.query.sql_with_params()
    with _collector_paused(), connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        columns = list(zip(*rows, strict=True)) if rows else [[] for _ in FRAME_COLUMNS]
        del rows
        return _frame_from_columns(columns)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while rows become columns.

    Hundreds of thousands of row tuples trigger collection after collection that can free
    nothing (the rows are all still in use); on 430,000 ratings that was 40% of the time.
    Reference counting still frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _answered_ratings(diagnostic_ids: list[int]) -> QuerySet[Rating]:
    return (
        Rating.objects.filter(
            response__diagnostic_id__in=diagnostic_ids,
            response__status=Response.Status.SUBMITTED,
        )
        .filter(Q(score__isnull=False) | Q(dont_know=True))
        # Rating's default ordering would sort 430,000 rows for nothing.
        .order_by()
    )


def _frame_from_columns(columns: Sequence[Sequence]) -> pd.DataFrame:
    (diagnostic_id, system_id, response_id, sector, role, code, score, dont_know, evidence) = (
        columns
    )
    return pd.DataFrame(
        {
            "diagnostic_id": np.asarray(diagnostic_id, dtype=np.int64),
            "system_id": np.asarray(system_id, dtype=np.int64),
            "response_id": np.asarray(response_id, dtype=np.int64),
            "sector": _categorical(sector),
            "role": _categorical(role),
            "code": _categorical(code),
            # numpy turns None (don't know) into NaN for a float array.
            "score": np.asarray(score, dtype=np.float64),
            # SQLite returns 0/1, PostgreSQL returns booleans: both become bool here.
            "dont_know": np.asarray(dont_know, dtype=bool),
            "evidence": pd.array(evidence, dtype="str"),
        }
    )


def _categorical(values: Sequence[str]) -> pd.Categorical:
    """A categorical of a few distinct strings: grouping by it skips hashing 430,000 of
    them again on every groupby. (``factorize`` + ``from_codes`` is ~3x quicker than
    ``pd.Categorical(values)``, which also re-checks and re-sorts.)"""
    codes, categories = pd.factorize(np.asarray(values, dtype=object), sort=True)
    return pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype="str"))


def suppressed_cells(
    ns: Mapping[str, int],
    k: int,
    *,
    never_shown: Iterable[str] = (),
    sizes: Mapping[str, int] | None = None,
) -> set[str]:
    """The cells of one breakdown to hide so that no group smaller than ``k`` shows.

    ``ns`` maps each cell (a sector, say) to its number of scored ratings; ``sizes`` (by
    default the same) to its number of people, "don't know" included. A cell with nobody
    is "no data": nothing to hide, so it is never returned. A cell with people but fewer
    than ``k`` scores is hidden (its scores, or who said "don't know", would show). If the
    hidden cells together hold fewer than ``k`` scores or people (but more than 0), the
    smallest shown cells are hidden too (ties in the order of ``ns``) until they hold at
    least ``k`` or nothing is left — otherwise the total minus the shown cells would give
    the small group away.

    ``never_shown`` names cells that are hidden whatever their size (respondents who gave
    no role): they count toward the hidden total for the same reason.
    """
    sizes = ns if sizes is None else sizes
    hidden = {cell for cell in ns if sizes[cell] > 0 and ns[cell] < k}
    hidden |= {cell for cell in never_shown if sizes.get(cell, 0) > 0}

    def too_small(cells: set[str]) -> bool:
        scores = sum(ns[cell] for cell in cells)
        people = sum(sizes[cell] for cell in cells)
        return 0 < scores < k or 0 < people < k

    smallest_first = sorted(
        (cell for cell in ns if sizes[cell] > 0 and cell not in hidden),
        key=lambda cell: ns[cell],  # sorted() is stable: ties keep the order of ``ns``
    )
    for cell in smallest_first:
        if too_small(hidden):
            hidden.add(cell)
    return hidden


def diagnostic_summary(
    diagnostic: Diagnostic, *, include_evidence: bool = True
) -> DiagnosticSummary:
    """Statistics of every system of ``diagnostic`` by pre-condition, sector and role, with
    small groups suppressed and the previous round alongside where both are large enough.

    A constant handful of queries whatever the number of ratings: the systems, the
    pre-conditions, the previous round, one for the ratings of both rounds, and the place
    (select ``place`` with the diagnostic to save that one). ``include_evidence=False``
    leaves every ``evidence`` list empty: pass it for readers who may not see evidence
    (steering members when confidentiality is "ratings_only").
    """
    k = diagnostic.min_group_size
    systems = list(diagnostic.systems.order_by("name").values_list("id", "name", "slug"))
    preconditions = list(
        Precondition.objects.filter(framework_id=diagnostic.framework_id)
        .order_by("order")
        .values_list("code", "title", "group__slug")
    )
    previous = diagnostic.previous_round()
    round_ids = [diagnostic.pk] if previous is None else [diagnostic.pk, previous.pk]
    frame = ratings_frame(round_ids)
    group_of_code = {code: group for code, _title, group in preconditions}
    frame["group"] = frame["code"].map(group_of_code)

    earlier = None
    if previous is not None:
        earlier = _RoundTables.build(frame[frame["diagnostic_id"] == previous.pk])
        frame = frame[frame["diagnostic_id"] == diagnostic.pk]
    current = _RoundTables.build(frame)
    evidence = _evidence_by_system_and_code(frame) if include_evidence else {}

    summaries = [
        _system_summary(
            system_id,
            name=name,
            slug=slug,
            preconditions=preconditions,
            current=current,
            earlier=earlier,
            evidence=evidence,
            k=k,
        )
        for system_id, name, slug in systems
    ]
    return DiagnosticSummary(
        slug=diagnostic.slug,
        title=diagnostic.title,
        place=diagnostic.place.name,
        min_group_size=k,
        systems=summaries,
        previous_title=previous.title if previous is not None else None,
    )


@dataclass(frozen=True)
class _RoundTables:
    """One round's statistics, computed for all systems at once with groupby and kept as
    plain dicts so building the dataclasses is a cheap lookup per cell."""

    overall: dict[tuple, dict]  # (system_id, code) -> statistics
    by_sector: dict[tuple, dict[str, dict]]  # (system_id, code) -> sector -> statistics
    by_role: dict[tuple, dict[str, dict]]  # (system_id, code) -> role -> statistics
    group_medians: dict[tuple, float]  # (system_id, "vision"|"behaviours") -> median
    respondents: dict[int, int]  # system_id -> distinct respondents
    respondents_by_sector: dict[tuple, int]  # (system_id, sector) -> distinct respondents

    @classmethod
    def build(cls, frame: pd.DataFrame) -> _RoundTables:
        group_medians = frame.groupby(["system_id", "group"], observed=True)["score"].median()
        respondents_by_sector = frame.groupby(["system_id", "sector"], observed=True)[
            "response_id"
        ].nunique()
        return cls(
            overall=_group_stats(frame, ["system_id", "code"]),
            by_sector=_cells_by_system_and_code(
                _group_stats(frame, ["system_id", "code", "sector"])
            ),
            by_role=_cells_by_system_and_code(_group_stats(frame, ["system_id", "code", "role"])),
            group_medians=group_medians.dropna().to_dict(),
            respondents=frame.groupby("system_id")["response_id"].nunique().to_dict(),
            respondents_by_sector=respondents_by_sector.to_dict(),
        )


def _group_stats(frame: pd.DataFrame, keys: list[str]) -> dict[tuple, dict]:
    """n, don't know, mean, median, sd, quartiles, min, max and counts per group of keys.

    Quartiles use pandas' default linear interpolation (numpy "linear", the same as
    ``statistics.quantiles(method="inclusive")``): the p-th quantile sits at position
    p * (n - 1) in the sorted scores, interpolating between neighbours.
    """
    # One boolean column per scale point, summed per group, gives the counts without a
    # pivot; putting them in the same frame lets every aggregate share one grouping.
    count_columns = [f"count_{point}" for point in SCALE]
    work = frame[[*keys, "score", "dont_know"]].assign(
        **{f"count_{point}": frame["score"].eq(point) for point in SCALE}
    )
    grouped = work.groupby(keys, observed=True, sort=False)
    score = grouped["score"]
    table = pd.DataFrame(
        {
            "n": score.count(),
            "dont_know": grouped["dont_know"].sum(),
            "mean": score.mean(),
            "median": score.median(),
            "sd": score.std(ddof=1),
            "q1": score.quantile(0.25),
            "q3": score.quantile(0.75),
            "min": score.min(),
            "max": score.max(),
        }
    ).join(grouped[count_columns].sum())
    return table.to_dict("index")


def _cells_by_system_and_code(rows: dict[tuple, dict]) -> dict[tuple, dict[str, dict]]:
    """{(system, code, cell): row} -> {(system, code): {cell: row}}, for lookup per cell."""
    nested: dict[tuple, dict[str, dict]] = {}
    for (system_id, code, cell), row in rows.items():
        nested.setdefault((system_id, code), {})[cell] = row
    return nested


def _stats(row: dict | None) -> Stats:
    """A Stats from a row of ``_group_stats``; an empty Stats for a group with no ratings."""
    if row is None:
        return Stats(
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
    n = int(row["n"])
    return Stats(
        n=n,
        dont_know=int(row["dont_know"]),
        mean=_rounded(row["mean"]),
        median=_rounded(row["median"]),
        sd=_rounded(row["sd"]) if n >= 2 else None,
        q1=_rounded(row["q1"]),
        q3=_rounded(row["q3"]),
        min=None if n == 0 else int(row["min"]),
        max=None if n == 0 else int(row["max"]),
        counts={point: int(row[f"count_{point}"]) for point in SCALE},
    )


def _rounded(value: float | None) -> float | None:
    """Two decimals as a plain float; None for a missing value (NaN)."""
    if value is None or math.isnan(value):
        return None
    return round(float(value), 2)


def _breakdown(
    cells: dict[str, dict], shown_keys: Sequence[str], k: int
) -> dict[str, Stats | None]:
    """One breakdown (by sector or by role) with small cells suppressed.

    Cells outside ``shown_keys`` (a blank role) are never shown but still count toward the
    suppressed total, so they cannot be recovered by subtraction either.
    """

    # Shown cells first, in their usual order, so ties are broken the same way every time.
    def count(cell: str, key: str) -> int:
        return int(cells[cell][key]) if cell in cells else 0

    ordered = [*shown_keys, *(cell for cell in cells if cell not in shown_keys)]
    ns = {cell: count(cell, "n") for cell in ordered}
    sizes = {cell: count(cell, "n") + count(cell, "dont_know") for cell in ordered}
    never_shown = [cell for cell in cells if cell not in shown_keys]
    hidden = suppressed_cells(ns, k, never_shown=never_shown, sizes=sizes)
    return {
        cell: _stats(cells[cell]) if sizes[cell] > 0 and cell not in hidden else None
        for cell in shown_keys
    }


def _sector_divergence(by_sector: dict[str, Stats | None]) -> float | None:
    medians = [s.median for s in by_sector.values() if s is not None and s.median is not None]
    if len(medians) < 2:
        return None
    return _rounded(max(medians) - min(medians))


def _respondents_by_sector(tables: _RoundTables, system_id: int, k: int) -> dict[str, int | None]:
    counts = {
        sector: count
        for (system, sector), count in tables.respondents_by_sector.items()
        if system == system_id
    }
    ns = {sector: counts.get(sector, 0) for sector in SECTORS}
    never_shown = [sector for sector in counts if sector not in ns]
    ns |= {sector: counts[sector] for sector in never_shown}
    hidden = suppressed_cells(ns, k, never_shown=never_shown)
    # A sector with nobody is shown as 0: an empty group reveals nobody.
    return {sector: None if sector in hidden else ns[sector] for sector in SECTORS}


def _evidence_by_system_and_code(frame: pd.DataFrame) -> dict[tuple, list[str]]:
    """Non-empty evidence per (system_id, code), in response order so it reads the same
    every time. Only the text: who wrote it, and their sector and role, never travel with it."""
    written = frame.loc[frame["evidence"] != "", ["response_id", "system_id", "code", "evidence"]]
    written = written.sort_values("response_id", kind="stable")
    texts = written["evidence"].str.strip()
    evidence: dict[tuple, list[str]] = {}
    for system_id, code, text in zip(
        written["system_id"].tolist(), written["code"].tolist(), texts.tolist(), strict=True
    ):
        if text:  # whitespace alone is not evidence
            evidence.setdefault((system_id, code), []).append(text)
    return evidence


def _comparable_previous(
    current: Stats | None,
    earlier_tables: _RoundTables | None,
    system_id: int,
    code: str,
    k: int,
) -> Stats | None:
    """The previous round's Stats when both rounds are large enough to show; else None."""
    if current is None or earlier_tables is None or current.n < k:
        return None
    if earlier_tables.respondents.get(system_id, 0) < k:
        return None
    previous = _stats(earlier_tables.overall.get((system_id, code)))
    return previous if previous.n >= k else None


def _system_summary(
    system_id: int,
    *,
    name: str,
    slug: str,
    preconditions: list[tuple[str, str, str]],
    current: _RoundTables,
    earlier: _RoundTables | None,
    evidence: dict[tuple, list[str]],
    k: int,
) -> SystemSummary:
    respondents = current.respondents.get(system_id, 0)
    suppressed = respondents < k
    summaries = []
    for code, title, group in preconditions:
        if suppressed:
            summaries.append(_suppressed_precondition(code, title, group))
            continue
        overall = _stats(current.overall.get((system_id, code)))
        by_sector = _breakdown(current.by_sector.get((system_id, code), {}), SECTORS, k)
        by_role = _breakdown(current.by_role.get((system_id, code), {}), ROLES, k)
        previous = _comparable_previous(overall, earlier, system_id, code, k)
        change = None
        if previous is not None and overall.median is not None and previous.median is not None:
            change = _rounded(overall.median - previous.median)
        summaries.append(
            PreconditionSummary(
                code=code,
                title=title,
                group=group,
                overall=overall,
                by_sector=by_sector,
                by_role=by_role,
                sector_divergence=_sector_divergence(by_sector),
                previous=previous,
                change_in_median=change,
                evidence=list(evidence.get((system_id, code), [])),
            )
        )
    return SystemSummary(
        name=name,
        slug=slug,
        respondents=respondents,
        suppressed=suppressed,
        preconditions=summaries,
        vision_median=None if suppressed else _group_median(current, system_id, "vision"),
        behaviours_median=None if suppressed else _group_median(current, system_id, "behaviours"),
        respondents_by_sector=dict.fromkeys(SECTORS)
        if suppressed
        else _respondents_by_sector(current, system_id, k),
    )


def _group_median(tables: _RoundTables, system_id: int, group: str) -> float | None:
    return _rounded(tables.group_medians.get((system_id, group)))


def _suppressed_precondition(code: str, title: str, group: str) -> PreconditionSummary:
    return PreconditionSummary(
        code=code,
        title=title,
        group=group,
        overall=None,
        by_sector=dict.fromkeys(SECTORS),
        by_role=dict.fromkeys(ROLES),
        sector_divergence=None,
        previous=None,
        change_in_median=None,
        evidence=[],
    )
