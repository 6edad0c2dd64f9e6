"""Fixtures shared by every test module, the Hypothesis profile, and which tests run on
PostgreSQL.

``make test`` runs the suite on SQLite (everything but the tests marked ``postgres``), then
on PostgreSQL only what can behave differently there: ``-m "postgres or db_dependent or
smoke"``.

- ``postgres``: needs PostgreSQL itself (several app processes on one database, the
  benchmark); marked in the test modules.
- ``db_dependent``: every test of a module in ``DATABASE_DEPENDENT`` below: raw SQL, row
  locks and concurrent writers, bulk writes, constraints and column limits that
  PostgreSQL enforces and SQLite does not (text length, NUL, integer range), server-side
  cursors.
- ``smoke``: in every other module, the tests it marks ``smoke``, or else its first test
  that uses the database, so each module's fixtures and queries are seen to work on
  PostgreSQL too. Tests that use no
  database gain nothing from a second run; the browser tests check the browser side
  (their server-side paths are the ones the modules above cover), so they run once.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from preconditions.models import Framework
from tests import hypothesis_profiles

HYPOTHESIS_PROFILE = hypothesis_profiles.load()

# Run in full on PostgreSQL as well as SQLite, and why. A module named here that does not
# exist stops the run (pytest_configure), so a rename cannot drop one silently.
DATABASE_DEPENDENT = {
    "tests/test_answer_replace.py": "the partner's save as one raw UPDATE, per vendor",
    "tests/test_sessions.py": "the session store's own SQL",
    "tests/test_partner_flow.py": "the save paths, row locks (select_for_update of self)",
    "tests/test_importing.py": "lock on the diagnostic, bulk writes, column limits",
    "tests/test_import_command.py": "the import in one transaction, bulk writes",
    "tests/test_import_views.py": "a confirmation racing another (the row lock)",
    "tests/test_invitations.py": "unique token hashes, bulk creation",
    "tests/test_exports.py": "CSV streamed from a server-side cursor (PostgreSQL only)",
    "tests/test_export_command.py": "the same cursor, from the command",
    "tests/test_hypothesis_forms.py": "hostile values reaching the database: lengths, "
    "integer range, NUL (PostgreSQL refuses what SQLite stores)",
}
# What counts as using the database (pytest-django's fixtures, or its marker).
DATABASE_FIXTURES = ("db", "transactional_db", "live_server", "django_db_reset_sequences")


def pytest_configure(config) -> None:
    missing = [m for m in DATABASE_DEPENDENT if not (config.rootpath / m).is_file()]
    if missing:
        raise pytest.UsageError(f"tests/conftest.py: DATABASE_DEPENDENT names {missing}")
    if not hasattr(config, "workerinput"):  # once, in the controller, not per xdist worker
        _compile_stale_catalogues(config.rootpath)


def _compile_stale_catalogues(root: Path) -> None:
    """A test run reads the compiled catalogues: compile any older than its .po (make test
    has done it already; this serves a run of a single test module)."""
    if shutil.which("msgfmt") is None:
        return  # the Welsh tests then fail and say why (tests/test_translations.py)
    for po in (root / "locale").glob("*/LC_MESSAGES/django.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            subprocess.run(["msgfmt", "--check", "-o", str(mo), str(po)], check=True)


def pytest_report_header(config) -> str:
    return f"hypothesis profile: {HYPOTHESIS_PROFILE} (HYPOTHESIS_PROFILE=dev|ci)"


def _uses_database(item: pytest.Item) -> bool:
    fixtures = getattr(item, "fixturenames", ())
    return item.get_closest_marker("django_db") is not None or any(
        name in fixtures for name in DATABASE_FIXTURES
    )


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(config, items) -> None:
    # A module may choose its own smoke tests with @pytest.mark.smoke.
    smoked = {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("smoke")}
    for item in items:
        module = item.nodeid.split("::")[0]
        if module in DATABASE_DEPENDENT:
            item.add_marker(pytest.mark.db_dependent)
        elif (
            module not in smoked
            and item.get_closest_marker("browser") is None
            and item.get_closest_marker("postgres") is None
            and _uses_database(item)
        ):
            item.add_marker(pytest.mark.smoke)
            smoked.add(module)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Tests create many users: a fast hasher keeps them quick (never used outside tests)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def framework(db) -> Framework:
    """The nine pre-conditions, loaded from the fixture as `make run` loads them.

    Loaded per test rather than once per session because transactional tests flush the
    database; `loaddata` is idempotent, so loading it again is harmless.
    """
    call_command("loaddata", "framework", verbosity=0)
    return Framework.objects.get(slug="place-based-systems-change")
