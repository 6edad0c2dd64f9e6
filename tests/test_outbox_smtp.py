"""Delivery through a real SMTP server (aiosmtpd, started here) by the real worker
(``manage.py db_worker``, in its own process): a slow relay, a relay refusing
connections and then back, 550 for some recipients, a relay that stops answering, and a
worker killed mid-batch.

The worker needs a database it can share with the test, so these tests make their own:
a SQLite file, or a new database on the PostgreSQL server when DATABASE_URL names one
(the suite runs on both). They set up data through ``manage.py`` commands in that
database, as an operator would, and read the outcome straight from the outbox's table (a
query, not a ``manage.py shell`` of more than a second each time).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from bench.relay import Relay

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def worker_database(tmp_path_factory):
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg2

        name = f"outbox_smtp_{uuid.uuid4().hex[:8]}"
        server = psycopg2.connect(url)
        server.autocommit = True
        server.cursor().execute(f'CREATE DATABASE "{name}"')
        base = url.rsplit("/", 1)[0]
        yield f"{base}/{name}"
        server.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.close()
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('outbox') / 'outbox.sqlite3'}"


@pytest.fixture(scope="module")
def env(worker_database):
    environment = {
        **os.environ,
        "DATABASE_URL": worker_database,
        "DEBUG": "1",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_USE_TLS": "0",
        "EMAIL_TIMEOUT": "1",
        "EMAIL_RETRY_DELAYS": "1,1,1,1",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "CONN_MAX_AGE": "0",
    }
    manage(environment, "migrate", "--noinput", "-v", "0")
    manage(environment, "loaddata", "framework", "-v", "0")
    return environment


def manage(env: dict, *args: str, timeout: float = 120) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


SETUP = """
from preconditions.models import Framework
from surveys.models import Diagnostic, Organisation, Place, System
from surveys.invitations import invitation_create
from outbox.models import Kind
from outbox.queueing import emails_queue
import uuid
tag = uuid.uuid4().hex[:8]
place = Place.objects.create(name=f"Place {tag}", slug=f"place-{tag}")
system = System.objects.create(place=place, name="Homelessness", slug="homelessness")
organisation = Organisation.objects.create(place=place, name="Council", sector="public")
diagnostic = Diagnostic.objects.create(
    place=place, slug=f"round-{tag}", title="Round 1", status="open",
    framework=Framework.objects.get(),
)
diagnostic.systems.set([system])
for n in range(COUNT):
    invitation_create(
        diagnostic=diagnostic, organisation=organisation, role="manager", systems=[system],
        name=f"P{n}", email=f"p{n}-{tag}@example.org",
    )
result = emails_queue(diagnostic=diagnostic, kind=Kind.INVITATION, actor=None)
print(diagnostic.slug)
"""

STATUS = (
    "SELECT e.recipient, e.status, e.attempts, e.last_error FROM outbox_outboxemail e"
    " JOIN surveys_diagnostic d ON d.id = e.diagnostic_id WHERE d.slug = %s"
    " ORDER BY e.recipient"
)


def queue_round(env: dict, count: int) -> str:
    return manage(env, "shell", "-v", "0", "-c", SETUP.replace("COUNT", str(count))).strip()


def statuses(env: dict, slug: str) -> list[list]:
    """[recipient, status, attempts, last_error] of the round's e-mails, by recipient."""
    url = env["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        sql = STATUS.replace("%s", "?")
    else:
        import psycopg2

        connection, sql = psycopg2.connect(url), STATUS
    try:
        cursor = connection.cursor()
        cursor.execute(sql, [slug])
        return [list(row) for row in cursor.fetchall()]
    finally:
        connection.close()


def worker(env: dict, relay: Relay, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            "0.2",
            *extra,
        ],
        cwd=ROOT,
        env={**env, "EMAIL_PORT": str(relay.port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def drain(env: dict, relay: Relay, timeout: float = 120) -> str:
    process = worker(env, relay, "--batch")
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output
    return output


def test_a_batch_goes_out_over_one_connection_and_each_is_marked_sent(env):
    with Relay() as relay:
        slug = queue_round(env, 20)
        drain(env, relay)
        rows = statuses(env, slug)
    assert [r[1] for r in rows] == ["sent"] * 20
    assert sorted(relay.handler.received) == sorted(r[0] for r in rows)
    assert relay.handler.connections == 1


def test_a_refused_address_fails_alone_with_the_relays_reason(env):
    with Relay() as relay:
        slug = queue_round(env, 8)
        recipients = [r[0] for r in statuses(env, slug)]
        relay.handler.refuse = {recipients[1], recipients[5]}
        drain(env, relay)
        rows = statuses(env, slug)
    failed = {r[0]: r[3] for r in rows if r[1] == "failed"}
    assert set(failed) == {recipients[1], recipients[5]}
    assert all(reason.startswith("550 5.1.1") for reason in failed.values())
    assert [r[1] for r in rows].count("sent") == 6
    assert len(relay.handler.received) == 6


def test_a_relay_that_is_down_then_back_gets_every_message_once(env):
    relay = Relay()  # not started: nothing listens, connections are refused
    slug = queue_round(env, 5)
    drain(env, relay)
    rows = statuses(env, slug)
    assert {r[1] for r in rows} <= {"retrying", "queued"}
    assert any("refused the connection" in r[3] for r in rows)
    with relay.start():
        time.sleep(1.5)  # the retry delay (EMAIL_RETRY_DELAYS=1) passes
        drain(env, relay)
        rows = statuses(env, slug)
    assert [r[1] for r in rows] == ["sent"] * 5
    assert sorted(relay.handler.received) == sorted(r[0] for r in rows)


def test_a_relay_that_stops_answering_times_out_and_is_retried(env):
    with Relay() as relay:
        relay.handler.hang = True
        slug = queue_round(env, 3)
        started = time.monotonic()
        drain(env, relay)
        assert time.monotonic() - started < 30  # EMAIL_TIMEOUT=1, not the worker's timeout
        rows = statuses(env, slug)
        assert any("did not answer within 1 seconds" in r[3] for r in rows)
        assert "sent" not in {r[1] for r in rows}
        relay.handler.hang = False
        time.sleep(1.5)
        drain(env, relay)
        rows = statuses(env, slug)
    assert [r[1] for r in rows] == ["sent"] * 3


def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_at_most_one(env):
    with Relay() as relay:
        relay.handler.delay = 0.2
        slug = queue_round(env, 30)
        first = worker(env, relay)
        assert relay.wait_for(8), "the first worker sent nothing"
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        killed_at = len(relay.handler.received)
        assert killed_at < 30
        # A new worker; the periodic tick restarts delivery the killed task held.
        manage({**env, "EMAIL_PORT": str(relay.port)}, "outbox_tick")
        second = worker(env, relay)
        try:
            deadline = time.monotonic() + 90
            rows = statuses(env, slug)
            while {r[1] for r in rows} != {"sent"} and time.monotonic() < deadline:
                time.sleep(0.2)
                rows = statuses(env, slug)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)
    assert [r[1] for r in rows] == ["sent"] * 30
    received = relay.handler.received
    assert set(received) == {r[0] for r in rows}, "a message was lost"
    assert len(received) - len(set(received)) <= 1, "more than the message in flight repeated"
