"""With the database unavailable, every partner path answers 503 (never the generic 500),
and a save's page keeps what the partner sent in a form that saves it again. (The
reliability tests cut a real PostgreSQL connection mid-save; here every statement fails,
the session's read included, as when the database is stopped.)"""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection
from django.urls import reverse

from surveys.invitations import invitation_token
from surveys.models import Rating, Response

from .factories import make_diagnostic, make_invitation, make_place, make_system, step_url


@pytest.fixture
def partner(client, framework):
    place = make_place()
    system = make_system(place, "Homelessness")
    invitation = make_invitation(make_diagnostic(place, framework, systems=[system]))
    assert client.get(f"/i/{invitation_token(invitation)}/").status_code == 302
    return invitation, system


@contextmanager
def database_down():
    def refuse(execute, sql, params, many, context):
        raise OperationalError("connection to server failed: Connection refused")

    with connection.execute_wrapper(refuse):
        yield


TYPED = "Line one of what I typed\r\nand line two, with care"


@pytest.mark.parametrize("button", ["save_and_continue", "save_and_exit"])
def test_a_step_save_answers_503_and_keeps_everything_sent(partner, client, button):
    invitation, system = partner
    data = {"answer": "4", "evidence": TYPED, "indicators_seen": ["0", "2"], "version": "0"}
    with database_down():
        reply = client.post(step_url(invitation, system), {**data, button: ""})
    assert reply.status_code == 503
    page = reply.content.decode()
    assert "Sorry, your answer was not saved" in page
    assert "govuk-error-summary" in page
    assert re.search(
        r'<textarea[^>]*name="evidence"[^>]*>' + re.escape(TYPED) + "</textarea>", page
    )
    checked = re.findall(r'<input[^>]*name="answer"[^>]*checked[^>]*>', page)
    assert len(checked) == 1 and 'value="4"' in checked[0]
    assert re.findall(r'name="indicators_seen" value="(\d+)"', page) == ["0", "2"]
    assert 'name="version" value="0"' in page
    assert f'<button type="submit" name="{button}"' in page
    # With JavaScript the page saves it by itself when the service is back.
    assert f'data-autosave-url="{step_url(invitation, system)}autosave/"' in page
    assert not Rating.objects.exists()

    # The database is back: the page's form, sent again, saves it all.
    again = client.post(step_url(invitation, system), {**data, button: ""})
    assert again.status_code == 302
    rating = Rating.objects.get()
    assert (rating.score, rating.evidence, rating.indicators_seen) == (
        4,
        TYPED.replace("\r\n", "\n"),
        [0, 2],
    )


def test_an_autosave_answers_503_in_json(partner, client):
    invitation, system = partner
    with database_down():
        reply = client.post(step_url(invitation, system) + "autosave/", {"answer": "4"})
    assert reply.status_code == 503
    assert reply.json()["status"] == "error"
    assert "not saved" in reply.json()["message"]


@pytest.mark.parametrize(
    "page",
    ["landing", "step", "review"],
)
def test_every_partner_page_answers_503(partner, client, page):
    invitation, system = partner
    url = {
        "landing": reverse("surveys:partner_landing", args=[invitation.public_id]),
        "step": step_url(invitation, system),
        "review": reverse("surveys:partner_review", args=[invitation.public_id, system.slug]),
    }[page]
    with database_down():
        reply = client.get(url)
    assert reply.status_code == 503
    assert "Sorry, there is a problem with the service" in reply.content.decode()


def test_following_a_link_answers_503(partner, client):
    invitation, _system = partner
    with database_down():
        reply = client.get(f"/i/{invitation_token(invitation)}/")
    assert reply.status_code == 503


def test_submitting_answers_503_and_offers_to_submit_again(partner, client):
    invitation, system = partner
    for code in "ABCDEFGHI":
        client.post(step_url(invitation, system, code), {"answer": "3", "version": 0})
    url = reverse("surveys:partner_review", args=[invitation.public_id, system.slug])
    with database_down():
        reply = client.post(url, {"submit": ""})
    assert reply.status_code == 503
    page = reply.content.decode()
    assert "your answers were not submitted" in page
    assert "Submit again" in page
    assert Response.objects.get().status == "draft"
    assert client.post(url, {"submit": ""}).status_code == 302
    assert Response.objects.get().status == "submitted"


def test_withdrawing_answers_503_and_deletes_nothing(partner, client):
    invitation, system = partner
    client.post(step_url(invitation, system), {"answer": "3", "version": 0})
    url = reverse("surveys:partner_withdraw", args=[invitation.public_id])
    with database_down():
        reply = client.post(url, {"confirm": "yes"})
    assert reply.status_code == 503
    assert "your answers were not deleted" in reply.content.decode()
    assert Response.objects.exists()
