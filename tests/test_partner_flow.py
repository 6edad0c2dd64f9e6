from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from surveys.invitations import invitation_token
from surveys.models import Diagnostic, Rating, Response

from .factories import make_diagnostic, make_invitation, make_place, make_system, step_url


@pytest.fixture
def invitation(framework):
    place = make_place("Northbridge")
    systems = [make_system(place, "Homelessness"), make_system(place, "Families")]
    diagnostic = make_diagnostic(place, framework, systems=systems, status="open")
    return make_invitation(diagnostic)


def arrive(client, invitation):
    return client.get(f"/i/{invitation_token(invitation)}/")


def answer(client, invitation, system, code, value="3", evidence="", version=None, **extra):
    if version is None:
        rating = Rating.objects.filter(
            response__invitation=invitation, response__system=system, precondition__code=code
        ).first()
        version = rating.version if rating else 0
    data = {"answer": value, "evidence": evidence, "version": version, **extra}
    return client.post(step_url(invitation, system, code), data)


def test_the_link_is_exchanged_for_a_session_and_a_url_without_the_token(client, invitation):
    token = invitation_token(invitation)
    response = arrive(client, invitation)
    assert response.status_code == 302
    assert token not in response["Location"]
    assert response["Location"] == reverse("surveys:partner_landing", args=[invitation.public_id])
    landing = client.get(response["Location"])
    assert landing.status_code == 200
    assert "Homelessness" in landing.content.decode()
    invitation.refresh_from_db()
    assert invitation.opened_at is not None


def test_the_landing_page_needs_the_link_first(client, invitation):
    url = reverse("surveys:partner_landing", args=[invitation.public_id])
    assert client.get(url).status_code == 404


def test_a_bad_link_shows_a_page_that_reveals_nothing(client, invitation):
    response = client.get("/i/not-a-real-token/")
    assert response.status_code == 404
    content = response.content.decode()
    assert "This link does not work" in content
    assert invitation.diagnostic.title not in content


def test_a_revoked_invitation_says_so(client, invitation):
    from surveys.invitations import invitation_revoke

    invitation_revoke(invitation=invitation, actor=None)
    response = arrive(client, invitation)
    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()


def test_bad_tokens_are_rate_limited_per_address(client, invitation):
    for _ in range(10):
        assert client.get("/i/guess/").status_code == 404
    assert client.get("/i/guess/").status_code == 429
    # Even a good link waits until the window has passed.
    assert arrive(client, invitation).status_code == 429


def test_answers_save_step_by_step_and_resume_in_another_browser(client, invitation):
    system = invitation.systems.get(name="Homelessness")
    arrive(client, invitation)
    response = answer(client, invitation, system, "A", "4", evidence="Joint panel meets weekly")
    assert response.status_code == 302
    assert response["Location"] == step_url(invitation, system, "B")
    answer(client, invitation, system, "B", "dont_know")

    other_device = Client()
    arrive(other_device, invitation)
    page = other_device.get(step_url(invitation, system, "A")).content.decode()
    assert "Joint panel meets weekly" in page
    checked = re.findall(r'<input[^>]*name="answer"[^>]*>', page)
    assert [tag for tag in checked if "checked" in tag] == [
        tag for tag in checked if 'value="4"' in tag
    ], checked
    assert len([tag for tag in checked if "checked" in tag]) == 1
    rating = Rating.objects.get(precondition__code="B")
    assert rating.dont_know and rating.score is None
    landing = other_device.get(reverse("surveys:partner_landing", args=[invitation.public_id]))
    # Carries on from the first unanswered pre-condition.
    assert step_url(invitation, system, "C") in landing.content.decode()


def test_back_and_forward_keep_what_was_typed(client, invitation):
    system = invitation.systems.get(name="Homelessness")
    arrive(client, invitation)
    answer(client, invitation, system, "A", "2", evidence="Pockets of good practice")
    page = client.get(step_url(invitation, system, "A")).content.decode()
    assert "Pockets of good practice" in page


def test_saving_the_same_answer_twice_stores_it_once(client, invitation):
    system = invitation.systems.get(name="Homelessness")
    arrive(client, invitation)
    for _ in range(3):
        answer(client, invitation, system, "A", "5", evidence="Same", version=0)
    assert Response.objects.count() == 1
    rating = Rating.objects.get()
    assert rating.score == 5 and rating.version == 1


def test_a_stale_save_from_another_tab_does_not_overwrite_and_shows_both(client, invitation):
    system = invitation.systems.get(name="Homelessness")
    arrive(client, invitation)
    answer(client, invitation, system, "A", "2", evidence="First tab", version=0)
    # A second tab opened before the first saved still holds version 0.
    response = answer(client, invitation, system, "A", "5", evidence="Second tab", version=0)
    assert response.status_code == 409
    page = response.content.decode()
    assert "changed somewhere else" in page
    assert "First tab" in page and "Second tab" in page
    rating = Rating.objects.get()
    assert rating.score == 2 and rating.evidence == "First tab"


def test_submitting_needs_every_precondition_answered(client, invitation, framework):
    system = invitation.systems.get(name="Homelessness")
    arrive(client, invitation)
    answer(client, invitation, system, "A", "3")
    review_url = reverse("surveys:partner_review", args=[invitation.public_id, system.slug])
    response = client.post(review_url, {"submit": ""})
    assert response.status_code == 400
    assert "Answer B." in response.content.decode()
    assert Response.objects.get().status == "draft"


def test_double_submission_submits_once(client, invitation):
    system = invitation.systems.get(name="Homelessness")
    arrive(client, invitation)
    for code in "ABCDEFGHI":
        answer(client, invitation, system, code, "3")
    review_url = reverse("surveys:partner_review", args=[invitation.public_id, system.slug])
    first = client.post(review_url, {"submit": ""})
    submitted_at = Response.objects.get().submitted_at
    second = client.post(review_url, {"submit": ""})
    assert first.status_code == second.status_code == 302
    assert Response.objects.count() == 1
    assert Response.objects.get().submitted_at == submitted_at
    assert Rating.objects.count() == 9


def test_a_closed_round_shows_answers_read_only_and_refuses_changes(client, invitation):
    system = invitation.systems.get(name="Homelessness")
    arrive(client, invitation)
    answer(client, invitation, system, "A", "4", evidence="Before closing")
    Diagnostic.objects.filter(pk=invitation.diagnostic_id).update(status="closed")
    page = client.get(step_url(invitation, system, "A"))
    assert page.status_code == 200
    content = page.content.decode()
    assert "Before closing" in content and "cannot change" in content
    assert 'name="evidence"' not in content
    answer(client, invitation, system, "A", "1", evidence="After closing", version=1)
    assert Rating.objects.get().evidence == "Before closing"
    autosave = client.post(
        reverse("surveys:partner_autosave", args=[invitation.public_id, system.slug, "A"]),
        {"answer": "1", "version": 1},
    )
    assert autosave.status_code == 403


def test_autosave_answers_in_json_and_detects_conflicts(client, invitation):
    system = invitation.systems.get(name="Homelessness")
    arrive(client, invitation)
    url = reverse("surveys:partner_autosave", args=[invitation.public_id, system.slug, "C"])
    saved = client.post(url, {"answer": "4", "evidence": "draft", "version": 0})
    assert saved.status_code == 200 and saved.json()["status"] == "saved"
    assert saved.json()["version"] == 1
    stale = client.post(url, {"answer": "2", "evidence": "older tab", "version": 0})
    assert stale.status_code == 409 and stale.json()["stored"]["evidence"] == "draft"
    invalid = client.post(url, {"answer": "9", "version": 1})
    assert invalid.status_code == 400


def test_evidence_longer_than_the_limit_is_refused_but_the_score_is_kept(client, invitation):
    system = invitation.systems.get(name="Homelessness")
    arrive(client, invitation)
    answer(client, invitation, system, "A", "2", evidence="Short and stored")
    response = answer(client, invitation, system, "A", "3", evidence="x" * 5001)
    assert response.status_code == 400
    page = response.content.decode()
    assert "govuk-error-summary" in page
    assert "Evidence must be 5000 characters or fewer (it has 5001)" in page
    assert "Your rating is saved" in page
    assert "x" * 5001 in page  # the text is kept in the page, to shorten
    # The page now holds the stored version: saving the shortened text is no conflict.
    assert 'name="version" value="2"' in page
    rating = Rating.objects.get()
    assert (rating.score, rating.evidence, rating.version) == (3, "Short and stored", 2)
    shortened = answer(client, invitation, system, "A", "3", evidence="x" * 5000, version=2)
    assert shortened.status_code == 302
    assert Rating.objects.get().evidence == "x" * 5000


def test_line_breaks_count_as_the_browser_counts_them(client, invitation):
    """A browser sends each line break as CR LF but counts it as one character."""
    system = invitation.systems.get(name="Homelessness")
    arrive(client, invitation)
    lines = ["y" * 99] * 50  # 50 lines: 4,999 characters with LF breaks, 5,048 with CR LF
    response = answer(client, invitation, system, "A", "4", evidence="\r\n".join(lines))
    assert response.status_code == 302
    assert Rating.objects.get().evidence == "\n".join(lines)


def test_an_over_long_autosave_keeps_the_score_and_says_why_in_json(client, invitation):
    system = invitation.systems.get(name="Homelessness")
    arrive(client, invitation)
    url = reverse("surveys:partner_autosave", args=[invitation.public_id, system.slug, "A"])
    reply = client.post(url, {"answer": "5", "evidence": "z" * 5001, "version": 0})
    assert reply.status_code == 400
    body = reply.json()
    assert body["status"] == "invalid"
    assert list(body["errors"]) == ["evidence"]
    assert body["version"] == 1
    rating = Rating.objects.get()
    assert (rating.score, rating.evidence) == (5, "")


def test_an_oversized_autosave_gets_a_json_error_not_an_html_page(client, invitation, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    system = invitation.systems.get(name="Homelessness")
    arrive(client, invitation)
    url = reverse("surveys:partner_autosave", args=[invitation.public_id, system.slug, "A"])
    reply = client.post(
        url, {"answer": "5", "evidence": "z" * 20_000, "version": 0}, HTTP_ACCEPT="application/json"
    )
    assert reply.status_code == 400
    assert reply["Content-Type"] == "application/json"
    assert reply.json()["status"] == "invalid"
    assert "too large" in reply.json()["message"]
    assert not Rating.objects.exists()


def test_save_and_continue_with_no_answer_says_so_and_offers_dont_know(client, invitation):
    system = invitation.systems.get(name="Homelessness")
    arrive(client, invitation)
    response = answer(
        client, invitation, system, "A", "", evidence="Typed, not rated", save_and_continue=""
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose an answer, or “I don&#x27;t know” if you cannot say" in page
    assert f'href="{step_url(invitation, system, "B")}">Skip this question for now' in page
    # What was typed is saved all the same, and the partner stays on the step.
    assert Rating.objects.get().evidence == "Typed, not rated"
    later = answer(client, invitation, system, "A", "", save_and_exit="")
    assert later["Location"] == reverse("surveys:partner_landing", args=[invitation.public_id])


def test_change_on_the_review_page_returns_to_the_review(client, invitation):
    system = invitation.systems.get(name="Homelessness")
    arrive(client, invitation)
    answer(client, invitation, system, "C", "3")
    review_url = reverse("surveys:partner_review", args=[invitation.public_id, system.slug])
    change_url = step_url(invitation, system, "C") + "?from=review"
    assert f'href="{change_url}"' in client.get(review_url).content.decode()
    page = client.get(change_url).content.decode()
    assert "Save and go back to check your answers" in page
    reply = client.post(change_url, {"answer": "5", "version": 1})  # the usual path
    assert (reply.status_code, reply["Location"]) == (302, review_url)
    unanswered = step_url(invitation, system, "D") + "?from=review"
    reply = client.post(unanswered, {"answer": "2", "version": 0})  # the full path
    assert (reply.status_code, reply["Location"]) == (302, review_url)
    assert sorted(Rating.objects.values_list("precondition__code", "score")) == [
        ("C", 5),
        ("D", 2),
    ]


def test_a_partner_cannot_reach_a_system_outside_their_invitation(client, invitation, framework):
    other = make_system(invitation.diagnostic.place, "Transport")
    arrive(client, invitation)
    assert client.get(step_url(invitation, other, "A")).status_code == 404


def test_a_partner_can_withdraw_their_answers(client, invitation):
    system = invitation.systems.get(name="Homelessness")
    arrive(client, invitation)
    answer(client, invitation, system, "A", "3")
    url = reverse("surveys:partner_withdraw", args=[invitation.public_id])
    assert client.post(url).status_code == 200  # asks to confirm
    assert Response.objects.exists()
    client.post(url, {"confirm": "yes"})
    assert not Response.objects.exists()


def _partner_page_query_counts(client_class, framework, size: int) -> list[int]:
    place = make_place()
    system = make_system(place, "Homelessness")
    diagnostic = make_diagnostic(place, framework, systems=[system])
    invitations = [make_invitation(diagnostic) for _ in range(size)]
    for other in invitations[1:]:
        c = client_class()
        arrive(c, other)
        for code in "ABC":
            answer(c, other, system, code, "3")
    invitation = invitations[0]
    client = client_class()
    arrive(client, invitation)
    for code in "ABCD":
        answer(client, invitation, system, code, "3", evidence="x")
    counts = []
    for url in (
        reverse("surveys:partner_landing", args=[invitation.public_id]),
        step_url(invitation, system, "B"),
        reverse("surveys:partner_review", args=[invitation.public_id, system.slug]),
    ):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    return counts


def test_partner_pages_use_the_same_number_of_queries_however_many_responses(framework):
    small = _partner_page_query_counts(Client, framework, 2)
    large = _partner_page_query_counts(Client, framework, 25)
    assert small == large
    assert max(small) <= 12
