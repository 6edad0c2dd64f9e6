"""Reading a round's ratings from the database into one pandas frame: the only query of
the aggregation that grows with the number of ratings."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd
from django.db import connections
from django.db.models import Q, QuerySet

from surveys.models import Rating, Response

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
        columns: list[Sequence[object]] = (
            list(zip(*rows, strict=True)) if rows else [[] for _ in names]
        )
        del rows
        return _frame_from_columns(names, columns)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while rows become columns.

    Hundreds of thousands of row tuples trigger collection after collection that can free
    nothing (the rows are all still in use). Reference counting still frees everything as
    usual. Measured by ``python -m bench`` (``bench.measure.collector_pause``): on 441,360
    ratings, 0.92 s of CPU paused against 1.55 s running (41% less), so it stays.

    The switch is per process: gunicorn's sync workers serve one request at a time, so
    it pauses nobody else's request; it is restored (to what it was) even on an error.
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
