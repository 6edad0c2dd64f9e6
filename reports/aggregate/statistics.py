"""The statistics of a round, computed from counts: every group's n, mean, sd, median,
quartiles, min and max at once (``_RoundTables``), and their conversion to ``Stats``.
Pure: no database, no suppression (that is ``suppression.py``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from .contract import SCALE, Stats


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
        rows = {
            names[cell]: table.row((*position, cell))
            for cell in np.flatnonzero(table.present[position]).tolist()
        }
        # Only present cells are read, and a present cell always has a row.
        return {name: row for name, row in rows.items() if row is not None}


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
