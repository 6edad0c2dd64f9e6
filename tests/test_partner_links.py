"""Renewing or revoking an invitation's link ends every session opened with the old link,
on every partner path, the one-statement save included; the new link works."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from surveys.invitations import invitation_renew_link, invitation_revoke, invitation_token
from surveys.models import Invitation, Rating, Response

from .factories import make_diagnostic, make_invitation, make_place, make_system, step_url


@pytest.fixture
def partner(client, framework):
    """A browser that followed the link and answered step A (version 1), on a round with
    every step answered but A's change still to come, so that submit could succeed."""
    place = make_place()
    system = make_system(place, "Homelessness")
    invitation = make_invitation(make_diagnostic(place, framework, systems=[system]))
    assert client.get(f"/i/{invitation_token(invitation)}/").status_code == 302
    for code in "ABCDEFGHI":
        reply = client.post(step_url(invitation, system, code), {"answer": "2", "version": 0})
        assert reply.status_code == 302
    return invitation, system


def _landing(client, invitation, system):
    return client.get(reverse("surveys:partner_landing", args=[invitation.public_id]))


def _step_get(client, invitation, system):
    return client.get(step_url(invitation, system, "A"))


def _step_post_usual(client, invitation, system):  # the one-statement save's case
    return client.post(step_url(invitation, system, "A"), {"answer": "5", "version": 1})


def _step_post_full(client, invitation, system):  # a stale version: the full path
    return client.post(step_url(invitation, system, "A"), {"answer": "5", "version": 0})


def _autosave_usual(client, invitation, system):
    url = step_url(invitation, system, "A") + "autosave/"
    return client.post(url, {"answer": "5", "version": 1})


def _autosave_full(client, invitation, system):
    url = step_url(invitation, system, "A") + "autosave/"
    return client.post(url, {"answer": "5"})


def _review(client, invitation, system):
    return client.get(reverse("surveys:partner_review", args=[invitation.public_id, system.slug]))


def _submit(client, invitation, system):
    url = reverse("surveys:partner_review", args=[invitation.public_id, system.slug])
    return client.post(url, {"submit": ""})


def _withdraw(client, invitation, system):
    url = reverse("surveys:partner_withdraw", args=[invitation.public_id])
    return client.post(url, {"confirm": "yes"})


PATHS = [
    _landing,
    _step_get,
    _step_post_usual,
    _step_post_full,
    _autosave_usual,
    _autosave_full,
    _review,
    _submit,
    _withdraw,
]


def _renew(invitation):
    invitation_renew_link(invitation=Invitation.objects.get(pk=invitation.pk), actor=None)


def _revoke(invitation):
    invitation_revoke(invitation=Invitation.objects.get(pk=invitation.pk), actor=None)


def _unchanged():
    return sorted(Rating.objects.values_list("precondition__code", "score", "version")), sorted(
        Response.objects.values_list("status", flat=True)
    )


@pytest.mark.parametrize("end", [_renew, _revoke])
@pytest.mark.parametrize("path", PATHS)
def test_a_session_opened_with_the_old_link_can_do_nothing(partner, client, path, end):
    invitation, system = partner
    before = _unchanged()
    end(invitation)
    reply = path(client, invitation, system)
    assert reply.status_code == 404, (path.__name__, reply.status_code)
    assert _unchanged() == before


@pytest.mark.parametrize("path", PATHS)
def test_each_path_works_while_the_link_is_current(partner, client, path):
    invitation, system = partner
    reply = path(client, invitation, system)
    assert reply.status_code in (200, 302, 409), (path.__name__, reply.status_code)


def test_the_new_link_works_where_the_old_ones_session_does_not(partner, client):
    invitation, system = partner
    _renew(invitation)
    assert _autosave_usual(client, invitation, system).status_code == 404
    invitation.refresh_from_db()
    fresh = Client()
    assert fresh.get(f"/i/{invitation_token(invitation)}/").status_code == 302
    reply = _autosave_usual(fresh, invitation, system)
    assert (reply.status_code, reply.json()["version"]) == (200, 2)
    # Following the new link in the old browser brings that browser back too.
    assert client.get(f"/i/{invitation_token(invitation)}/").status_code == 302
    assert _landing(client, invitation, system).status_code == 200


def test_the_autosave_of_an_old_link_says_why_in_json(partner, client):
    invitation, system = partner
    _renew(invitation)
    reply = _autosave_usual(client, invitation, system)
    assert reply.json() == {"status": "not_found"}
