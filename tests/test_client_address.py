"""The client's address behind reverse proxies (TRUSTED_PROXY_COUNT), one function used by
the bad-link rate limit and by django-axes alike: one client's failures no longer count
against every client of the proxy."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.urls import reverse

from config.proxies import client_address
from config.settings import env_positive_int

from .factories import make_user

PROXY = "10.0.0.2"  # what REMOTE_ADDR is for every request through the proxy
PASSWORD = "correct horse battery staple"


def address(forwarded: str | None, *, remote: str = PROXY) -> str | None:
    request = RequestFactory().get("/", REMOTE_ADDR=remote)
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(request)


def test_with_no_proxy_trusted_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert address("203.0.113.9") == PROXY


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (1, "203.0.113.9", "203.0.113.9"),
        # What the client wrote itself comes first, and proves nothing.
        (1, "198.51.100.1, 203.0.113.9", "203.0.113.9"),
        (2, "198.51.100.1, 203.0.113.9, 10.0.0.1", "203.0.113.9"),
        (1, "203.0.113.9:52100", "203.0.113.9"),
        (1, "[2001:db8::1]:443", "2001:db8::1"),
        (1, "2001:DB8::1", "2001:db8::1"),
        # Not through every proxy, or not an address: the nearest address is all we know.
        (2, "203.0.113.9", PROXY),
        (1, "", PROXY),
        (1, "unknown", PROXY),
        (1, "203.0.113.9, <script>", PROXY),
    ],
)
def test_the_client_is_the_entry_the_outermost_trusted_proxy_wrote(
    settings, count, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = count
    assert address(forwarded) == expected


def test_without_the_header_it_is_the_remote_address(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert address(None) == PROXY


def test_the_setting_cannot_be_negative(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXY_COUNT", "-1")
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXY_COUNT must be at least 0"):
        env_positive_int("TRUSTED_PROXY_COUNT", 0, minimum=0)


def test_one_clients_bad_links_do_not_limit_another_behind_the_same_proxy(client, db, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    guesser = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    neighbour = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.1"}
    for _ in range(10):
        assert client.get("/i/guess/", **guesser).status_code == 404
    assert client.get("/i/guess/", **guesser).status_code == 429
    assert client.get("/i/guess/", **neighbour).status_code == 404


def test_one_clients_wrong_passwords_do_not_lock_the_user_out_elsewhere(client, db, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    make_user("fran")
    attacker = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "fran", "password": "wrong"}, **attacker)
    assert (
        client.post(reverse("login"), {"username": "fran", "password": PASSWORD}, **attacker)
    ).status_code == 429
    fran = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.1"}
    signed_in = client.post(reverse("login"), {"username": "fran", "password": PASSWORD}, **fran)
    assert signed_in.status_code == 302


def test_a_request_without_an_address_has_none(rf, settings):
    """A request made inside the process (the test client's force_login, a management
    command) has no REMOTE_ADDR: None, never a word that PostgreSQL's inet column refuses."""
    from config.proxies import client_address

    request = rf.get("/")
    del request.META["REMOTE_ADDR"]
    assert client_address(request) is None
    request.META["REMOTE_ADDR"] = "not an address"
    assert client_address(request) is None
