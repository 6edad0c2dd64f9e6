"""``python -m bench`` (``make benchmark``): performance at the scale of a national roll-out.

Creates a separate PostgreSQL database (``<name>_benchmark`` on the server in
DATABASE_URL, or on a throwaway cluster when DATABASE_URL is SQLite), fills it with
synthetic data at three sizes, measures report pages, the aggregation, the partner's save
under load and the memory of the CSV export, and drops it again. Never touches the
development database. See docs/performance.md for what it measures and the figures.

The benchmark is not product code: it imports the apps, and no app imports it. The run
itself happens in a child process (``python -m bench --inside``) whose DATABASE_URL is the
benchmark database and whose settings are ``bench.settings``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence

SIZES = ("place", "region", "national")


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "Benchmark report pages, the aggregation, the partner's save under load and the "
            "CSV export on PostgreSQL, in a separate benchmark database (about 6 minutes)."
        ),
    )
    parser.add_argument(
        "--sizes",
        default=",".join(SIZES),
        help="Comma-separated sizes, in order: place, region, national (default: all).",
    )
    parser.add_argument("--requests", type=int, default=20, help="GETs per page.")
    parser.add_argument(
        "--load-seconds", type=float, default=15, help="Length of each load-test run."
    )
    parser.add_argument("--keep-database", action="store_true", help="Keep the benchmark database.")
    # Internal: the run itself, in a child process whose DATABASE_URL is the benchmark
    # database.
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parser().parse_args(argv)
    sizes = [size.strip() for size in arguments.sizes.split(",") if size.strip()]
    unknown = [size for size in sizes if size not in SIZES]
    if unknown or not sizes:
        print(f"Unknown sizes {unknown}: choose from {', '.join(SIZES)}.", file=sys.stderr)
        return 2
    # The launcher reads the developer's settings (to find the PostgreSQL server); the
    # child is started with bench.settings.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import CommandError

    try:
        if arguments.inside:
            _run(sizes, arguments)
        else:
            return _launch(arguments)
    except (CommandError, RuntimeError) as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    return 0


def _launch(arguments: argparse.Namespace) -> int:
    from django.conf import settings

    from . import database, load
    from .server import new_secret_key

    load.wrk_path()  # before minutes of work, not after
    with (
        database.postgres_server(print) as server_url,
        database.benchmark_database(server_url, keep=arguments.keep_database) as url,
    ):
        print(f"Benchmark database: {url}", flush=True)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DEBUG": "0",
            "SECRET_KEY": new_secret_key(),
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "SECURE_SSL_REDIRECT": "0",
            "LOG_LEVEL": "WARNING",
        }
        command = [
            sys.executable,
            "-m",
            "bench",
            "--inside",
            "--sizes",
            arguments.sizes,
            "--requests",
            str(arguments.requests),
            "--load-seconds",
            str(arguments.load_seconds),
        ]
        completed = subprocess.run(command, env=env, cwd=settings.BASE_DIR, check=False)
        if completed.returncode:
            print("The benchmark failed (see above).", file=sys.stderr)
            return 1
    return 0


def _run(sizes: list[str], arguments: argparse.Namespace) -> None:
    from . import database, run

    database.check_is_benchmark_database()
    print("Migrating the benchmark database and loading the framework...", flush=True)
    database.prepare()
    run.run(
        run.Options(
            sizes={size: run.SIZES[size] for size in sizes},
            requests=arguments.requests,
            load_seconds=arguments.load_seconds,
        ),
        lambda line: print(line, flush=True),
    )


if __name__ == "__main__":
    sys.exit(main())
