"""The usual save as one statement (surveys/answer_replace.py): it writes only when the
full path would write the same, and otherwise leaves the request to the full path."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from surveys.answer_replace import stored_answer_replace
from surveys.answers import Answer, PartnerLink
from surveys.invitations import invitation_renew_link, invitation_revoke, invitation_token
from surveys.models import Diagnostic, Invitation, Rating

from .factories import make_diagnostic, make_invitation, make_place, make_system, step_url

NEW = Answer(score=4, dont_know=False, evidence="Seen at the hostel", indicators_seen=[0, 2])


@pytest.fixture
def partner(client, framework):
    """A partner who has arrived by their link and stored an answer to step A (version 1)."""
    place = make_place("Northbridge")
    systems = [make_system(place, "Homelessness"), make_system(place, "Families")]
    diagnostic = make_diagnostic(place, framework, systems=systems, status="open")
    invitation = make_invitation(diagnostic)
    assert client.get(f"/i/{invitation_token(invitation)}/").status_code == 302
    system = systems[0]
    first = client.post(step_url(invitation, system, "A"), {"answer": "2", "version": 0})
    assert first.status_code == 302
    return invitation, system


def stored(invitation, system, code="A") -> Rating:
    return Rating.objects.get(
        response__invitation=invitation, response__system=system, precondition__code=code
    )


def replace(invitation, system, code="A", answer=NEW, version=1, generation=None):
    if generation is None:
        generation = Invitation.objects.get(pk=invitation.pk).token_generation
    return stored_answer_replace(
        link=PartnerLink(invitation.public_id, generation),
        system_slug=system.slug,
        code=code,
        answer=answer,
        expected_version=version,
    )


def test_the_usual_save_replaces_the_answer_and_says_where_to_go_next(partner):
    invitation, system = partner
    replaced = replace(invitation, system)
    assert replaced is not None
    assert (replaced.version, replaced.next_code) == (2, "B")
    rating = stored(invitation, system)
    assert (rating.score, rating.dont_know, rating.evidence, rating.indicators_seen) == (
        4,
        False,
        "Seen at the hostel",
        [0, 2],
    )
    assert rating.version == 2
    assert rating.updated_at == replaced.updated_at


def test_the_last_step_has_no_next_code(partner, client):
    invitation, system = partner
    first = client.post(step_url(invitation, system, "I"), {"answer": "3", "version": 0})
    assert first.status_code == 302
    assert stored(invitation, system, "I").version == 1
    replaced = replace(invitation, system, code="I")
    assert replaced is not None
    assert (replaced.version, replaced.next_code) == (2, None)
    assert stored(invitation, system, "I").score == 4


def test_dont_know_is_stored_without_a_score(partner):
    invitation, system = partner
    answer = Answer(score=None, dont_know=True, evidence="", indicators_seen=[])
    assert replace(invitation, system, answer=answer) is not None
    rating = stored(invitation, system)
    assert (rating.score, rating.dont_know) == (None, True)


def _revoke(invitation, system):
    invitation_revoke(invitation=invitation, actor=None)


def _erase_link(invitation, system):
    Invitation.objects.filter(pk=invitation.pk).update(token_hash=None)


def _close(invitation, system):
    Diagnostic.objects.filter(pk=invitation.diagnostic_id).update(status="closed")


def _system_taken_off_the_invitation(invitation, system):
    invitation.systems.remove(system)


def _system_taken_out_of_the_round(invitation, system):
    invitation.diagnostic.systems.remove(system)


def _renew(invitation, system):
    invitation_renew_link(invitation=invitation, actor=None)


@pytest.mark.parametrize(
    "change",
    [
        _revoke,
        _renew,
        _erase_link,
        _close,
        _system_taken_off_the_invitation,
        _system_taken_out_of_the_round,
    ],
)
def test_nothing_is_written_when_the_full_path_would_refuse(partner, change):
    invitation, system = partner
    generation = invitation.token_generation  # what the partner's session holds
    change(invitation, system)
    assert replace(invitation, system, generation=generation) is None
    assert stored(invitation, system).version == 1


@pytest.mark.parametrize(
    ("version", "code", "indicators"),
    [
        (0, "A", [0]),  # a page older than the stored answer: a conflict, for the full path
        (2, "A", [0]),  # a version never stored
        (1, "B", [0]),  # no answer to B yet: the full path creates it
        (1, "Z", [0]),  # no such pre-condition
        (1, "A", [49]),  # an indicator the pre-condition does not have
    ],
)
def test_nothing_is_written_unless_the_stored_answer_is_the_one_the_page_showed(
    partner, version, code, indicators
):
    invitation, system = partner
    answer = Answer(score=5, dont_know=False, evidence="", indicators_seen=indicators)
    assert replace(invitation, system, code=code, answer=answer, version=version) is None
    rating = stored(invitation, system)
    assert (rating.score, rating.version) == (2, 1)


def test_another_invitations_answer_cannot_be_reached(partner, framework):
    invitation, system = partner
    other = make_invitation(invitation.diagnostic)
    assert replace(other, system) is None
    assert stored(invitation, system).version == 1


def test_a_usual_save_reads_the_session_and_makes_one_statement(partner, client):
    invitation, system = partner
    url = step_url(invitation, system, "A") + "autosave/"
    with CaptureQueriesContext(connection) as queries:
        reply = client.post(url, {"answer": "5", "evidence": "More", "version": 1})
    assert reply.status_code == 200
    assert reply.json()["status"] == "saved"
    assert reply.json()["version"] == 2
    statements = [q["sql"] for q in queries.captured_queries]
    # The session, from the database cache (cached_db sessions), then the one UPDATE.
    assert len(statements) == 2, statements
    assert "preconditions_cache" in statements[0], statements
    assert statements[1].lstrip().startswith("UPDATE surveys_rating"), statements


def test_the_step_button_takes_the_usual_path_and_goes_on(partner, client):
    invitation, system = partner
    reply = client.post(step_url(invitation, system, "A"), {"answer": "5", "version": 1})
    assert reply.status_code == 302
    assert reply["Location"] == step_url(invitation, system, "B")
    exit_reply = client.post(
        step_url(invitation, system, "A"), {"answer": "4", "version": 2, "save_and_exit": ""}
    )
    assert exit_reply["Location"] == reverse("surveys:partner_landing", args=[invitation.public_id])
    assert stored(invitation, system).version == 3


def test_the_last_steps_button_goes_to_the_review(partner, client):
    invitation, system = partner
    review = reverse("surveys:partner_review", args=[invitation.public_id, system.slug])
    first = client.post(step_url(invitation, system, "I"), {"answer": "3", "version": 0})
    assert (first.status_code, first["Location"]) == (302, review)  # the full path
    reply = client.post(step_url(invitation, system, "I"), {"answer": "4", "version": 1})
    assert (reply.status_code, reply["Location"]) == (302, review)  # the usual path
    assert stored(invitation, system, "I").version == 2


def test_the_usual_path_needs_the_session_too(partner, client):
    invitation, system = partner
    client.cookies.clear()
    url = step_url(invitation, system, "A") + "autosave/"
    assert client.post(url, {"answer": "5", "version": 1}).status_code == 404
    step = client.post(step_url(invitation, system, "A"), {"answer": "5", "version": 1})
    assert step.status_code == 404
    assert stored(invitation, system).version == 1


def test_a_save_the_usual_path_refuses_gets_the_full_paths_answer(partner, client):
    """A stale page: the full path reports the conflict with the stored answer."""
    invitation, system = partner
    url = step_url(invitation, system, "A") + "autosave/"
    assert client.post(url, {"answer": "5", "version": 1}).json()["status"] == "saved"
    reply = client.post(url, {"answer": "1", "evidence": "From the other tab", "version": 1})
    assert reply.status_code == 409
    assert reply.json()["stored"]["score"] == 5
    # A retried request (same answer, old version) is recognised, not a conflict.
    retry = client.post(url, {"answer": "5", "version": 1})
    assert (retry.status_code, retry.json()["version"]) == (200, 2)


def test_an_out_of_range_indicator_is_refused_by_the_full_path(partner, client):
    invitation, system = partner
    url = step_url(invitation, system, "A") + "autosave/"
    reply = client.post(url, {"answer": "5", "version": 1, "indicators_seen": ["40"]})
    assert reply.status_code == 400
    assert "indicators_seen" in reply.json()["errors"]
    assert stored(invitation, system).version == 1


def test_an_unchanged_answer_is_left_to_the_full_path_and_keeps_its_version(partner, client):
    invitation, system = partner
    same = Answer(score=2, dont_know=False, evidence="", indicators_seen=[])
    assert replace(invitation, system, answer=same) is None
    url = step_url(invitation, system, "A") + "autosave/"
    reply = client.post(url, {"answer": "2", "evidence": "", "version": 1})
    assert (reply.status_code, reply.json()["status"], reply.json()["version"]) == (200, "saved", 1)
    assert stored(invitation, system).version == 1


def test_a_version_beyond_any_stored_is_refused_not_an_error(partner, client):
    invitation, system = partner
    url = step_url(invitation, system, "A") + "autosave/"
    reply = client.post(url, {"answer": "5", "version": 2**31})
    assert reply.status_code == 400
    assert "version" in reply.json()["errors"]
    step = client.post(step_url(invitation, system, "A"), {"answer": "5", "version": 10**30})
    assert step.status_code == 400
    assert stored(invitation, system).version == 1
