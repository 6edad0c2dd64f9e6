"""Workshop figures (issue 14): a room of 150 phones answering one pre-condition within
30 seconds, each following the facilitator by polling ``state.json`` every 3 seconds,
while the projector refreshes ``room.json`` every 2 seconds. Real HTTP against gunicorn
(``bench.server.Gunicorn``, ``bench.settings``), one thread and one cookie jar per phone.

Reports the p95 of the answer (the POST), of the projector refresh and of the phones'
poll, and the errors (any other status, or no answer). Joining (spread over 30 seconds,
as people scan the code while they sit down) is timed too.

Run by ``bench.run`` on the benchmark's database, or on its own against any migrated
database: ``DATABASE_URL=... python -m bench.workshops [--phones N] [--seconds S]``.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import random
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

PHONES = 150
ANSWER_WINDOW_S = 30.0
PROJECTOR_EVERY_S = 2.0
PHONE_POLL_EVERY_S = 3.0
JOIN_WINDOW_S = 30.0  # people scan the code as they sit down, not in one instant
ANSWER_P95_TARGET_MS = 250
REFRESH_P95_TARGET_MS = 150
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: PLR0913
        return None


@dataclass
class Timings:
    samples: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, seconds: float, ok: bool) -> None:
        with self.lock:
            self.samples.setdefault(name, []).append(seconds)
            if not ok:
                self.errors[name] = self.errors.get(name, 0) + 1

    def p95_ms(self, name: str) -> float:
        from .measure import percentile

        values = self.samples.get(name) or [0.0]
        return percentile(values, 95) * 1000

    def count(self, name: str) -> int:
        return len(self.samples.get(name, []))


class Browser:
    """One phone (or the projector): its own cookies, no automatic redirects."""

    def __init__(self, base_url: str, cookies: dict[str, str] | None = None) -> None:
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect
        )
        for name, value in (cookies or {}).items():
            self.jar.set_cookie(_cookie(name, value))

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base_url + path, data=body)
        if body is not None:
            request.add_header("Referer", self.base_url + path)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")


def _cookie(name: str, value: str) -> http.cookiejar.Cookie:
    return http.cookiejar.Cookie(
        0, name, value, None, False, "127.0.0.1", False, False, "/", True, False, None,
        True, None, None, {},
    )  # fmt: skip


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    from .server import database_url

    return database_url(s)


def _workshop():
    """A facilitator, an open round (k = 5) and its workshop at pre-condition A with
    results revealed; and a signed-in session cookie for the projector."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from preconditions.models import Framework
    from surveys.models import Diagnostic, Place, System
    from workshops import rules

    tag = f"{time.time_ns() % 10**9}"
    user = get_user_model().objects.create_user(f"bench-workshop-{tag}")
    place = Place.objects.create(name=f"Workshop {tag}", slug=f"workshop-{tag}")
    place.facilitators.add(user)
    system = System.objects.create(place=place, name="Homelessness", slug="homelessness")
    diagnostic = Diagnostic.objects.create(
        place=place,
        slug=f"workshop-{tag}",
        title="Workshop benchmark",
        status="open",
        framework=Framework.objects.first(),
    )
    diagnostic.systems.set([system])
    workshop = rules.workshop_start(diagnostic=diagnostic, system=system, actor=user)
    workshop = rules.workshop_move(workshop=workshop, move=rules.Move.NEXT)
    rules.results_hold(workshop=workshop, held=False)
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return workshop, {name: client.cookies[name].value}


def _join(phone: Browser, code: str, timings: Timings, rng: random.Random) -> str | None:
    """Join as a phone would (the QR code's page, then the form); the answer page's CSRF
    token, or None on failure."""
    started = time.perf_counter()
    status, page = phone.request(f"/w/{code}/")
    token = CSRF.search(page)
    ok = status == 200 and token is not None
    if ok:
        assert token is not None
        status, _ = phone.request(
            "/w/",
            {
                "csrfmiddlewaretoken": token.group(1),
                "code": code,
                "sector": rng.choice(["public", "private", "voluntary", "citizen"]),
                "role": rng.choice(["frontline", "manager", "senior", "prefer_not"]),
            },
        )
        ok = status == 302
    timings.add("join", time.perf_counter() - started, ok)
    return token.group(1) if ok and token else None


def run_room(
    base_url: str,
    workshop,
    projector_cookies: dict[str, str],
    *,
    phones: int = PHONES,
    seconds: float = ANSWER_WINDOW_S,
    seed: int = 14,
) -> Timings:
    timings = Timings()
    rng = random.Random(seed)
    browsers = [Browser(base_url) for _ in range(phones)]
    tokens: list[str | None] = [None] * phones

    def join_one(index: int) -> None:
        tokens[index] = _join(browsers[index], workshop.join_code, timings, random.Random(index))

    # Warm every gunicorn worker up first (its first request loads the templates).
    warm = Browser(base_url)
    for _ in range(20):
        warm.request(f"/w/{workshop.join_code}/")
    join_window = min(JOIN_WINDOW_S, seconds)
    joiners = [threading.Thread(target=join_one, args=(i,)) for i in range(phones)]
    began = time.perf_counter()
    for index, thread in enumerate(joiners):
        time.sleep(max(0.0, began + join_window * index / phones - time.perf_counter()))
        thread.start()
    for thread in joiners:
        thread.join()

    answer_path = f"/workshop/{workshop.public_id}/"
    state_path = f"/workshop/{workshop.public_id}/state.json"
    room_path = f"/manage/workshops/{workshop.public_id}/room.json"
    start = time.perf_counter()
    deadline = start + seconds
    offsets = [rng.uniform(0, seconds * 0.95) for _ in range(phones)]
    changes = [rng.random() < 0.3 for _ in range(phones)]  # some change their mind

    def phone_life(index: int) -> None:
        phone, token = browsers[index], tokens[index]
        if token is None:
            return
        answered = 0
        next_poll = start + rng.uniform(0, PHONE_POLL_EVERY_S)
        answer_at = [start + offsets[index]]
        if changes[index]:
            answer_at.append(min(deadline - 0.1, answer_at[0] + 5))
        while time.perf_counter() < deadline:
            now = time.perf_counter()
            if answered < len(answer_at) and now >= answer_at[answered]:
                t = time.perf_counter()
                status, _ = phone.request(
                    answer_path,
                    {
                        "csrfmiddlewaretoken": token,
                        "code": "A",
                        "answer": str(1 + (index + answered) % 5),
                        "comment": "A comment from the room" if index % 10 == 0 else "",
                    },
                )
                timings.add("answer", time.perf_counter() - t, status == 302)
                answered += 1
            elif now >= next_poll:
                t = time.perf_counter()
                status, _ = phone.request(state_path)
                timings.add("poll", time.perf_counter() - t, status == 200)
                next_poll += PHONE_POLL_EVERY_S
            time.sleep(0.05)

    def projector_life() -> None:
        projector = Browser(base_url, projector_cookies)
        while time.perf_counter() < deadline:
            t = time.perf_counter()
            status, body = projector.request(room_path)
            timings.add("refresh", time.perf_counter() - t, status == 200 and '"answered"' in body)
            time.sleep(max(0.0, PROJECTOR_EVERY_S - (time.perf_counter() - t)))

    threads = [threading.Thread(target=phone_life, args=(i,)) for i in range(phones)]
    threads.append(threading.Thread(target=projector_life))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings


def run(say: Callable[[str], None], *, phones: int = PHONES, seconds: float = ANSWER_WINDOW_S):
    from surveys.models import Rating

    from .server import Gunicorn

    say(
        f"\nWorkshop ({phones} phones answering within {seconds:.0f} s, polling every "
        f"{PHONE_POLL_EVERY_S:.0f} s; the projector refreshing every {PROJECTOR_EVERY_S:.0f} s):"
    )
    workshop, cookies = _workshop()
    with Gunicorn(database_url=_database_url(), secret_key=settings.SECRET_KEY) as server:
        timings = run_room(server.url, workshop, cookies, phones=phones, seconds=seconds)
    stored = Rating.objects.filter(
        response__workshop_participant__workshop=workshop, precondition__code="A"
    ).count()
    say(f"  {'request':<28} {'count':>6} {'p95':>9} {'errors':>7}")
    for name, label in (
        ("join", "join (QR page + form)"),
        ("answer", "answer (POST)"),
        ("poll", "phone poll (state.json)"),
        ("refresh", "projector refresh (room.json)"),
    ):
        say(
            f"  {label:<28} {timings.count(name):>6} {timings.p95_ms(name):>7.0f} ms "
            f"{timings.errors.get(name, 0):>7}"
        )
    say(f"  answers stored: {stored} of {phones} phones")
    errors = sum(timings.errors.values())
    answer_p95, refresh_p95 = timings.p95_ms("answer"), timings.p95_ms("refresh")
    return [
        f"  [{'met' if answer_p95 <= ANSWER_P95_TARGET_MS else 'NOT MET'}] workshop answer p95 "
        f"{answer_p95:.0f} ms <= {ANSWER_P95_TARGET_MS} ms ({phones} phones in {seconds:.0f} s)",
        f"  [{'met' if refresh_p95 <= REFRESH_P95_TARGET_MS else 'NOT MET'}] projector "
        f"refresh p95 {refresh_p95:.0f} ms <= {REFRESH_P95_TARGET_MS} ms",
        f"  [{'met' if errors == 0 and stored == phones else 'NOT MET'}] workshop errors: "
        f"{errors}; every phone's answer stored ({stored} of {phones})",
    ]


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    arguments = argparse.ArgumentParser(prog="python -m bench.workshops")
    arguments.add_argument("--phones", type=int, default=PHONES)
    arguments.add_argument("--seconds", type=float, default=ANSWER_WINDOW_S)
    options = arguments.parse_args()
    for line in run(print, phones=options.phones, seconds=options.seconds):
        print(line)
