"""The benchmark itself, run by ``python -m bench`` inside a process whose database
is the benchmark's own (see ``bench.database``). Prints each size's figures as it goes,
then the targets with the figures that meet them or not."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from reports import releases
from surveys.models import Diagnostic, Rating

from . import data, load, measure, weight
from . import email as email_bench
from . import workshops as workshop_bench
from .server import Gunicorn, database_url, default_workers

SIZES = {
    "place": data.Scale(places=1),
    "region": data.Scale(places=30),
    "national": data.Scale(places=300),
}
USERS = 50
PAGE_TARGET_MS = 150
AGGREGATION_TARGET = 3.0
SAVE_SHARE_TARGET = 0.4  # issue 12: Django's own sessions, no prepared statements
SAVE_P95_TARGET_MS = 150
EXPORT_TARGET_MB = 200
PAGE_WEIGHT_TARGET_KB = 600


@dataclass
class SizeResult:
    name: str
    ratings: int
    generated_s: float
    pages: list[measure.PageTiming] = field(default_factory=list)
    weights: list[weight.PageWeight] = field(default_factory=list)
    aggregation: measure.Aggregation | None = None
    loads: dict[str, load.LoadResult] = field(default_factory=dict)


@dataclass
class Options:
    sizes: dict[str, data.Scale]  # name -> scale, in the order they are built
    requests: int = 20  # GETs per page
    load_seconds: float = 15  # each load-test run
    warmup_seconds: float = 2  # before each load-test run
    connections: int = USERS
    repeat: int = 3  # timed runs of the aggregation
    workers: int = field(default_factory=default_workers)
    workshop_phones: int = workshop_bench.PHONES  # the workshop room (bench.workshops)
    workshop_seconds: float = workshop_bench.ANSWER_WINDOW_S
    email: email_bench.Sizes = field(default_factory=email_bench.Sizes)


def pages(client: Client) -> dict[str, str]:
    workshop = Diagnostic.objects.get(slug=data.WORKSHOP_SLUG)
    city = Diagnostic.objects.get(slug=data.CITY_SLUG)
    city_system = city.systems.get()
    return {
        "report, one place (4 systems x 50)": reverse("reports:diagnostic", args=[workshop.slug]),
        "JSON export, one place": reverse("reports:export", args=[workshop.slug, "json"]),
        "report, City (1 system x 1,000)": reverse("reports:diagnostic", args=[city.slug]),
        "system page, City": reverse("reports:system", args=[city.slug, city_system.slug]),
        "JSON export, City": reverse("reports:export", args=[city.slug, "json"]),
    }


def measure_size(name: str, options: Options, say: Callable[[str], None]) -> SizeResult:
    started = time.perf_counter()
    data.generate(options.sizes[name], secret_key=settings.SECRET_KEY)
    result = SizeResult(
        name=name,
        ratings=Rating.objects.count(),
        generated_s=time.perf_counter() - started,
    )
    say(
        f"\n== {name}: {data.places_count()} place(s) and City, "
        f"{result.ratings:,} ratings (generated in {result.generated_s:.1f} s); "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )

    client = Client()
    client.force_login(data.facilitator())
    say(f"Pages, server time in-process over {options.requests} GETs after one warm-up:")
    say(f"  {'page':<38} {'median':>9} {'p95':>9} {'queries':>8}")
    for page, url in pages(client).items():
        timing = measure.page_timing(client, page, url, requests=options.requests)
        result.pages.append(timing)
        say(
            f"  {page:<38} {timing.median_ms:>6.1f} ms {timing.p95_ms:>6.1f} ms {timing.queries:>8}"
        )
    say("Report pages, bytes transferred (HTML as served + linked static files in brotli):")
    for page, url in pages(client).items():
        if page.startswith(("report", "system page")):
            page_weight = weight.page_weight(client, page, url)
            result.weights.append(page_weight)
            assets = ", ".join(
                f"{path} {size / 1000:.0f}" for path, size in page_weight.assets.items()
            )
            say(
                f"  {page:<38} {page_weight.total_bytes / 1000:>6.0f} KB "
                f"(HTML {page_weight.html_bytes / 1000:.0f} KB; {assets})"
            )

    city = Diagnostic.objects.select_related("place").get(slug=data.CITY_SLUG)
    started = time.perf_counter()
    snapshot = releases.round_snapshot(city)
    say(
        f"Release snapshot of City ({len(snapshot.rows):,} ratings: summary, rows, "
        f"fingerprints): {time.perf_counter() - started:.3f} s"
    )

    ids = list(Diagnostic.objects.values_list("pk", flat=True))
    aggregation = measure.aggregation_vs_sql(ids, repeat=options.repeat)
    result.aggregation = aggregation
    say(f"Aggregation of every diagnostic ({aggregation.ratings:,} answered ratings):")
    say(f"  reports.aggregate (frame + statistics)  {aggregation.app_s:6.3f} s")
    say(f"  ... and every SystemSummary            {aggregation.summaries_s:6.3f} s")
    say(
        f"  SQL GROUP BY floor (system x code, + sector) {aggregation.sql_s:6.3f} s"
        f"   ratio {aggregation.ratio:.2f}x"
    )
    say(f"  SQL GROUP BY, system x code only      {aggregation.sql_by_code_s:6.3f} s")
    pause = measure.collector_pause(ids, repeat=max(3, options.repeat))
    say(
        f"  ratings_frame CPU, collector paused {pause.paused_cpu_s:6.3f} s, running "
        f"{pause.running_cpu_s:6.3f} s: the pause saves {pause.saving:.0%}"
    )

    result.loads = load_test(options, say)
    return result


def load_test(options: Options, say: Callable[[str], None]) -> dict[str, load.LoadResult]:
    workshop = data.workshop(settings.SECRET_KEY)
    url = database_url(connection.settings_dict)
    runs = {
        "ok": 'trivial view "ok" (floor a)',
        "minimal": "minimal save (floor b)",
        "autosave": "partner's save: autosave",
        "step": "partner's save: step form",
    }
    results = {}
    with Gunicorn(database_url=url, secret_key=settings.SECRET_KEY, workers=options.workers) as app:
        users = load.prepare_users(app.url, workshop, options.connections)
        say(
            f"Load test: wrk, {options.connections} users at once for "
            f"{options.load_seconds:.0f} s each, gunicorn with {app.workers} workers:"
        )
        say(
            f"  {'run':<28} {'req/s':>8} {'p50':>9} {'p95':>9} {'errors':>7} {'updates':>8}"
            f" {'CPU/req':>10}"
        )
        for mode, title in runs.items():
            common: dict[str, Any] = {
                "mode": mode,
                "connections": options.connections,
                "server_pids": [app.process.pid],
            }
            load.run_wrk(app.url, users, name=title, seconds=options.warmup_seconds, **common)
            run = load.run_wrk(app.url, users, name=title, seconds=options.load_seconds, **common)
            results[mode] = run
            share = ""
            if mode in ("autosave", "step"):
                floor = results["minimal"]
                share = f"  {run.rps / floor.rps:.0%} of floor b"
                if run.cpu_ms and floor.cpu_ms:
                    share += f" (by CPU: {floor.cpu_ms / run.cpu_ms:.0%})"
            cpu = "" if run.cpu_ms is None else f"{run.cpu_ms:.2f} ms"
            say(
                f"  {title:<28} {run.rps:>8.0f} {run.p50_ms:>6.1f} ms {run.p95_ms:>6.1f} ms "
                f"{run.errors:>7} {'' if run.updates is None else run.updates:>8} {cpu:>10}{share}"
            )
            if run.errors:
                kinds = ", ".join(f"{n} {kind}" for kind, n in run.error_kinds.items() if n)
                say(f"  {'':<28} errors: {kinds}")
        typing = load.run_typing(
            app.url, users, seconds=options.load_seconds, server_pids=[app.process.pid]
        )
        results["typing"] = typing
        say(
            f"  {'autosave, people typing':<28} {typing.rps:>8.0f} {typing.p50_ms:>6.1f} ms "
            f"{typing.p95_ms:>6.1f} ms {typing.errors:>7} {typing.updates:>8} "
            f"{'' if typing.cpu_ms is None else f'{typing.cpu_ms:.2f} ms':>10}"
            "  (each person saves every 1-3 s)"
        )
        failed = [run for run in results.values() if run.errors]
        if any(kind.startswith("HTTP 5") for run in failed for kind in run.error_kinds):
            say("  gunicorn's log (the end):\n" + app.log_text()[-3000:])
    return results


def export_memory(say: Callable[[str], None]) -> list[measure.ExportMemory]:
    env = {
        "DATABASE_URL": database_url(connection.settings_dict),
        "DJANGO_SETTINGS_MODULE": "bench.settings",
    }
    city = Diagnostic.objects.get(slug=data.CITY_SLUG)
    answered = Rating.objects.answered().filter(response__status="submitted")
    results = [
        measure.export_peak_rss(
            "idle process (Django set up, nothing exported)", ["baseline"], env, rows=0
        ),
        measure.export_peak_rss(
            "export_results City --format csv",
            ["command", "export_results", city.slug, "--format", "csv", "--output", "/dev/null"],
            env,
            rows=answered.filter(response__diagnostic=city).count(),
        ),
        measure.export_peak_rss(
            "every rating, national (streamed CSV)", ["all"], env, rows=answered.count()
        ),
    ]
    say("\nCSV export, peak resident memory of the exporting process:")
    for result in results:
        say(
            f"  {result.name:<48} {result.rows:>9,} rows {result.peak_rss_mb:>7.1f} MB"
            f" {result.seconds:>6.1f} s"
        )
    return results


def verdicts(results: list[SizeResult], exports: list[measure.ExportMemory]) -> list[str]:
    """Each target, met or not, with the figures."""
    lines = []

    def verdict(ok: bool, text: str) -> None:
        lines.append(f"  [{'met' if ok else 'NOT MET'}] {text}")

    for page in results[0].pages:
        counts = [next(p.queries for p in r.pages if p.name == page.name) for r in results]
        verdict(len(set(counts)) == 1, f"queries of {page.name} constant: {counts}")
    for result in results:
        for page in result.pages:
            if page.name.startswith(("report", "system page")):
                verdict(
                    page.median_ms <= PAGE_TARGET_MS,
                    f"{page.name} at {result.name} size: median {page.median_ms:.0f} ms "
                    f"<= {PAGE_TARGET_MS} ms",
                )
    for result in results:
        for page_weight in result.weights:
            verdict(
                page_weight.total_bytes <= PAGE_WEIGHT_TARGET_KB * 1000,
                f"{page_weight.name} at {result.name} size: "
                f"{page_weight.total_bytes / 1000:.0f} KB transferred "
                f"<= {PAGE_WEIGHT_TARGET_KB} KB",
            )
    last = results[-1]
    if last.aggregation is not None:
        verdict(
            last.aggregation.ratio <= AGGREGATION_TARGET,
            f"aggregation at {last.name} size: {last.aggregation.app_s:.2f} s = "
            f"{last.aggregation.ratio:.2f}x the SQL floor ({last.aggregation.sql_s:.2f} s), "
            f"<= {AGGREGATION_TARGET:.0f}x",
        )
    for result in results:
        if not result.loads:
            continue
        floor = result.loads["minimal"].rps
        for mode in ("autosave", "step"):
            run = result.loads[mode]
            verdict(
                run.rps >= SAVE_SHARE_TARGET * floor,
                f"{run.name} at {result.name} size: {run.rps:.0f} req/s = "
                f"{run.rps / floor:.0%} of the minimal save ({floor:.0f}), "
                f">= {SAVE_SHARE_TARGET:.0%}",
            )
            verdict(
                run.p95_ms <= SAVE_P95_TARGET_MS,
                f"{run.name} at {result.name} size: p95 {run.p95_ms:.0f} ms "
                f"<= {SAVE_P95_TARGET_MS} ms",
            )
            verdict(run.errors == 0, f"{run.name} at {result.name} size: {run.errors} errors")
        typing = result.loads.get("typing")
        if typing is not None:
            verdict(
                typing.requests > 0 and typing.p95_ms <= SAVE_P95_TARGET_MS and not typing.errors,
                f"{typing.name} at {result.name} size ({typing.rps:.0f} saves/s): "
                f"p95 {typing.p95_ms:.0f} ms <= {SAVE_P95_TARGET_MS} ms, {typing.errors} errors "
                "(not a target of the brief: the load of a real workshop)",
            )
    for export in exports[1:]:
        verdict(
            export.peak_rss_mb < EXPORT_TARGET_MB,
            f"{export.name}: {export.rows:,} rows in {export.peak_rss_mb:.0f} MB peak "
            f"< {EXPORT_TARGET_MB} MB",
        )
    return lines


def run(options: Options, say: Callable[[str], None]) -> list[str]:
    load.wrk_path()  # before minutes of work, not after
    results = [measure_size(name, options, say) for name in options.sizes]
    exports = export_memory(say)
    lines = verdicts(results, exports) + email_bench.run(say, options.email)
    lines += workshop_bench.run(
        say, phones=options.workshop_phones, seconds=options.workshop_seconds
    )
    say("\nTargets:")
    for line in lines:
        say(line)
    return lines
