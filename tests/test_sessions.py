"""config/sessions.py: Django's database sessions, read with plain SQL, behave as Django's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.sessions import SessionStore


def stored_session(data: dict) -> str:
    session = SessionStore()
    session.update(data)
    session.create()
    assert session.session_key is not None  # create() sets it
    return session.session_key


@pytest.mark.django_db
def test_a_stored_session_reads_as_django_reads_it():
    key = stored_session({"partner_invitations": ["abc123"], "n": 3})
    ours, djangos = SessionStore(key), DjangoSessionStore(key)
    assert ours.load() == djangos.load() == {"partner_invitations": ["abc123"], "n": 3}
    assert ours.session_key == key


@pytest.mark.django_db
def test_an_expired_session_is_empty_and_its_key_forgotten():
    key = stored_session({"n": 1})
    Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    session = SessionStore(key)
    assert session.load() == {}
    assert session.session_key is None


@pytest.mark.django_db
def test_an_unknown_key_is_empty_and_forgotten():
    session = SessionStore("x" * 32)
    assert session.load() == {}
    assert session.session_key is None


@pytest.mark.django_db
def test_the_app_uses_it(client, settings):
    assert settings.SESSION_ENGINE == "config.sessions"
    assert client.session.__class__ is SessionStore


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_prepares_the_read_once_per_connection():
    keys = [stored_session({"n": n}) for n in range(3)]
    connection.close()
    with CaptureQueriesContext(connection) as queries:
        assert [SessionStore(key).load() for key in keys] == [{"n": 0}, {"n": 1}, {"n": 2}]
    statements = [q["sql"] for q in queries.captured_queries]
    assert sum(sql.startswith("PREPARE config_session_read") for sql in statements) == 1
    assert sum(sql.startswith("EXECUTE config_session_read") for sql in statements) == 3
