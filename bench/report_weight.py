"""``python -m bench.report_weight``: what the largest report costs to download at 1,000
and 5,000 responses (issue 17, "Evidence at scale"), and the evidence page's queries.

A short companion to ``python -m bench`` (which measures 1,000 only, among much else):
the same generator (``bench.data``, City: one system of imported responses, a third
with evidence), the same measurement (``bench.weight``: HTML as served plus linked static
files in brotli), on its own throwaway PostgreSQL database. About a minute. Prints one
line per page and size, then the verdict against ``bench.run.PAGE_WEIGHT_TARGET_KB``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence

SIZES = (1000, 5000)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report_weight")
    parser.add_argument(
        "--responses",
        default=",".join(str(n) for n in SIZES),
        help="Comma-separated numbers of City responses (default: 1000,5000).",
    )
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    try:
        sizes = [int(n) for n in arguments.responses.split(",") if n.strip()]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        print(f"--responses takes whole numbers, e.g. 1000,5000: {arguments.responses!r}.")
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    if arguments.inside:
        return _run(sizes)
    return _launch(arguments.responses)


def _launch(responses: str) -> int:
    from django.conf import settings

    from . import database
    from .server import new_secret_key

    # One fresh database per size: City is generated once per database.
    with database.postgres_server(print) as server_url:
        for size in responses.split(","):
            with database.benchmark_database(server_url, keep=False) as url:
                returncode = _child(url, size, settings.BASE_DIR, new_secret_key())
            if returncode:
                return returncode
    return 0


def _child(url: str, responses: str, base_dir, secret_key: str) -> int:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "0",
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONWARNINGS": "ignore",
    }
    command = [sys.executable, "-m", "bench.report_weight", "--inside", "--responses", responses]
    return subprocess.run(command, env=env, cwd=base_dir, check=False).returncode


def _run(sizes: list[int]) -> int:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    from surveys.models import Diagnostic, Rating

    from . import data, database, weight
    from .run import PAGE_WEIGHT_TARGET_KB

    database.check_is_benchmark_database()
    database.prepare()
    verdicts = []
    for responses in sizes:
        data.generate(
            data.Scale(places=0, city_respondents=responses), secret_key=settings.SECRET_KEY
        )
        city = Diagnostic.objects.get(slug=data.CITY_SLUG)
        system = city.systems.get()
        excerpts = Rating.objects.filter(response__diagnostic=city).exclude(evidence="").count()
        client = Client()
        client.force_login(data.facilitator())
        print(f"\nCity, {responses:,} responses, {excerpts:,} excerpts of evidence:", flush=True)
        pages = {
            "report page": reverse("reports:diagnostic", args=[city.slug]),
            "system page": reverse("reports:system", args=[city.slug, system.slug]),
        }
        try:
            evidence = reverse("reports:system_evidence", args=[city.slug, system.slug])
        except NoReverseMatch:  # a checkout from before the evidence page, for "before"
            pass
        else:
            pages["evidence page (A, page 2)"] = f"{evidence}?code=A&page=2"
            pages["evidence page (search)"] = f"{evidence}?q=budgets+prevention"
        for name, url in pages.items():
            client.get(url)  # warm: the first reading of a release unpacks it
            with CaptureQueriesContext(connection) as queries:
                measured = weight.page_weight(client, name, url)
            assets = ", ".join(
                f"{path} {size / 1000:.0f}" for path, size in measured.assets.items()
            )
            print(
                f"  {name:<28} {measured.total_bytes / 1000:>6.0f} KB transferred "
                f"(HTML {measured.html_bytes / 1000:.0f} KB; {assets}); "
                f"{len(queries.captured_queries)} queries",
                flush=True,
            )
            if name in ("report page", "system page"):
                ok = measured.total_bytes <= PAGE_WEIGHT_TARGET_KB * 1000
                verdicts.append(
                    f"  [{'met' if ok else 'NOT MET'}] {name} at {responses:,} responses: "
                    f"{measured.total_bytes / 1000:.0f} KB <= {PAGE_WEIGHT_TARGET_KB} KB"
                )
    print("Targets:")
    print("\n".join(verdicts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
