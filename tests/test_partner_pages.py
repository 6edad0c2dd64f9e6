"""What partners see around their answers: a Start button, a header without staff
navigation, the indicators they ticked on the review, and which link brings them back."""

from __future__ import annotations

import pytest
from django.urls import reverse

from preconditions.models import Precondition
from surveys.invitations import invitation_token

from .factories import make_diagnostic, make_invitation, make_place, make_system


@pytest.fixture
def invitation(framework):
    place = make_place("Northbridge")
    systems = [make_system(place, "Homelessness"), make_system(place, "Families")]
    diagnostic = make_diagnostic(place, framework, systems=systems, status="open")
    return make_invitation(diagnostic, email="pat@example.org")


@pytest.fixture
def arrived(client, invitation):
    client.get(reverse("surveys:invitation_start", args=[invitation_token(invitation)]))
    return client


def _landing(client, invitation) -> str:
    return client.get(
        reverse("surveys:partner_landing", args=[invitation.public_id])
    ).content.decode()


def _answer(client, invitation, system, code, **data):
    url = reverse("surveys:partner_step", args=[invitation.public_id, system.slug, code])
    return client.post(url, {"answer": "3", "version": 0, **data})


def _start_button(content: str) -> str:
    start = content.index('class="govuk-button govuk-button--start"')
    return content[content.rindex("<a ", 0, start) : content.index("</a>", start)]


def test_the_landing_page_has_a_start_button_to_the_first_step(arrived, invitation):
    button = _start_button(_landing(arrived, invitation))
    assert any(f"/{s.slug}/A/" in button for s in invitation.systems.all())
    assert 'role="button"' in button and "Start now" in button


def test_the_start_button_carries_on_where_they_left_off(arrived, invitation):
    content = _landing(arrived, invitation)
    system = next(s for s in invitation.systems.all() if f"/{s.slug}/A/" in _start_button(content))
    _answer(arrived, invitation, system, "A")
    button = _start_button(_landing(arrived, invitation))
    assert f"/{system.slug}/B/" in button and "Continue" in button


def test_there_is_no_start_button_when_the_round_is_not_open(arrived, invitation):
    invitation.diagnostic.status = "closed"
    invitation.diagnostic.save()
    assert "govuk-button--start" not in _landing(arrived, invitation)


@pytest.mark.parametrize("page", ["landing", "step", "review", "bad_link"])
def test_partners_never_see_sign_in_or_staff_navigation(arrived, invitation, page):
    system = invitation.systems.first()
    urls = {
        "landing": reverse("surveys:partner_landing", args=[invitation.public_id]),
        "step": reverse("surveys:partner_step", args=[invitation.public_id, system.slug, "A"]),
        "review": reverse("surveys:partner_review", args=[invitation.public_id, system.slug]),
        "bad_link": reverse("surveys:invitation_start", args=["not-a-token"]),
    }
    content = arrived.get(urls[page]).content.decode()
    header = content[content.index("<header") : content.index("</header>")]
    assert "Sign in" not in header
    assert reverse("login") not in header
    assert "Your diagnostics" not in header and "Reports" not in header
    if page != "bad_link":
        assert "Your systems" in header


def test_the_review_shows_the_indicators_ticked_in_plain_words(arrived, invitation):
    system = invitation.systems.first()
    _answer(arrived, invitation, system, "A", indicators_seen=["0", "3"])
    url = reverse("surveys:partner_review", args=[invitation.public_id, system.slug])
    content = arrived.get(url).content.decode()
    a = Precondition.objects.get(code="A")
    assert "You have seen:" in content
    assert f"<li>{a.plain_indicators[0]}</li>" in content
    assert f"<li>{a.plain_indicators[3]}</li>" in content
    assert a.plain_indicators[1] not in content


@pytest.mark.parametrize("page", ["landing", "review"])
def test_landing_and_review_say_which_link_brings_them_back(arrived, invitation, page):
    system = invitation.systems.first()
    url = (
        reverse("surveys:partner_landing", args=[invitation.public_id])
        if page == "landing"
        else reverse("surveys:partner_review", args=[invitation.public_id, system.slug])
    )
    content = arrived.get(url).content.decode()
    assert "open your personal invitation link again" in content
    assert "the one in the e-mail sent to" in content and "pat@example.org" in content


def test_without_an_email_the_link_is_the_one_they_were_given(client, framework):
    place = make_place()
    diagnostic = make_diagnostic(place, framework, systems=[make_system(place)], status="open")
    invitation = make_invitation(diagnostic, email="")
    client.get(reverse("surveys:invitation_start", args=[invitation_token(invitation)]))
    assert "the one you were given, on paper or in a message" in _landing(client, invitation)
