"""Sessions are Django's own cached database sessions: in the database (its sessions
table and its cache table), so shared by every app process and a partner can move
between them; ending one ends it everywhere."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from surveys.access import PARTNER_SESSION_KEY
from surveys.invitations import invitation_token

from .factories import make_diagnostic, make_invitation, make_place, make_system


@pytest.fixture
def invitation(framework):
    place = make_place()
    system = make_system(place)
    return make_invitation(make_diagnostic(place, framework, systems=[system]))


def test_the_app_uses_it(client, invitation):
    """A partner's session is a row of the sessions table: another client holding only
    the cookie reads it, and ending the session (as signing out does) ends it for both."""
    assert client.get(f"/i/{invitation_token(invitation)}/").status_code == 302
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.get(session_key=key).get_decoded()[PARTNER_SESSION_KEY] == {
        invitation.public_id: invitation.token_generation
    }
    landing = reverse("surveys:partner_landing", args=[invitation.public_id])
    elsewhere = Client()  # nothing shared with the first client but the cookie
    elsewhere.cookies[settings.SESSION_COOKIE_NAME] = key
    assert elsewhere.get(landing).status_code == 200
    import_module(settings.SESSION_ENGINE).SessionStore(key).delete()
    assert not Session.objects.filter(session_key=key).exists()
    assert elsewhere.get(landing).status_code == 404
    assert client.get(landing).status_code == 404


def test_following_a_link_makes_a_new_session_key(client, invitation):
    """A session fixed by someone else before the link is followed gains nothing."""
    client.get("/")  # any page
    session = client.session
    session["planted"] = True
    session.save()
    before = session.session_key
    client.get(f"/i/{invitation_token(invitation)}/")
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
