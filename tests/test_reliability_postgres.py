"""Reliability under real concurrency and failure, on PostgreSQL.

Partners save at once through a live server, double clicks and retries arrive together,
two tabs race, the database connection is cut in the middle of saves, and two gunicorn
processes share one database. Each test runs on committed data (``transactional_db``), so
the servers (threads or other processes) see what the test wrote.

These tests need PostgreSQL and fail, never skip, without it: ``make test`` runs them on
PostgreSQL. They also need gunicorn (a runtime requirement) and requests (a dev one).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import pytest
import requests
from django.conf import global_settings
from django.core.cache import cache
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from bench.server import Gunicorn, database_url
from preconditions.models import Precondition
from surveys.invitations import invitation_token
from surveys.models import Invitation, Rating, Response
from surveys.views import partner

from .factories import (
    make_diagnostic,
    make_invitation,
    make_organisation,
    make_place,
    make_system,
    make_user,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CODES = "ABCDEFGHI"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NOT_SAVED = "Sorry, your answer was not saved"


@pytest.fixture(autouse=True)
def postgresql():
    if connection.vendor != "postgresql":
        pytest.fail(
            "The reliability tests need PostgreSQL: run them with DATABASE_URL=postgres://... "
            "(`make test` does, starting a throwaway server if needed)."
        )


@pytest.fixture
def secret_key(settings) -> str:
    """A production-grade key shared with the gunicorn processes (DEBUG=0 refuses the
    development one), so the links the test derives work on every server."""
    settings.SECRET_KEY = secrets.token_urlsafe(50)
    return settings.SECRET_KEY


@pytest.fixture
def round_open(framework):
    """An open round in a place with two systems and organisations in three sectors."""
    place = make_place("Northbridge")
    systems = [make_system(place, "Homelessness"), make_system(place, "Families")]
    diagnostic = make_diagnostic(place, framework, systems=systems, status="open")
    organisations = [
        make_organisation(place, sector) for sector in ("public", "voluntary", "citizen")
    ]
    return diagnostic, systems, organisations


def invite(round_open, n: int, *, role: str = "manager") -> Invitation:
    diagnostic, systems, organisations = round_open
    return make_invitation(
        diagnostic,
        organisation=organisations[n % len(organisations)],
        role=role,
        systems=[systems[n % len(systems)]],
        name=f"Partner {n}",
        email=f"partner{n}@example.org",
    )


class Browser:
    """One partner's browser: its own cookies, following their invitation link."""

    def __init__(self, base_url: str, invitation: Invitation) -> None:
        self.base_url = base_url
        self.invitation = invitation
        self.http = requests.Session()
        self.token = ""

    def arrive(self) -> None:
        landing = self.http.get(f"{self.base_url}/i/{invitation_token(self.invitation)}/")
        assert landing.status_code == 200, landing.status_code
        assert landing.url.endswith(
            reverse("surveys:partner_landing", args=[self.invitation.public_id])
        )

    def step_path(self, system_slug: str, code: str) -> str:
        return reverse("surveys:partner_step", args=[self.invitation.public_id, system_slug, code])

    def open_step(self, system_slug: str, code: str) -> str:
        page = self.http.get(self.base_url + self.step_path(system_slug, code))
        assert page.status_code == 200, page.status_code
        csrf_input = CSRF_INPUT.search(page.text)
        assert csrf_input is not None, "no CSRF token on the step page"
        self.token = csrf_input.group(1)
        return page.text

    def post(self, path: str, data: dict) -> requests.Response:
        return self.http.post(
            self.base_url + path,
            data={"csrfmiddlewaretoken": self.token, **data},
            allow_redirects=False,
            timeout=60,
        )

    def save(self, system_slug, code, *, answer, evidence="", version=0) -> requests.Response:
        data = {"answer": answer, "evidence": evidence, "version": version}
        return self.post(self.step_path(system_slug, code), {**data, "save_and_continue": ""})

    def autosave(self, system_slug, code, *, answer, evidence="", version=0) -> requests.Response:
        data = {"answer": answer, "evidence": evidence, "version": version}
        return self.post(f"{self.step_path(system_slug, code)}autosave/", data)

    def submit(self, system_slug: str) -> requests.Response:
        path = reverse("surveys:partner_review", args=[self.invitation.public_id, system_slug])
        return self.post(path, {"submit": ""})

    def copy(self) -> Browser:
        """The same browser again (a second click, a second tab): the same cookies."""
        other = Browser(self.base_url, self.invitation)
        other.http.cookies.update(self.http.cookies)
        other.token = self.token
        return other


def raw_connection():
    """A second connection to the test database, outside Django."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    return psycopg2.connect(**params)


def at_once(calls: list[Callable[[], object]]) -> list:
    """Run every call in its own thread, released together by a barrier."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        try:
            return call()
        finally:
            connections.close_all()  # any connection this thread opened

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def stored(invitation: Invitation) -> list[tuple]:
    return sorted(
        Rating.objects.filter(response__invitation=invitation).values_list(
            "response__system__slug", "precondition__code", "score", "dont_know", "evidence"
        )
    )


def checksum(rows) -> str:
    digest = hashlib.sha256()
    for line in sorted(json.dumps(row, ensure_ascii=False) for row in rows):
        digest.update(line.encode())
    return digest.hexdigest()


# --- 100 partners at once -------------------------------------------------------------


def test_a_hundred_partners_saving_and_submitting_at_once_lose_and_duplicate_nothing(
    live_server, round_open
):
    invitations = [invite(round_open, n) for n in range(100)]
    partners = 100
    system_of = {i.pk: i.systems.get().slug for i in invitations}

    def answers_of(invitation: Invitation) -> dict[str, tuple[str, str]]:
        """Each partner's answers, different for everyone; every 7th is "don't know"."""
        seed = int(hashlib.sha256(invitation.public_id.encode()).hexdigest(), 16)
        return {
            code: (
                "dont_know" if (seed >> n) % 7 == 0 else str((seed >> (2 * n)) % 5 + 1),
                f"{invitation.public_id} {code}: seen at the hub – «{n}»",
            )
            for n, code in enumerate(CODES)
        }

    def partner_session(invitation: Invitation) -> list[tuple]:
        browser = Browser(live_server.url, invitation)
        browser.arrive()
        system = system_of[invitation.pk]
        browser.open_step(system, "A")
        sent = answers_of(invitation)
        for n, code in enumerate(CODES):
            answer, evidence = sent[code]
            # A first version of C, revised below: the revision must win.
            if code == "C":
                evidence = "first thoughts"
            response = browser.save(system, code, answer=answer, evidence=evidence)
            assert response.status_code == 302, (code, response.status_code)
            following = CODES[n + 1] if n + 1 < len(CODES) else None
            assert response.headers["Location"].endswith(
                browser.step_path(system, following)
                if following
                else reverse("surveys:partner_review", args=[invitation.public_id, system])
            )
        answer, evidence = sent["C"]
        revised = browser.autosave(system, "C", answer=answer, evidence=evidence, version=1)
        assert revised.json()["status"] == "saved" and revised.json()["version"] == 2
        submitted = browser.submit(system)
        assert submitted.status_code == 302, submitted.status_code
        return [
            (system, code, None if a == "dont_know" else int(a), a == "dont_know", e)
            for code, (a, e) in sent.items()
        ]

    started = time.monotonic()
    results = at_once([lambda i=i: partner_session(i) for i in invitations])
    elapsed = time.monotonic() - started

    sent = [row for rows in results for row in rows]
    stored_rows = list(
        Rating.objects.values_list(
            "response__system__slug", "precondition__code", "score", "dont_know", "evidence"
        )
    )
    assert len(sent) == partners * len(CODES)
    assert len(stored_rows) == len(sent)  # every rating exactly once: none lost, none doubled
    assert checksum(stored_rows) == checksum(sent)
    assert Response.objects.count() == partners
    assert Response.objects.filter(status=Response.Status.SUBMITTED).count() == partners
    assert set(Rating.objects.values_list("version", flat=True)) == {1, 2}
    assert Rating.objects.filter(version=2).count() == partners  # the revisions of C
    assert elapsed < 60, f"{elapsed:.0f} s"


# --- double clicks and retries --------------------------------------------------------


@pytest.mark.parametrize("copies", [2, 5, 10])
def test_the_same_save_sent_many_times_at_once_stores_one_answer_and_answers_alike(
    live_server, round_open, copies
):
    invitation = invite(round_open, 0)
    system = invitation.systems.get().slug
    browser = Browser(live_server.url, invitation)
    browser.arrive()
    browser.open_step(system, "A")
    clicks = [browser.copy() for _ in range(copies)]

    # The first save of a step: the response and the rating do not exist yet.
    first = at_once(
        [lambda b=b: b.save(system, "A", answer="4", evidence="Shared") for b in clicks]
    )
    assert {(r.status_code, r.headers["Location"]) for r in first} == {
        (302, browser.step_path(system, "B"))
    }
    assert Response.objects.filter(invitation=invitation).count() == 1
    assert stored(invitation) == [(system, "A", 4, False, "Shared")]
    assert Rating.objects.get(response__invitation=invitation).version == 1

    # A change of that answer, retried after a lost reply.
    change = at_once(
        [lambda b=b: b.save(system, "A", answer="2", evidence="Less so", version=1) for b in clicks]
    )
    assert {(r.status_code, r.headers["Location"]) for r in change} == {
        (302, browser.step_path(system, "B"))
    }
    assert stored(invitation) == [(system, "A", 2, False, "Less so")]
    assert Rating.objects.get(response__invitation=invitation).version == 2

    # The same through autosave: one new version, and every caller is told the same.
    autosaves = at_once(
        [
            lambda b=b: b.autosave(system, "A", answer="3", evidence="Mixed", version=2)
            for b in clicks
        ]
    )
    assert {r.status_code for r in autosaves} == {200}
    assert len({r.text for r in autosaves}) == 1
    assert autosaves[0].json()["status"] == "saved"
    assert autosaves[0].json()["version"] == 3
    assert stored(invitation) == [(system, "A", 3, False, "Mixed")]

    # The final submit, clicked again and again.
    for code in CODES[1:]:
        assert browser.save(system, code, answer="3").status_code == 302
    submits = at_once([lambda b=b: b.submit(system) for b in clicks])
    landing = reverse("surveys:partner_landing", args=[invitation.public_id])
    assert {(r.status_code, r.headers["Location"]) for r in submits} == {(302, landing)}
    response = Response.objects.get(invitation=invitation)
    assert response.status == Response.Status.SUBMITTED
    assert response.submitted_at is not None
    assert Rating.objects.filter(response=response).count() == len(CODES)


# --- two tabs -------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ["step", "autosave"])
def test_a_stale_save_from_another_tab_never_overwrites_the_newer_one(
    live_server, round_open, endpoint
):
    invitation = invite(round_open, 0)
    system = invitation.systems.get().slug
    browser = Browser(live_server.url, invitation)
    browser.arrive()
    browser.open_step(system, "A")
    assert browser.save(system, "A", answer="3", evidence="start").status_code == 302
    tabs = [browser.copy(), browser.copy()]

    for round_number in range(15):
        version = Rating.objects.get(response__invitation=invitation).version
        texts = [f"tab {n} round {round_number}" for n in (1, 2)]
        send = getattr(Browser, "save" if endpoint == "step" else "autosave")
        calls = [
            functools.partial(send, tab, system, "A", answer=score, evidence=text, version=version)
            for tab, text, score in zip(tabs, texts, ("2", "4"), strict=True)
        ]
        replies = at_once(calls)
        saved = [n for n, r in enumerate(replies) if r.status_code in (200, 302)]
        refused = [n for n, r in enumerate(replies) if r.status_code == 409]
        # Exactly one wins; the other is told, and nothing it sent is stored.
        assert len(saved) == 1 and len(refused) == 1, [r.status_code for r in replies]
        rating = Rating.objects.get(response__invitation=invitation)
        assert rating.version == version + 1
        assert rating.evidence == texts[saved[0]]
        loser = replies[refused[0]]
        if endpoint == "step":
            # The refused tab keeps its own text and is shown the other one.
            assert texts[refused[0]] in loser.text
            assert texts[saved[0]] in loser.text
        else:
            assert loser.json()["status"] == "conflict"
            assert loser.json()["stored"]["evidence"] == texts[saved[0]]


# --- the database going away in the middle of a save ------------------------------------


class Fault:
    """Cuts the app's database connection (``pg_terminate_backend`` from a second
    connection) just before the n-th statement of a partner's save, or, for a save made
    in a transaction, just after its last write so that the COMMIT fails. Counts only
    the statements of the save (``partner_answer_save``: the usual save, one UPDATE,
    then when needed the full path), not the session's read before it."""

    def __init__(self, monkeypatch) -> None:
        self.at: int | None = None  # 1-based statement to cut before; 0: at the commit
        self.statements: list[str] = []
        self.in_transaction = False  # whether the save's statements ran in a transaction
        self.saving = False
        self.fired = False
        monkeypatch.setattr(
            partner, "partner_answer_save", self._watched(partner.partner_answer_save)
        )

    def _watched(self, real):
        def save(**kwargs):
            self.saving = True
            try:
                return real(**kwargs)
            finally:
                self.saving = False

        return save

    def arm(self, at: int | None) -> None:
        self.at, self.statements, self.fired = at, [], False
        self.in_transaction = False

    def _terminate(self) -> None:
        self.fired = True
        pid = connection.connection.info.backend_pid
        killer = raw_connection()
        try:
            killer.autocommit = True
            with killer.cursor() as cursor:
                # Waits (up to 10 s) until the backend has really gone.
                cursor.execute("SELECT pg_terminate_backend(%s, 10000)", [pid])
                assert cursor.fetchone() == (True,)
        finally:
            killer.close()

    def __call__(self, execute, sql, params, many, context):
        if not self.saving:
            return execute(sql, params, many, context)
        self.statements.append(sql)
        self.in_transaction |= connection.in_atomic_block
        if self.at == len(self.statements):
            self._terminate()
        result = execute(sql, params, many, context)
        last_write = sql.startswith('UPDATE "surveys_rating"')
        if self.at == 0 and connection.in_atomic_block and last_write:
            # The last write of every save in a transaction: the COMMIT that follows fails.
            self._terminate()
        return result


def test_the_database_going_away_mid_save_never_stores_half_and_never_says_saved(
    client, round_open, monkeypatch
):
    """A cut before each statement, and at the commit, of the four kinds of save (over 30
    cuts): a step's button or autosave, making the first answer of a step (the response
    and its rating are created) or changing it."""
    fault = Fault(monkeypatch)
    invitations = (invite(round_open, n) for n in itertools.count())

    def post(browser: Client, invitation, endpoint: str, answer: str, evidence: str, version):
        system = invitation.systems.get().slug
        url = reverse("surveys:partner_step", args=[invitation.public_id, system, "A"])
        if endpoint == "autosave":
            url += "autosave/"
        data = {"answer": answer, "evidence": evidence, "version": version}
        with connection.execute_wrapper(fault):
            return browser.post(url, {**data, "save_and_continue": ""})

    def partner_browser(invitation) -> Client:
        browser = Client()
        assert browser.get(f"/i/{invitation_token(invitation)}/").status_code == 302
        return browser

    def prepare(kind: str):
        """A partner about to make the first save of step A, or to change it."""
        invitation = next(invitations)
        browser = partner_browser(invitation)
        version = 0
        if kind == "change":
            fault.arm(None)
            assert post(browser, invitation, "step", "2", "before", 0).status_code == 302
            version = 1
        return invitation, browser, version

    def snapshot(invitation):
        return (
            list(Response.objects.filter(invitation=invitation).values_list("updated_at")),
            list(
                Rating.objects.filter(response__invitation=invitation).values_list(
                    "score", "evidence", "version", "updated_at"
                )
            ),
        )

    trials = []
    for endpoint in ("step", "autosave"):
        for kind in ("first", "change"):
            # A clean save first, to learn how many statements this kind of save makes.
            invitation, browser, version = prepare(kind)
            fault.arm(None)
            assert post(browser, invitation, endpoint, "4", "dry run", version).status_code in (
                200,
                302,
            )
            # At the commit too, when the save has one (the first answer of a step).
            points = [*([0] if fault.in_transaction else []), *range(1, len(fault.statements) + 1)]
            trials += [(endpoint, kind, at) for at in points]
    assert len(trials) >= 30, trials

    for endpoint, kind, at in trials:
        invitation, browser, version = prepare(kind)
        before = snapshot(invitation)
        evidence = f"My text for {endpoint} {kind} {at}, typed with care"
        fault.arm(at)
        reply = post(browser, invitation, endpoint, "5", evidence, version)
        assert fault.fired, (endpoint, kind, at)

        # Nothing half-stored: the response and its rating are both there as before.
        assert snapshot(invitation) == before, (endpoint, kind, at)
        # Never a false "saved": a clear error, and the partner's text is kept.
        assert reply.status_code == 503, (endpoint, kind, at, reply.status_code)
        if endpoint == "step":
            page = reply.content.decode()
            assert NOT_SAVED in page
            assert "govuk-error-summary" in page
            assert evidence in page
            assert re.search(r'<input[^>]*value="5"[^>]*checked', page)
        else:
            assert reply.json()["status"] == "error"

        # The database is back: the same save now works, without a restart.
        fault.arm(None)
        retry = post(browser, invitation, endpoint, "5", evidence, version)
        assert retry.status_code == (302 if endpoint == "step" else 200), (endpoint, kind, at)
        rating = Rating.objects.get(response__invitation=invitation)
        assert (rating.score, rating.evidence, rating.version) == (5, evidence, version + 1)


def test_gunicorn_recovers_from_a_cut_mid_save_and_from_a_restart_without_a_restart(
    round_open, secret_key
):
    """A real app process: its connection is cut while a save waits for a row lock (the
    test holds it), then every idle connection is cut as a database restart would. The
    app answers 503 for the save, stores nothing, and the very next requests work."""
    invitation = invite(round_open, 0)
    system = invitation.systems.get().slug
    url = database_url(connection.settings_dict)
    with Gunicorn(database_url=url, secret_key=secret_key, workers=1) as app:
        browser = Browser(app.url, invitation)
        browser.arrive()
        browser.open_step(system, "A")
        assert browser.save(system, "A", answer="3", evidence="before").status_code == 302
        rating = Rating.objects.get(response__invitation=invitation)

        locker = raw_connection()
        admin = raw_connection()
        admin.autocommit = True
        try:
            with locker.cursor() as cursor:
                cursor.execute(
                    "SELECT id FROM surveys_rating WHERE id = %s FOR UPDATE", [rating.pk]
                )
            with ThreadPoolExecutor(max_workers=1) as pool:
                pending = pool.submit(
                    browser.autosave, system, "A", answer="5", evidence="during", version=1
                )
                waiting = _backend_waiting_for_a_lock(admin)
                with admin.cursor() as cursor:
                    cursor.execute("SELECT pg_terminate_backend(%s, 10000)", [waiting])
                reply = pending.result(timeout=30)
            locker.rollback()

            assert reply.status_code == 503
            assert reply.json()["status"] == "error"
            rating.refresh_from_db()
            assert (rating.score, rating.evidence, rating.version) == (3, "before", 1)

            retry = browser.autosave(system, "A", answer="5", evidence="during", version=1)
            assert retry.status_code == 200 and retry.json()["status"] == "saved"

            # A database restart: every connection the app holds is cut while it idles.
            with admin.cursor() as cursor:
                cursor.execute(
                    "SELECT count(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND backend_type = 'client backend' AND pid <> %s",
                    [connection.connection.info.backend_pid],
                )
                assert cursor.fetchone()[0] >= 1
            landing = browser.http.get(
                app.url + reverse("surveys:partner_landing", args=[invitation.public_id])
            )
            assert landing.status_code == 200  # CONN_HEALTH_CHECKS: a new connection
            again = browser.autosave(system, "A", answer="1", evidence="after", version=2)
            assert again.status_code == 200 and again.json()["version"] == 3
        finally:
            locker.close()
            admin.close()


def _backend_waiting_for_a_lock(admin, timeout: float = 20.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND state = 'active'"
            )
            row = cursor.fetchone()
        if row:
            return row[0]
        time.sleep(0.05)
    raise AssertionError("the save never waited for the row lock")


# --- two app processes ----------------------------------------------------------------


def test_two_app_processes_share_only_the_database(round_open, secret_key, settings):
    """A partner alternating between two gunicorn processes completes an assessment; a
    facilitator signed in on one is signed in on the other; and the rate limit on bad
    links counts misses on both (sessions and cache live in PostgreSQL)."""
    diagnostic, _systems, _organisations = round_open
    invitation = invite(round_open, 0)
    system = invitation.systems.get().slug
    # The servers run production settings: the password must use a hasher they know.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    facilitator = make_user("fran")
    diagnostic.place.facilitators.add(facilitator)
    url = database_url(connection.settings_dict)
    with (
        Gunicorn(database_url=url, secret_key=secret_key, workers=2) as one,
        Gunicorn(database_url=url, secret_key=secret_key, workers=2) as two,
    ):
        servers = [one.url, two.url]
        browser = Browser(one.url, invitation)
        browser.arrive()
        for n, code in enumerate(CODES):
            browser.base_url = servers[n % 2]
            browser.open_step(system, code)
            browser.base_url = servers[(n + 1) % 2]
            reply = browser.save(system, code, answer=str(n % 5 + 1), evidence=f"on {n % 2}")
            assert reply.status_code == 302, (code, reply.status_code)
        browser.base_url = two.url
        review = browser.http.get(
            two.url + reverse("surveys:partner_review", args=[invitation.public_id, system])
        )
        assert review.status_code == 200
        browser.token = CSRF_INPUT.search(review.text).group(1)
        browser.base_url = one.url
        assert browser.submit(system).status_code == 302
        response = Response.objects.get(invitation=invitation)
        assert response.status == Response.Status.SUBMITTED
        assert response.ratings.count() == len(CODES)

        # A facilitator signs in on one process and works on the other.
        staff = requests.Session()
        login_page = staff.get(one.url + reverse("login"))
        signed_in = staff.post(
            one.url + reverse("login"),
            data={
                "csrfmiddlewaretoken": CSRF_INPUT.search(login_page.text).group(1),
                "username": "fran",
                "password": "correct horse battery staple",
            },
            allow_redirects=False,
        )
        assert signed_in.status_code == 302, signed_in.status_code
        detail = reverse("surveys:diagnostic_detail", args=[diagnostic.slug])
        on_two = staff.get(two.url + detail, allow_redirects=False)
        assert on_two.status_code == 200
        assert diagnostic.title in on_two.text
        report = staff.get(
            one.url + reverse("reports:diagnostic", args=[diagnostic.slug]),
            allow_redirects=False,
        )
        assert report.status_code == 200

        # Bad links counted on both processes: the eleventh is refused on either.
        try:
            for n in range(10):
                miss = requests.get(f"{servers[n % 2]}/i/not-a-link-{n}/")
                assert miss.status_code == 404
            assert requests.get(f"{one.url}/i/another/").status_code == 429
            assert requests.get(f"{two.url}/i/another/").status_code == 429
        finally:
            cache.clear()  # the cache table outlives the test's data


def test_precondition_codes_match_the_steps_these_tests_walk(framework):
    assert "".join(Precondition.objects.order_by("order").values_list("code", flat=True)) == CODES
