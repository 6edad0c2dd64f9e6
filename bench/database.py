"""The benchmark's own PostgreSQL database, never the development one.

With a PostgreSQL ``DATABASE_URL`` the benchmark creates ``<name>_benchmark`` on the same
server (its user needs CREATEDB) and drops it afterwards. Otherwise (SQLite) it starts a
throwaway cluster with ``scripts/postgres.sh`` and stops it afterwards.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from .server import database_url as url_of_settings

SUFFIX = "_benchmark"
SCRIPT = Path(settings.BASE_DIR) / "scripts" / "postgres.sh"


def _with_name(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextmanager
def postgres_server(log) -> Iterator[str]:
    """A URL of a PostgreSQL server to create the benchmark database on: the one in
    DATABASE_URL, else a throwaway cluster started here and stopped on exit."""
    current = settings.DATABASES["default"]
    if current["ENGINE"] == "django.db.backends.postgresql":
        yield url_of_settings(current)
        return
    from .server import free_port

    directory = tempfile.mkdtemp(prefix="preconditions-benchmark-pg.")
    log(f"DATABASE_URL is not PostgreSQL: starting a throwaway cluster in {directory}")
    try:
        started = subprocess.run(
            [str(SCRIPT), "start", directory, str(free_port())],
            check=True,
            capture_output=True,
            text=True,
        )
    except (OSError, subprocess.CalledProcessError) as error:
        raise CommandError(
            "The benchmark needs PostgreSQL: set DATABASE_URL to a PostgreSQL server, or "
            f"install PostgreSQL so scripts/postgres.sh can start one ({error})."
        ) from error
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([str(SCRIPT), "stop", directory], check=False, capture_output=True)


@contextmanager
def benchmark_database(server_url: str, *, keep: bool) -> Iterator[str]:
    """Create an empty ``<name>_benchmark`` database on the server; drop it on exit."""
    development = urlsplit(server_url).path.lstrip("/") or "preconditions"
    name = f"{development}{SUFFIX}" if development != "postgres" else f"preconditions{SUFFIX}"
    admin = psycopg2.connect(_with_name(server_url, "postgres"))
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield _with_name(server_url, name)
    finally:
        if not keep:
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def check_is_benchmark_database() -> None:
    """Refuse to run anywhere but on PostgreSQL in a database named ``*_benchmark``."""
    if connection.vendor != "postgresql":
        raise CommandError(
            "The benchmark runs on PostgreSQL only (SQLite has no COPY, no concurrent "
            "writers and is not what production runs). Run `python -m bench`, which "
            "creates its own PostgreSQL database."
        )
    name = connection.settings_dict["NAME"]
    if not name.endswith(SUFFIX):
        raise CommandError(f"Refusing to write benchmark data into {name!r}.")


def prepare() -> None:
    """Migrate the empty benchmark database and load the framework, as deployment does."""
    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    call_command("loaddata", "framework", verbosity=0)
