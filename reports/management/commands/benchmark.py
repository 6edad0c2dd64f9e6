"""``manage.py benchmark``: performance at the scale of a national roll-out.

Creates a separate PostgreSQL database (``<name>_benchmark`` on the server in
DATABASE_URL, or on a throwaway cluster when DATABASE_URL is SQLite), fills it with
synthetic data at three sizes, measures report pages, the aggregation, the partner's save
under load and the memory of the CSV export, and drops it again. Never touches the
development database. See docs/performance.md for what it measures and the figures.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

SIZES = ("place", "region", "national")


class Command(BaseCommand):
    help = (
        "Benchmark report pages, the aggregation, the partner's save under load and the "
        "CSV export on PostgreSQL, in a separate benchmark database (about 5 minutes)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--sizes",
            default=",".join(SIZES),
            help="Comma-separated sizes, in order: place, region, national (default: all).",
        )
        parser.add_argument("--requests", type=int, default=20, help="GETs per page.")
        parser.add_argument(
            "--load-seconds", type=float, default=15, help="Length of each load-test run."
        )
        parser.add_argument(
            "--keep-database", action="store_true", help="Keep the benchmark database."
        )
        # Internal: the run itself, in a child process whose DATABASE_URL is the
        # benchmark database.
        parser.add_argument("--inside", action="store_true", help="(internal)")

    def handle(self, *args, **options) -> None:
        sizes = [size.strip() for size in options["sizes"].split(",") if size.strip()]
        unknown = [size for size in sizes if size not in SIZES]
        if unknown or not sizes:
            raise CommandError(f"Unknown sizes {unknown}: choose from {', '.join(SIZES)}.")
        if options["inside"]:
            self._run(sizes, options)
        else:
            self._launch(options)

    def _launch(self, options) -> None:
        from bench import database, load

        try:
            load.wrk_path()
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        with (
            database.postgres_server(self.stdout.write) as server_url,
            database.benchmark_database(server_url, keep=options["keep_database"]) as url,
        ):
            self.stdout.write(f"Benchmark database: {url}")
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "DJANGO_SETTINGS_MODULE": "bench.settings",
                "DEBUG": "0",
                "SECRET_KEY": _secret_key(),
                "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
                "SECURE_SSL_REDIRECT": "0",
                "LOG_LEVEL": "WARNING",
            }
            arguments = [
                sys.executable,
                str(Path(settings.BASE_DIR) / "manage.py"),
                "benchmark",
                "--inside",
                "--sizes",
                options["sizes"],
                "--requests",
                str(options["requests"]),
                "--load-seconds",
                str(options["load_seconds"]),
            ]
            completed = subprocess.run(arguments, env=env, cwd=settings.BASE_DIR, check=False)
            if completed.returncode:
                raise CommandError("The benchmark failed (see above).")

    def _run(self, sizes: list[str], options) -> None:
        from bench import database, run

        database.check_is_benchmark_database()
        self.stdout.write("Migrating the benchmark database and loading the framework...")
        database.prepare()
        run.run(
            run.Options(
                sizes={size: run.SIZES[size] for size in sizes},
                requests=options["requests"],
                load_seconds=options["load_seconds"],
            ),
            lambda line: self.stdout.write(line) or self.stdout.flush(),
        )


def _secret_key() -> str:
    from bench.server import new_secret_key

    return new_secret_key()
