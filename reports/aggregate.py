"""Aggregation of a diagnostic's ratings (pandas), with anonymity suppression.

CONTRACT (shared by reports/exports.py, reports/narrative.py, reports/charts.py and the
views): the dataclasses below. Fields may be added; none renamed or removed.

Suppression rule (documented in docs/reports.md): within one system and one breakdown
dimension (sector or role) and one pre-condition, a cell with people in it but fewer than
the diagnostic's ``min_group_size`` (k) scored ratings is suppressed (None). If the
suppressed cells of that dimension together hold fewer than k scores or fewer than k
people (but more than zero), the next smallest cells are suppressed too, until they hold
at least k of each or every cell is suppressed — so no group below k can be recovered by
subtracting the shown cells from the total. Then, since the by-sector and by-role
breakdowns are published together, more cells are hidden while the two together (with the
total) give away the sums of any group of fewer than k, for someone who knows each
respondent's sector and role (``_breakdowns``). A system whose total is below k is
suppressed entirely.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

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


# --------------------------------------------------------------------------------------
# Implementation. Everything below computes the dataclasses above; nothing else is public
# except ``ratings_frame``, ``diagnostic_summary``, ``summary_inputs``, ``summary_of_frame``,
# ``summarise_frame`` and ``suppressed_cells``.
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


def ratings_frame(diagnostic_ids: Sequence[int], *, evidence: bool = True) -> pd.DataFrame:
    """Every answered rating of the submitted responses of these diagnostics, one per row.

    Columns: ``FRAME_COLUMNS`` (without ``evidence`` when ``evidence=False``: statistics
    never need it, and on 430,000 ratings it is half the time of loading them). ``score``
    is a float, NaN for "don't know"; ``sector``, ``role`` and ``code`` are categoricals
    (group them with ``observed=True``). Ratings that hold only evidence (neither a score
    nor "don't know") are left out: they are drafts.

    One query. The ORM builds the SQL, but rows are fetched with a plain cursor and turned
    into columns at once: building 430,000 model instances (or even running the ORM's
    per-row converters) costs several times more than the statistics themselves.
    """
    names = FRAME_COLUMNS if evidence else FRAME_COLUMNS[:-1]
    ids = list(diagnostic_ids)
    if not ids:
        return _frame_from_columns(names, [[] for _ in names])
    fields = [
        "response__diagnostic_id",
        "response__system_id",
        "response_id",
        "response__sector",
        "response__role",
        "precondition__code",
        "score",
        "dont_know",
        "evidence",
    ]
    queryset = _answered_ratings(ids).values_list(*fields[: len(names)])
    sql, params = queryset.query.sql_with_params()
    with _collector_paused(), connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        columns = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
        del rows
        return _frame_from_columns(names, columns)


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


def _frame_from_columns(names: Sequence[str], columns: Sequence[Sequence]) -> pd.DataFrame:
    convert = {
        "diagnostic_id": lambda values: np.asarray(values, dtype=np.int64),
        "system_id": lambda values: np.asarray(values, dtype=np.int64),
        "response_id": lambda values: np.asarray(values, dtype=np.int64),
        "sector": _categorical,
        "role": _categorical,
        "code": _categorical,
        # numpy turns None (don't know) into NaN for a float array.
        "score": lambda values: np.asarray(values, dtype=np.float64),
        # SQLite returns 0/1, PostgreSQL returns booleans: both become bool here.
        "dont_know": lambda values: np.asarray(values, dtype=bool),
        "evidence": lambda values: pd.array(values, dtype="str"),
    }
    return pd.DataFrame(
        {name: convert[name](values) for name, values in zip(names, columns, strict=True)}
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
    """Live statistics of every system of ``diagnostic`` by pre-condition, sector and role,
    with small groups suppressed.

    Readers see these only through a release (``reports.releases``), which freezes them;
    the previous round is compared there too, from its final release, never from live
    ratings. A constant handful of queries whatever the number of ratings: the systems,
    the pre-conditions, the ratings, and the place (select ``place`` with the diagnostic
    to save that one). ``include_evidence=False`` leaves every ``evidence`` list empty.
    """
    systems, preconditions = summary_inputs(diagnostic)
    frame = ratings_frame([diagnostic.pk], evidence=include_evidence)
    return summary_of_frame(
        diagnostic, frame, systems, preconditions, include_evidence=include_evidence
    )


def summary_inputs(
    diagnostic: Diagnostic,
) -> tuple[list[tuple[int, str, str]], list[tuple[str, str, str]]]:
    """The round's systems ``(id, name, slug)`` by name and the framework's
    pre-conditions ``(code, title, group)`` in order: two queries."""
    systems = list(diagnostic.systems.order_by("name").values_list("id", "name", "slug"))
    preconditions = list(
        Precondition.objects.filter(framework_id=diagnostic.framework_id)
        .order_by("order")
        .values_list("code", "title", "group__slug")
    )
    return systems, preconditions


def summary_of_frame(
    diagnostic: Diagnostic,
    frame: pd.DataFrame,
    systems: Sequence[tuple[int, str, str]],
    preconditions: Sequence[tuple[str, str, str]],
    *,
    include_evidence: bool = True,
) -> DiagnosticSummary:
    return DiagnosticSummary(
        slug=diagnostic.slug,
        title=diagnostic.title,
        place=diagnostic.place.name,
        min_group_size=diagnostic.min_group_size,
        systems=summarise_frame(
            frame,
            systems,
            preconditions,
            diagnostic.min_group_size,
            include_evidence=include_evidence,
        ),
        previous_title=None,
    )


def summarise_frame(
    frame: pd.DataFrame,
    systems: Sequence[tuple[int, str, str]],
    preconditions: Sequence[tuple[str, str, str]],
    k: int,
    previous_frame: pd.DataFrame | None = None,
    *,
    include_evidence: bool = True,
) -> list[SystemSummary]:
    """The summary of each system, with small groups suppressed: the pure part of
    ``diagnostic_summary``, which calls it on the ratings it loads. No database.

    ``frame`` and ``previous_frame`` hold one round's ratings each, in the columns of
    ``ratings_frame`` (``evidence`` may be left out when ``include_evidence`` is False);
    ``systems`` are ``(id, name, slug)`` in the order to report them, ``preconditions``
    ``(code, title, group)`` in framework order, and ``k`` the minimum group size.
    """
    preconditions = list(preconditions)
    group_of_code = {code: group for code, _title, group in preconditions}
    earlier = None
    if previous_frame is not None:
        earlier = _RoundTables.build(previous_frame, group_of_code)
    current = _RoundTables.build(frame, group_of_code)
    evidence = _evidence_by_system_and_code(frame) if include_evidence else {}
    return [
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


@dataclass(frozen=True)
class _RoundTables:
    """One round's statistics for all its systems at once: every group's numbers are
    computed together in arrays, and a ``_Row`` is made only for the groups a summary
    looks up (``overall``, ``cells``)."""

    system_index: dict[int, int]  # system_id -> position on the first axis
    code_index: dict[str, int]  # code -> position on the second axis
    sectors: list[str]  # the third axis of ``by_sector``
    roles: list[str]  # the third axis of ``by_role``
    by_code: _Table  # system, code
    by_sector: _Table  # system, code, sector
    by_role: _Table  # system, code, role
    group_medians: dict[tuple, float]  # (system_id, "vision"|"behaviours") -> median
    respondents: dict[int, int]  # system_id -> distinct respondents
    respondents_by_sector: dict[int, dict[str, int]]  # system_id -> sector -> respondents
    # system, code, sector, role, (scores, people): for the linked-tables check
    by_sector_and_role: np.ndarray

    @classmethod
    def build(cls, frame: pd.DataFrame, group_of_code: Mapping[str, str]) -> _RoundTables:
        """The statistics of ``frame`` (a ``ratings_frame``, with evidence or without).

        The scale has five points, so every statistic of a group follows exactly from how
        many of its ratings gave each answer. The ratings are counted once into an array
        indexed by system, code, sector, role and answer (``np.bincount``); each
        breakdown is a sum over some of its axes, and ``_statistics`` works out n, mean,
        sd, quartiles, min and max of every group at once from its counts. On 430,000
        ratings that is ten times quicker than pandas' medians and quantiles per group.
        """
        systems, system_index = np.unique(frame["system_id"].to_numpy(), return_inverse=True)
        codes, code_index = _categories(frame["code"])
        sectors, sector_index = _categories(frame["sector"])
        roles, role_index = _categories(frame["role"])
        # Answer 0 is "don't know" (no score), 1 to 5 the scale points.
        answer = np.nan_to_num(frame["score"].to_numpy(dtype=np.float64), nan=0).astype(np.intp)
        shape = (len(systems), len(codes), len(sectors), len(roles), len(SCALE) + 1)
        flat = np.ravel_multi_index(
            (system_index, code_index, sector_index, role_index, answer), shape
        )
        counts = np.bincount(flat, minlength=math.prod(shape)).reshape(shape)
        system_ids = systems.tolist()

        group_medians = {}
        for group in sorted(set(group_of_code.values())):
            in_group = np.isin(codes, [code for code, g in group_of_code.items() if g == group])
            medians = _statistics(counts[:, in_group].sum(axis=(1, 2, 3)))["median"]
            for position, median in enumerate(medians.tolist()):
                if not math.isnan(median):
                    group_medians[(system_ids[position], group)] = median

        # Each response counts once, in the system and sector of its first rating.
        _responses, first = np.unique(frame["response_id"].to_numpy(), return_index=True)
        respondents = np.zeros((len(systems), len(sectors)), dtype=np.int64)
        np.add.at(respondents, (system_index[first], sector_index[first]), 1)
        respondents_by_sector: dict[int, dict[str, int]] = {}
        for position, sector in zip(*np.nonzero(respondents), strict=True):
            respondents_by_sector.setdefault(system_ids[position], {})[sectors[sector]] = int(
                respondents[position, sector]
            )

        return cls(
            system_index={system_id: position for position, system_id in enumerate(system_ids)},
            code_index={code: position for position, code in enumerate(codes)},
            sectors=sectors,
            roles=roles,
            by_code=_Table.of(counts.sum(axis=(2, 3))),
            by_sector=_Table.of(counts.sum(axis=3)),
            by_role=_Table.of(counts.sum(axis=2)),
            by_sector_and_role=np.stack(
                [counts[..., 1:].sum(axis=-1), counts.sum(axis=-1)], axis=-1
            ),
            group_medians=group_medians,
            respondents={
                system_ids[position]: n
                for position, n in enumerate(respondents.sum(axis=1).tolist())
                if n
            },
            respondents_by_sector=respondents_by_sector,
        )

    def _position(self, system_id: int, code: str) -> tuple[int, int] | None:
        if system_id not in self.system_index or code not in self.code_index:
            return None
        return self.system_index[system_id], self.code_index[code]

    def overall(self, system_id: int, code: str) -> _Row | None:
        """All ratings of one pre-condition in one system; None if there are none."""
        position = self._position(system_id, code)
        return None if position is None else self.by_code.row(position)

    def sector_and_role_cells(self, system_id: int, code: str) -> dict[tuple[str, str], tuple]:
        """(sector, role) -> (scores, people) of one pre-condition in one system, for the
        combinations anyone answered in."""
        position = self._position(system_id, code)
        if position is None:
            return {}
        table = self.by_sector_and_role[position]
        return {
            (self.sectors[sector], self.roles[role]): tuple(table[sector, role].tolist())
            for sector, role in zip(*np.nonzero(table[..., 1]), strict=True)
        }

    def cells(self, breakdown: str, system_id: int, code: str) -> dict[str, _Row]:
        """Each sector's (``breakdown="sector"``) or role's ratings of one pre-condition in
        one system, for the cells that have any."""
        position = self._position(system_id, code)
        if position is None:
            return {}
        table, names = (
            (self.by_sector, self.sectors) if breakdown == "sector" else (self.by_role, self.roles)
        )
        return {
            names[cell]: table.row((*position, cell))
            for cell in np.flatnonzero(table.present[position]).tolist()
        }


def _categories(column: pd.Series) -> tuple[list[str], np.ndarray]:
    """The categories of a categorical column (as plain strings) and each row's index."""
    return [str(c) for c in column.cat.categories], column.cat.codes.to_numpy(dtype=np.intp)


class _Row(NamedTuple):
    """Statistics of one group of ratings (floats may be NaN)."""

    n: int
    dont_know: int
    mean: float
    median: float
    sd: float
    q1: float
    q3: float
    min: int
    max: int
    counts: tuple[int, ...]  # ratings at each scale point, 1 to 5


_STATISTICS = ("n", "dont_know", "mean", "median", "sd", "q1", "q3", "min", "max")


@dataclass(frozen=True)
class _Table:
    """The statistics of every group of one breakdown, stacked in one float array whose
    leading axes are those of the counts they come from."""

    values: np.ndarray  # ..., _STATISTICS then the five scale counts
    present: np.ndarray  # ...: the group has at least one rating

    @classmethod
    def of(cls, counts: np.ndarray) -> _Table:
        stats = _statistics(counts)
        values = np.concatenate(
            [np.stack([stats[name] for name in _STATISTICS], axis=-1), stats["counts"]],
            axis=-1,
            dtype=np.float64,
        )
        return cls(values=values, present=counts.sum(axis=-1) > 0)

    def row(self, index: tuple[int, ...]) -> _Row | None:
        if not self.present[index]:
            return None
        n, dont_know, mean, median, sd, q1, q3, low, high, *counts = self.values[index].tolist()
        return _Row(
            int(n),
            int(dont_know),
            mean,
            median,
            sd,
            q1,
            q3,
            int(low),
            int(high),
            tuple(int(count) for count in counts),
        )


def _statistics(counts: np.ndarray) -> dict[str, np.ndarray]:
    """n, don't know, mean, sd, median, quartiles, min and max of groups of ratings, from
    how many gave each answer: ``counts[..., 0]`` "don't know", ``counts[..., 1:]`` the
    scale points 1 to 5. Every output has the shape of ``counts[..., 0]``; NaN where a
    group has no score (and sd where it has fewer than two).

    Exact, not approximated: the mean is S1 / n and the sample variance
    (n * S2 - S1**2) / (n * (n - 1)), with S1 and S2 the integer sums of scores and of
    their squares. Quartiles use linear interpolation (numpy's and pandas' default, the
    same as ``statistics.quantiles(method="inclusive")``): the p-th quantile sits at
    position h = p * (n - 1) of the sorted scores, between the scores at floor(h) and
    ceil(h); the score at position j is the first point whose running count exceeds j.
    """
    scored = counts[..., 1:].astype(np.int64)
    points = np.asarray(SCALE, dtype=np.int64)
    n = scored.sum(axis=-1)
    s1 = (scored * points).sum(axis=-1)
    s2 = (scored * points**2).sum(axis=-1)
    running = scored.cumsum(axis=-1)

    def score_at(position: np.ndarray) -> np.ndarray:
        return 1 + (running <= position[..., np.newaxis]).sum(axis=-1)

    def quantile(p: float) -> np.ndarray:
        h = p * np.maximum(n - 1, 0)
        below = np.floor(h).astype(np.int64)
        lower, upper = score_at(below), score_at(np.ceil(h).astype(np.int64))
        return np.where(n > 0, lower + (h - below) * (upper - lower), np.nan)

    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, s1 / n, np.nan)
        variance = np.where(n > 1, (n * s2 - s1 * s1) / (n * (n - 1)), np.nan)
    present = scored > 0
    return {
        "n": n,
        "dont_know": counts[..., 0].astype(np.int64),
        "mean": mean,
        "median": quantile(0.5),
        "sd": np.sqrt(variance),
        "q1": quantile(0.25),
        "q3": quantile(0.75),
        "min": np.where(n > 0, 1 + present.argmax(axis=-1), 0),
        "max": np.where(n > 0, len(SCALE) - present[..., ::-1].argmax(axis=-1), 0),
        "counts": scored,
    }


def _stats(row: _Row | None) -> Stats:
    """A Stats from a ``_Row``; an empty Stats for a group with no ratings."""
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
    n = row.n
    return Stats(
        n=n,
        dont_know=row.dont_know,
        mean=_rounded(row.mean),
        median=_rounded(row.median),
        sd=_rounded(row.sd) if n >= 2 else None,
        q1=_rounded(row.q1),
        q3=_rounded(row.q3),
        min=None if n == 0 else row.min,
        max=None if n == 0 else row.max,
        counts=dict(zip(SCALE, row.counts, strict=True)),
    )


def _rounded(value: float | None) -> float | None:
    """Two decimals as a plain float; None for a missing value (NaN)."""
    if value is None or math.isnan(value):
        return None
    return round(float(value), 2)


def _hidden(
    cells: dict[str, _Row], shown_keys: Sequence[str], k: int, also: Iterable[str] = ()
) -> set[str]:
    """The cells of one breakdown (by sector or by role) to hide: ``suppressed_cells``.

    Cells outside ``shown_keys`` (a blank role), and those in ``also``, are hidden
    whatever their size and count toward the hidden total, so they cannot be recovered by
    subtraction either.
    """

    # Shown cells first, in their usual order, so ties are broken the same way every time.
    def count(cell: str, key: str) -> int:
        return getattr(cells[cell], key) if cell in cells else 0

    ordered = [*shown_keys, *(cell for cell in cells if cell not in shown_keys)]
    ns = {cell: count(cell, "n") for cell in ordered}
    sizes = {cell: count(cell, "n") + count(cell, "dont_know") for cell in ordered}
    never_shown = [cell for cell in cells if cell not in shown_keys or cell in set(also)]
    return suppressed_cells(ns, k, never_shown=never_shown, sizes=sizes)


def _shown(
    cells: dict[str, _Row], shown_keys: Sequence[str], hidden: set[str]
) -> dict[str, Stats | None]:
    return {
        cell: _stats(cells[cell]) if cell in cells and cell not in hidden else None
        for cell in shown_keys
    }


def _breakdowns(
    tables: _RoundTables, system_id: int, code: str, k: int
) -> tuple[dict[str, Stats | None], dict[str, Stats | None]]:
    """The by-sector and by-role breakdowns of one pre-condition, with small groups hidden.

    Each breakdown is first suppressed by itself (``suppressed_cells``). But the two are
    published side by side, and someone who knows each respondent's sector and role can
    combine them: a sector minus a role that lies inside it, or a sector plus a role
    minus the total, can be a group of fewer than k. So while the shown cells of both
    together give away such a group (``_linked_disclosure``), one more shown cell is
    hidden — the smallest whose hiding stops that group being worked out, or else the
    smallest — and the per-breakdown rule is applied again.
    """
    sector_cells = tables.cells("sector", system_id, code)
    role_cells = tables.cells("role", system_id, code)
    combined = tables.sector_and_role_cells(system_id, code)
    also: dict[str, set[str]] = {"sector": set(), "role": set()}

    def hide(extra: dict[str, set[str]]) -> tuple[set[str], set[str]]:
        return (
            _hidden(sector_cells, SECTORS, k, extra["sector"]),
            _hidden(role_cells, ROLES, k, extra["role"]),
        )

    hidden_sectors, hidden_roles = hide(also)
    while (group := _linked_disclosure(combined, hidden_sectors, hidden_roles, k)) is not None:
        # Shown cells, smallest first; ties: sectors first, then the usual order.
        candidates = sorted(
            [
                *(
                    (sector_cells[c].n, 0, SECTORS.index(c), "sector", c)
                    for c in sector_cells
                    if c in SECTORS and c not in hidden_sectors
                ),
                *(
                    (role_cells[c].n, 1, ROLES.index(c), "role", c)
                    for c in role_cells
                    if c in ROLES and c not in hidden_roles
                ),
            ]
        )
        if not candidates:  # cannot happen: a disclosure needs shown cells of both
            break
        chosen = candidates[0]
        for candidate in candidates:
            *_order, dimension, cell = candidate
            trial = {**also, dimension: also[dimension] | {cell}}
            if not _derivable(combined, *hide(trial), group):
                chosen = candidate
                break
        *_order, dimension, cell = chosen
        also[dimension].add(cell)
        hidden_sectors, hidden_roles = hide(also)
    return _shown(sector_cells, SECTORS, hidden_sectors), _shown(role_cells, ROLES, hidden_roles)


def _published_sums(
    combined: Mapping[tuple[str, str], tuple], hidden_sectors: set[str], hidden_roles: set[str]
) -> tuple[list[tuple[str, str]], np.ndarray]:
    """The non-empty (sector, role) cells, and one row per published group over them: the
    total, each shown sector, each shown role (1 where the cell belongs to the group)."""
    cells = sorted(combined)
    rows = [np.ones(len(cells))]
    for position, name in ((0, s) for s in SECTORS if s not in hidden_sectors):
        rows.append(np.asarray([cell[position] == name for cell in cells], dtype=float))
    for position, name in ((1, r) for r in ROLES if r not in hidden_roles):
        rows.append(np.asarray([cell[position] == name for cell in cells], dtype=float))
    return cells, np.vstack(rows)


def _derivable(
    combined: Mapping[tuple[str, str], tuple],
    hidden_sectors: set[str],
    hidden_roles: set[str],
    group: frozenset[tuple[str, str]],
) -> bool:
    """Whether the sums over ``group`` follow from the published sums (a linear
    combination of them)."""
    cells, rows = _published_sums(combined, hidden_sectors, hidden_roles)
    target = np.asarray([cell in group for cell in cells], dtype=float)
    rank = np.linalg.matrix_rank(rows)
    return bool(np.linalg.matrix_rank(np.vstack([rows, target])) == rank)


def _linked_disclosure(
    combined: Mapping[tuple[str, str], tuple],
    hidden_sectors: set[str],
    hidden_roles: set[str],
    k: int,
) -> frozenset[tuple[str, str]] | None:
    """A group of (sector, role) cells, other than everyone, with fewer than ``k`` scores
    or people (but some), whose sums follow from the total and the shown cells of both
    breakdowns; None if there is none.

    A group follows when t + a_s + b_r is 1 on its cells and 0 on the other non-empty
    cells, for some t (the total's coefficient), a_s (0 for a hidden sector) and b_r (0
    for a hidden role). Writing u_s = t + a_s and w_r = b_r, each cell is u_s + w_r; in
    each connected part of the graph whose edges are the non-empty cells, fixing the
    first vertex and choosing 0 or 1 along a spanning tree fixes every vertex, so the
    0/1 patterns of a part can be listed (at most 2^9 for 4 sectors and 6 roles). The
    parts are then combined, keeping the total's coefficient t the same in all.
    """
    shown_sectors = {s for s, _r in combined if s in SECTORS and s not in hidden_sectors}
    shown_roles = {r for _s, r in combined if r in ROLES and r not in hidden_roles}
    if not shown_sectors or not shown_roles:
        return None  # one breakdown alone: rules 2-4 already protect it
    if len(combined) == len({s for s, _r in combined}) * len({r for _s, r in combined}):
        # Everyone sector meets everyone role: the sums then give only unions of whole
        # sectors or of whole roles (hidden ones all together), each at least k.
        return None
    parts = []
    for part in _connected_parts(set(combined)):
        patterns = _patterns(part, hidden_sectors, hidden_roles, combined, k)
        parts.append((part, patterns))
    everyone = frozenset(combined)
    forced = {t for _part, patterns in parts for _ones, t in patterns if t is not None}
    for t in [*sorted(forced), None]:
        # For each reachable (scores, people) so far, capped at k, one group reaching it.
        reach: dict[tuple[int, int], frozenset] = {(0, 0): frozenset()}
        for _part, patterns in parts:
            step: dict[tuple[int, int], frozenset] = {}
            for (scores, people), group in reach.items():
                for ones, needs in patterns:
                    if needs is not None and needs != t:
                        continue
                    union = group | ones
                    key = (
                        min(k, scores + sum(combined[c][0] for c in ones)),
                        min(k, people + sum(combined[c][1] for c in ones)),
                    )
                    # Keep a group other than everyone when there is one.
                    if key not in step or step[key] == everyone:
                        step[key] = union
            reach = step
        for (scores, people), group in reach.items():
            if group and group != everyone and (0 < scores < k or 0 < people < k):
                return group
    return None


def _connected_parts(cells: set[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    parts, remaining = [], set(cells)
    while remaining:
        part = {min(remaining)}
        grew = True
        while grew:
            grew = False
            for cell in list(remaining - part):
                if any(cell[0] == other[0] or cell[1] == other[1] for other in part):
                    part.add(cell)
                    grew = True
        remaining -= part
        parts.append(sorted(part))
    return parts


def _patterns(
    part: list[tuple[str, str]],
    hidden_sectors: set[str],
    hidden_roles: set[str],
    sizes: Mapping[tuple[str, str], tuple],
    k: int,
) -> set[tuple[frozenset, int | None]]:
    """The 0/1 patterns the published sums can make on one connected part that could be
    part of a small group: (cells at 1, the total's coefficient t it needs, or None if
    any will do). Patterns holding at least ``k`` scores and ``k`` people are not listed
    (nor followed: cells only add), so the search stays small."""
    adjacent: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for sector, role in part:
        adjacent.setdefault(("s", sector), []).append(("r", role))
        adjacent.setdefault(("r", role), []).append(("s", sector))
    first = ("s", part[0][0])
    order, parent = [first], {}
    for vertex in order:  # breadth first: ``order`` grows as it is read
        for other in adjacent[vertex]:
            if other != first and other not in parent:
                parent[other] = vertex
                order.append(other)
    found: set[tuple[frozenset, int | None]] = set()
    value = {first: 0}

    def cell(a: tuple[str, str], b: tuple[str, str]) -> tuple[str, str]:
        return (a[1], b[1]) if a[0] == "s" else (b[1], a[1])

    def assign(index: int, scores: int, people: int) -> None:
        if scores >= k and people >= k:
            return
        if index < len(order):
            vertex = order[index]
            for x in (0, 1):
                value[vertex] = x - value[parent[vertex]]
                edges = [(o, value[vertex] + value[o]) for o in adjacent[vertex] if o in value]
                if all(x_e in (0, 1) for _o, x_e in edges):
                    ones = [sizes[cell(vertex, o)] for o, x_e in edges if x_e == 1]
                    assign(
                        index + 1,
                        scores + sum(size[0] for size in ones),
                        people + sum(size[1] for size in ones),
                    )
                del value[vertex]
            return
        # u = value + c for sectors, w = value - c for roles, for one real c.
        roles_fixed = {value[("r", r)] for r in hidden_roles if ("r", r) in value}
        sectors_fixed = {value[("s", s)] for s in hidden_sectors if ("s", s) in value}
        if len(roles_fixed) > 1:
            return  # every hidden role has w = 0
        if roles_fixed:
            c = next(iter(roles_fixed))
            ts = {u + c for u in sectors_fixed}  # every hidden sector has u = t
            if len(ts) > 1:
                return
            t = next(iter(ts), None)
        else:
            if len(sectors_fixed) > 1:
                return
            t = None  # c is free, so t can be anything
        ones = frozenset(c for c in part if value[("s", c[0])] + value[("r", c[1])] == 1)
        found.add((ones, t))

    assign(1, 0, 0)
    return found


def _sector_divergence(by_sector: dict[str, Stats | None]) -> float | None:
    medians = [s.median for s in by_sector.values() if s is not None and s.median is not None]
    if len(medians) < 2:
        return None
    return _rounded(max(medians) - min(medians))


def _respondents_by_sector(tables: _RoundTables, system_id: int, k: int) -> dict[str, int | None]:
    counts = tables.respondents_by_sector.get(system_id, {})
    ns = {sector: counts.get(sector, 0) for sector in SECTORS}
    never_shown = [sector for sector in counts if sector not in ns]
    ns |= {sector: counts[sector] for sector in never_shown}
    hidden = suppressed_cells(ns, k, never_shown=never_shown)
    # A sector with nobody is shown as 0: an empty group reveals nobody.
    return {sector: None if sector in hidden else ns[sector] for sector in SECTORS}


def _evidence_by_system_and_code(frame: pd.DataFrame) -> dict[tuple, list[str]]:
    """Non-empty evidence per (system_id, code), in alphabetical order. Only the text: who
    wrote it, and their sector and role, never travel with it. Not in response order: then
    the n-th excerpts of two pre-conditions would come from the same person, and a reader
    could piece one person's answers together."""
    written = frame.loc[frame["evidence"] != "", ["system_id", "code", "evidence"]]
    evidence: dict[tuple, list[str]] = {}
    for system_id, code, text in zip(
        written["system_id"].tolist(),
        written["code"].tolist(),
        written["evidence"].str.strip().tolist(),
        strict=True,
    ):
        if text:  # whitespace alone is not evidence
            evidence.setdefault((system_id, code), []).append(text)
    for texts in evidence.values():
        texts.sort(key=lambda text: (text.casefold(), text))
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
    previous = _stats(earlier_tables.overall(system_id, code))
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
        overall = _stats(current.overall(system_id, code))
        by_sector, by_role = _breakdowns(current, system_id, code, k)
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
