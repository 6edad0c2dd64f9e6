"""E-mail figures: queuing 1,000 invitations (the request's time), and delivery by the
real worker (``manage.py db_worker --batch``, separate processes) to a local SMTP relay
(aiosmtpd, ``bench.relay``) with no delay, and with 0.2 s a message with 1 and 2 workers.

Run by ``bench.run`` on the benchmark's database, or on its own against any migrated
database: ``DATABASE_URL=... python -m bench.email``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

QUEUE_TARGET_S = 1.0
RATE_TARGET = 50.0  # messages a second, no relay delay, connection reuse


@dataclass(frozen=True)
class Sizes:
    """How much is queued and delivered (the smoke test asks for less)."""

    queue: int = 1000  # invitations queued by the POST
    fast: int = 1000  # delivered with no relay delay
    slow: int = 60  # delivered with slow_delay a message, by 1 then 2 workers
    slow_delay: float = 0.2


@dataclass
class Delivery:
    name: str
    messages: int
    workers: int
    wall_s: float  # from starting the workers to the last message accepted
    steady_s: float  # from the first message accepted to the last

    @property
    def rate(self) -> float:
        return self.messages / self.steady_s if self.steady_s else 0.0


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    from .server import database_url

    return database_url(s)


def _round(count: int, label: str):
    """A facilitator and an open round with ``count`` e-mailable invitations."""
    from django.contrib.auth import get_user_model

    from preconditions.framework import framework_default
    from surveys.invitations import invitation_create
    from surveys.models import Diagnostic, Organisation, Place, System

    tag = f"{label}-{time.time_ns() % 10**9}"
    user = get_user_model().objects.create_user(f"bench-{tag}", email=f"{tag}@example.org")
    place = Place.objects.create(name=f"Mail {tag}", slug=f"mail-{tag}")
    place.facilitators.add(user)
    system = System.objects.create(place=place, name="Homelessness", slug="homelessness")
    organisation = Organisation.objects.create(place=place, name="Council", sector="public")
    diagnostic = Diagnostic.objects.create(
        place=place,
        slug=f"mail-{tag}",
        title="Mail benchmark",
        status="open",
        framework=framework_default(),
    )
    diagnostic.systems.set([system])
    for n in range(count):
        invitation_create(
            diagnostic=diagnostic,
            organisation=organisation,
            role="manager",
            systems=[system],
            name=f"Partner {n}",
            email=f"p{n}-{tag}@example.org",
        )
    return user, diagnostic


def queue_request(size: int) -> tuple[float, float, int]:
    """Seconds of the confirmation page (GET, preview of ``size``) and of the queuing POST."""
    from outbox.models import OutboxEmail

    user, diagnostic = _round(size, "queue")
    client = Client()
    client.force_login(user)
    url = reverse("outbox:send", args=[diagnostic.slug])
    gets = []
    for _ in range(3):
        started = time.perf_counter()
        assert client.get(url).status_code == 200
        gets.append(time.perf_counter() - started)
    started = time.perf_counter()
    response = client.post(url, {"personal_message": ""})
    post_s = time.perf_counter() - started
    assert response.status_code == 302, response.status_code
    queued = OutboxEmail.objects.filter(diagnostic=diagnostic).count()
    # Those e-mails are not for sending: the delivery figures queue their own.
    OutboxEmail.objects.filter(diagnostic=diagnostic).delete()
    return statistics.median(gets), post_s, queued


def deliver(name: str, *, count: int, workers: int, delay: float) -> Delivery:
    from bench.relay import Relay
    from outbox.models import Kind
    from outbox.queueing import emails_queue

    _user, diagnostic = _round(count, name.split()[0])
    with Relay() as relay:
        relay.handler.delay = delay
        emails_queue(diagnostic=diagnostic, kind=Kind.INVITATION, actor=None)
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings"),
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(relay.port),
            "EMAIL_USE_TLS": "0",
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "LOG_LEVEL": "WARNING",
        }
        command = [
            sys.executable,
            str(Path(settings.BASE_DIR) / "manage.py"),
            "db_worker",
            "--batch",
            "--no-reload",
            "--no-startup-delay",
            "-v",
            "0",
        ]
        started = time.perf_counter()
        first = None
        processes = [
            subprocess.Popen(command, env=env, cwd=settings.BASE_DIR) for _ in range(workers)
        ]
        while len(relay.handler.received) < count:
            if first is None and relay.handler.received:
                first = time.perf_counter()
            if all(p.poll() is not None for p in processes):
                break
            time.sleep(0.01)
        last = time.perf_counter()
        for process in processes:
            process.wait(timeout=120)
        received = len(relay.handler.received)
    return Delivery(
        name=name,
        messages=received,
        workers=workers,
        wall_s=last - started,
        steady_s=last - (first or started),
    )


def run(say: Callable[[str], None], sizes: Sizes | None = None) -> list[str]:
    sizes = sizes or Sizes()
    delay = sizes.slow_delay
    say("\nE-mail (outbox, django-tasks db_worker, a local aiosmtpd relay):")
    get_s, post_s, queued = queue_request(sizes.queue)
    say(f"  confirmation page, preview of {sizes.queue:,} invitations   {get_s * 1000:7.0f} ms")
    say(f"  queuing {queued:,} invitations (the POST)              {post_s * 1000:7.0f} ms")
    runs = [
        deliver("no delay, 1 worker", count=sizes.fast, workers=1, delay=0),
        deliver(f"{delay} s a message, 1 worker", count=sizes.slow, workers=1, delay=delay),
        deliver(f"{delay} s a message, 2 workers", count=sizes.slow, workers=2, delay=delay),
    ]
    say(f"  {'delivery':<34} {'messages':>8} {'wall':>8} {'msg/s':>8}")
    for r in runs:
        say(f"  {r.name:<34} {r.messages:>8} {r.wall_s:>7.1f}s {r.rate:>8.1f}")
    fast, slow1, slow2 = runs
    speedup = slow2.rate / slow1.rate if slow1.rate else 0
    expected = (sizes.fast, sizes.slow, sizes.slow)
    all_delivered = all(r.messages == n for r, n in zip(runs, expected, strict=True))
    lines = [
        f"  [{'met' if post_s <= QUEUE_TARGET_S else 'NOT MET'}] queuing {queued:,} "
        f"invitations: {post_s:.2f} s <= {QUEUE_TARGET_S:.0f} s",
        f"  [{'met' if fast.rate >= RATE_TARGET else 'NOT MET'}] delivery, relay with no "
        f"delay: {fast.rate:.0f} messages/s >= {RATE_TARGET:.0f}",
        f"  [{'met' if speedup >= 1.7 else 'NOT MET'}] 2 workers at {delay} s a message: "
        f"{speedup:.2f}x one worker ({slow2.rate:.1f} vs {slow1.rate:.1f} messages/s), "
        "nearly double",
        f"  [{'met' if all_delivered else 'NOT MET'}] every queued message delivered once",
    ]
    return lines


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    for line in run(print):
        print(line)
