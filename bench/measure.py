"""What the benchmark measures. Each function returns a small dataclass of figures.

- ``page_timing``: server time and SQL queries of a page, in-process (Django's Client).
- ``aggregation_vs_sql``: the reports' aggregation over every diagnostic beside one SQL
  GROUP BY computing the same statistics in the database.
- ``collector_pause``: what pausing the garbage collector while ``ratings_frame`` turns
  rows into columns saves (``reports.aggregate.frame._collector_paused``).
- ``export_peak_rss``: the peak memory of a CSV export run in a child process.
The load test of the partner's save lives in ``bench.load``.
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client

from preconditions.models import Precondition
from reports import aggregate
from reports.aggregate import frame

from .data import FRAMEWORK_SLUG

BASE_DIR = Path(settings.BASE_DIR)
PEAK = re.compile(r"^peak_kb=(\d+)$", re.MULTILINE)


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile with linear interpolation (numpy's default)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * p / 100
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


@dataclass(frozen=True)
class PageTiming:
    name: str
    median_ms: float
    p95_ms: float
    queries: int
    requests: int


def _fetch(client: Client, url: str) -> None:
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    if isinstance(response, StreamingHttpResponse):
        b"".join(response.streaming_content)


def page_timing(client: Client, name: str, url: str, *, requests: int = 20) -> PageTiming:
    """Server time of ``requests`` GETs of ``url`` through the whole Django stack (the
    middleware included, no network), after one warm-up GET whose SQL statements are
    counted by an execute wrapper on the connection."""
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        _fetch(client, url)
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        _fetch(client, url)
        times.append((time.perf_counter() - start) * 1000)
    return PageTiming(
        name=name,
        median_ms=statistics.median(times),
        p95_ms=percentile(times, 95),
        queries=len(statements),
        requests=requests,
    )


@dataclass(frozen=True)
class Aggregation:
    ratings: int
    app_s: float  # ratings_frame + every system's statistics (the reports' own code)
    summaries_s: float  # the same, then a SystemSummary for every system
    sql_s: float  # the SQL floor: the statistics computed by PostgreSQL
    sql_by_code_s: float  # a lighter floor: by system and pre-condition only

    @property
    def ratio(self) -> float:
        return self.app_s / self.sql_s


FLOOR_SQL = """
SELECT r.system_id, p.code, {sector},
       count(ra.score), count(*) FILTER (WHERE ra.dont_know),
       avg(ra.score), stddev_samp(ra.score),
       percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY ra.score),
       min(ra.score), max(ra.score)
FROM surveys_rating ra
JOIN surveys_response r ON r.id = ra.response_id
JOIN preconditions_precondition p ON p.id = ra.precondition_id
WHERE r.diagnostic_id = ANY(%s) AND r.status = 'submitted'
  AND (ra.score IS NOT NULL OR ra.dont_know)
GROUP BY {grouping}
"""
# Per system x pre-condition and per system x pre-condition x sector, in one pass.
BY_CODE_AND_SECTOR = {
    "sector": "r.sector",
    "grouping": "GROUPING SETS ((r.system_id, p.code), (r.system_id, p.code, r.sector))",
}
BY_CODE = {"sector": "NULL", "grouping": "r.system_id, p.code"}


def _best_of(repeat: int, work: Callable[[], object]) -> float:
    """The median of ``repeat`` timed runs, in seconds."""
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _sql_floor(diagnostic_ids: list[int], shape: dict[str, str]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL.format(**shape), [diagnostic_ids])
        return cursor.fetchall()


def app_aggregation(diagnostic_ids: list[int]) -> aggregate._RoundTables:
    """What ``diagnostic_summary`` computes, for all these diagnostics at once: load their
    ratings (without evidence, which statistics never read) and every system's
    statistics by pre-condition, sector and role, group medians and respondents."""
    group_of_code = dict(
        Precondition.objects.filter(framework__slug=FRAMEWORK_SLUG).values_list(
            "code", "group__slug"
        )
    )
    frame = aggregate.ratings_frame(diagnostic_ids, evidence=False)
    return aggregate._RoundTables.build(frame, group_of_code)


def all_summaries(diagnostic_ids: list[int]) -> int:
    """``app_aggregation``, then every system's SystemSummary (suppression applied) as
    ``diagnostic_summary`` builds them. Returns how many systems."""
    tables = app_aggregation(diagnostic_ids)
    preconditions = list(
        Precondition.objects.filter(framework__slug=FRAMEWORK_SLUG)
        .order_by("order")
        .values_list("code", "title", "group__slug")
    )
    for system_id in tables.system_index:
        aggregate._system_summary(
            system_id,
            name="",
            slug="",
            preconditions=preconditions,
            current=tables,
            earlier=None,
            evidence={},
            k=5,
        )
    return len(tables.system_index)


def aggregation_vs_sql(diagnostic_ids: list[int], *, repeat: int = 3) -> Aggregation:
    ratings = len(aggregate.ratings_frame(diagnostic_ids, evidence=False))
    _sql_floor(diagnostic_ids, BY_CODE_AND_SECTOR)  # warm the database's caches
    return Aggregation(
        ratings=ratings,
        app_s=_best_of(repeat, lambda: app_aggregation(diagnostic_ids)),
        summaries_s=_best_of(repeat, lambda: all_summaries(diagnostic_ids)),
        sql_s=_best_of(repeat, lambda: _sql_floor(diagnostic_ids, BY_CODE_AND_SECTOR)),
        sql_by_code_s=_best_of(repeat, lambda: _sql_floor(diagnostic_ids, BY_CODE)),
    )


@dataclass(frozen=True)
class CollectorPause:
    ratings: int
    paused_cpu_s: float  # ratings_frame as shipped: the collector paused
    running_cpu_s: float  # the same with the collector left running

    @property
    def saving(self) -> float:
        return 1 - self.paused_cpu_s / self.running_cpu_s


def collector_pause(diagnostic_ids: list[int], *, repeat: int = 5) -> CollectorPause:
    """CPU time of this process (the collector's cost is there, and CPU time is not
    disturbed by other processes the way wall time is) loading every rating without
    evidence, with and without the pause; the median of ``repeat`` runs each, alternated."""
    shipped: Callable[[], contextlib.AbstractContextManager[None]] = frame._collector_paused
    times: dict[bool, list[float]] = {True: [], False: []}
    try:
        for run in range(repeat):
            for paused in (True, False) if run % 2 else (False, True):
                frame._collector_paused = shipped if paused else contextlib.nullcontext  # type: ignore[assignment]
                gc.collect()
                start = time.process_time()
                ratings = len(frame.ratings_frame(diagnostic_ids, evidence=False))
                times[paused].append(time.process_time() - start)
    finally:
        frame._collector_paused = shipped  # type: ignore[assignment]
    return CollectorPause(
        ratings=ratings,
        paused_cpu_s=statistics.median(times[True]),
        running_cpu_s=statistics.median(times[False]),
    )


@dataclass(frozen=True)
class ExportMemory:
    name: str
    rows: int
    peak_rss_mb: float
    seconds: float


def export_peak_rss(
    name: str, arguments: list[str], env: dict[str, str], *, rows: int
) -> ExportMemory:
    """Run ``python -m bench.export_all ARGUMENTS`` (its CSV goes to /dev/null) and read
    the peak resident memory (VmHWM) the child reports of itself."""
    start = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "bench.export_all", *arguments],
        cwd=BASE_DIR,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    report = PEAK.search(completed.stderr)
    if completed.returncode or report is None:
        raise RuntimeError(f"bench.export_all {' '.join(arguments)} failed:\n{completed.stderr}")
    return ExportMemory(
        name=name,
        rows=rows,
        peak_rss_mb=int(report.group(1)) / 1024,
        seconds=time.perf_counter() - start,
    )
