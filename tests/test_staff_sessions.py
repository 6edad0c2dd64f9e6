"""Staff accounts: sessions with an idle timeout and an absolute lifetime, passwords of at
least 12 characters, and a sign-in lockout by address across usernames."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from config import middleware
from surveys.invitations import invitation_token

from .factories import make_diagnostic, make_invitation, make_place, make_system, make_user

PASSWORD = "correct horse battery staple"


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(middleware.time, "time", clock)
    return clock


@pytest.fixture
def signed_in(client, db, clock):
    make_user("fran")
    assert (
        client.post(reverse("login"), {"username": "fran", "password": PASSWORD}).status_code == 302
    )
    assert client.get(reverse("surveys:dashboard")).status_code == 200  # the clocks start
    return client


def dashboard(client):
    return client.get(reverse("surveys:dashboard"))


def test_activity_keeps_a_staff_session_going(signed_in, clock, settings):
    for _ in range(5):
        clock.now += settings.STAFF_SESSION_IDLE_TIMEOUT - 1
        assert dashboard(signed_in).status_code == 200


def test_a_staff_session_ends_after_the_idle_timeout(signed_in, clock, settings):
    clock.now += settings.STAFF_SESSION_IDLE_TIMEOUT + 1
    response = dashboard(signed_in)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse('surveys:dashboard')}"
    page = signed_in.get(response["Location"]).content.decode()
    assert "You were signed out because you had not used the service for 30 minutes" in page
    assert "_auth_user_id" not in signed_in.session
    assert dashboard(signed_in)["Location"].startswith(reverse("login"))


def test_a_staff_session_ends_after_its_lifetime_however_active(signed_in, clock, settings):
    steps = settings.STAFF_SESSION_MAX_AGE // (settings.STAFF_SESSION_IDLE_TIMEOUT - 60)
    for _ in range(steps):
        clock.now += settings.STAFF_SESSION_IDLE_TIMEOUT - 60
        assert dashboard(signed_in).status_code == 200
    clock.now += settings.STAFF_SESSION_IDLE_TIMEOUT - 60
    response = dashboard(signed_in)
    assert response.status_code == 302
    page = signed_in.get(response["Location"]).content.decode()
    assert "because you had been signed in for 12 hours" in page


def test_the_limits_follow_the_settings(signed_in, clock, settings):
    settings.STAFF_SESSION_IDLE_TIMEOUT = 120
    clock.now += 121
    assert dashboard(signed_in).status_code == 302


def test_a_partners_session_from_their_link_is_not_a_staff_session(
    client, framework, clock, settings
):
    place = make_place("Northbridge")
    diagnostic = make_diagnostic(place, framework, systems=[make_system(place, "Homes")])
    invitation = make_invitation(diagnostic)
    landing = client.get(f"/i/{invitation_token(invitation)}/")
    assert landing.status_code == 302
    clock.now += settings.STAFF_SESSION_MAX_AGE * 2
    assert client.get(landing["Location"]).status_code == 200


def test_passwords_need_at_least_12_characters(db):
    user = make_user("fran")
    with pytest.raises(ValidationError, match="at least 12 characters"):
        validate_password("Tr0ub4dor&3", user)  # 11
    validate_password("Tr0ub4dor&3x", user)  # 12


def test_one_password_sprayed_over_many_usernames_from_one_address_is_locked(client, db, settings):
    for n in range(15):
        make_user(f"user{n}")
    statuses = [
        client.post(
            reverse("login"), {"username": f"user{n}", "password": "Summer2026!"}
        ).status_code
        for n in range(15)
    ]
    limit = settings.AXES_ADDRESS_FAILURE_LIMIT
    assert statuses[: limit - 1] == [200] * (limit - 1)  # "wrong username or password"
    assert set(statuses[limit - 1 :]) == {429}
    # Locked at that address, even with the right password.
    locked = client.post(reverse("login"), {"username": "user14", "password": PASSWORD})
    assert locked.status_code == 429
    assert "from this network address" in locked.content.decode()


def test_another_address_is_not_locked_by_them(client, db, settings):
    make_user("fran")
    for n in range(settings.AXES_ADDRESS_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": f"nobody{n}", "password": "x"})
    elsewhere = client.post(
        reverse("login"), {"username": "fran", "password": PASSWORD}, REMOTE_ADDR="192.0.2.7"
    )
    assert elsewhere.status_code == 302


def test_one_username_at_one_address_is_still_locked_sooner(client, db, settings):
    make_user("fran")
    statuses = [
        client.post(reverse("login"), {"username": "fran", "password": "wrong"}).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses[-1] == 429
    assert settings.AXES_FAILURE_LIMIT < settings.AXES_ADDRESS_FAILURE_LIMIT
