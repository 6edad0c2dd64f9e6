"""Workshop mode (issue 14): joining by code, pacing, answering, what the room sees,
moderation, ending into the round, the rate limit, and the projector's query count."""

from __future__ import annotations

import datetime
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from reports.models import Release
from reports.releases import release_publish
from surveys.diagnostics import diagnostic_close
from surveys.models import Rating, Response
from surveys.progress import diagnostic_progress, workshop_response_count
from workshops import rules
from workshops.models import Comment, Participant, Workshop

from .factories import make_diagnostic, make_place, make_system, make_user

K = 3


@pytest.fixture
def room(framework):
    facilitator = make_user("facilitator")
    place = make_place("Northbridge", facilitators=[facilitator])
    system = make_system(place, "Homelessness")
    diagnostic = make_diagnostic(place, framework, systems=[system], min_group_size=K)
    client = Client()
    client.force_login(facilitator)
    response = client.post(
        reverse("workshops:list", args=[diagnostic.slug]),
        {"system": system.pk, "title": "Partnership board"},
    )
    assert response.status_code == 302
    workshop = Workshop.objects.get(diagnostic=diagnostic)
    assert response["Location"] == reverse("workshops:control", args=[workshop.public_id])
    return {
        "facilitator": client,
        "user": facilitator,
        "diagnostic": diagnostic,
        "system": system,
        "workshop": workshop,
    }


def join(workshop: Workshop, sector: str = "public", role: str = "manager") -> Client:
    phone = Client()
    response = phone.post(
        reverse("workshops:join"),
        {"code": workshop.join_code.lower(), "sector": sector, "role": role},
    )
    assert response.status_code == 302, response.content[:500]
    assert response["Location"] == reverse("workshops:answer", args=[workshop.public_id])
    return phone


def move(room, direction: str = "next") -> None:
    response = room["facilitator"].post(
        reverse("workshops:move", args=[room["workshop"].public_id]), {"move": direction}
    )
    assert response.status_code == 302


def answer(phone: Client, workshop: Workshop, code: str, value: str, comment: str = ""):
    return phone.post(
        reverse("workshops:answer", args=[workshop.public_id]),
        {"code": code, "answer": value, "comment": comment},
    )


def room_json(room) -> dict:
    response = room["facilitator"].get(reverse("workshops:room", args=[room["workshop"].public_id]))
    assert response.status_code == 200
    return response.json()


def reveal(room) -> None:
    room["facilitator"].post(
        reverse("workshops:results", args=[room["workshop"].public_id]), {"held": "0"}
    )


def test_the_join_code_is_short_unambiguous_and_fresh(room):
    code = room["workshop"].join_code
    assert len(code) == rules.JOIN_CODE_LENGTH
    assert set(code) <= set(rules.JOIN_CODE_ALPHABET)
    assert not set("01IO") & set(rules.JOIN_CODE_ALPHABET)
    assert room["workshop"].expires_at > timezone.now()


def test_a_phone_joins_answers_the_current_precondition_and_may_change_it(room):
    workshop = room["workshop"]
    phone = join(workshop, role="prefer_not")
    participant = Participant.objects.get(workshop=workshop)
    assert participant.role == ""  # prefer not to say
    assert participant.response.source == Response.Source.WORKSHOP
    assert participant.response.status == Response.Status.DRAFT
    # Waiting: nothing to answer yet.
    page = phone.get(reverse("workshops:answer", args=[workshop.public_id]))
    assert b"Waiting for the facilitator" in page.content
    move(room)
    page = phone.get(reverse("workshops:answer", args=[workshop.public_id]))
    assert page.status_code == 200
    assert "I don&#x27;t know" in page.content.decode()
    assert answer(phone, workshop, "A", "2").status_code == 302
    assert answer(phone, workshop, "A", "dont_know").status_code == 302
    ratings = Rating.objects.filter(response=participant.response)
    assert [(r.precondition.code, r.score, r.dont_know) for r in ratings] == [("A", None, True)]
    # The facilitator moves on: A can no longer change, B can be answered.
    move(room)
    assert answer(phone, workshop, "A", "5").status_code == 302
    # Refused, and nothing written anywhere (not to B, the one shown, either).
    assert [(r.precondition.code, r.score, r.dont_know) for r in ratings.all()] == [
        ("A", None, True)
    ]
    assert answer(phone, workshop, "B", "4").status_code == 302
    answers = {r.precondition.code: (r.score, r.dont_know) for r in ratings.all()}
    assert answers == {"A": (None, True), "B": (4, False)}
    state = phone.get(reverse("workshops:state", args=[workshop.public_id])).json()
    assert state == {"state": "active", "code": "B"}


def test_the_spread_is_shown_only_once_k_people_have_scored_and_results_are_revealed(room):
    workshop = room["workshop"]
    phones = [join(workshop, sector=s) for s in ("public", "private", "voluntary", "citizen")]
    move(room)
    answer(phones[0], workshop, "A", "dont_know")
    answer(phones[1], workshop, "A", "3")
    answer(phones[2], workshop, "A", "4")
    reveal(room)
    data = room_json(room)
    # Three answered, but only two scores: still fewer than k = 3 scores.
    assert (data["answered"], data["joined"], data["spread"]) == (3, 4, None)
    assert "at least 3 people" in data["why_hidden"]
    # Held back, even once k people have scored.
    room["facilitator"].post(reverse("workshops:results", args=[workshop.public_id]), {"held": "1"})
    answer(phones[3], workshop, "A", "4")
    data = room_json(room)
    assert (data["answered"], data["spread"]) == (4, None)
    assert "holding the results back" in data["why_hidden"]
    reveal(room)
    data = room_json(room)
    assert {b["value"]: b["count"] for b in data["spread"]} == {
        "1": 0,
        "2": 0,
        "3": 1,
        "4": 2,
        "5": 0,
        "dont_know": 1,
    }
    # Never a sector or role anywhere in what the room sees.
    text = json.dumps(data)
    for word in ("public", "private", "voluntary", "citizen", "manager", "sector", "role"):
        assert word not in text
    projector = room["facilitator"].get(reverse("workshops:projector", args=[workshop.public_id]))
    assert "The room's ratings" in projector.content.decode()
    assert workshop.join_code in projector.content.decode()
    assert "<svg" in projector.content.decode()  # the QR code, drawn on the server


def test_a_comment_reaches_the_room_only_once_approved_and_again_after_a_change(room):
    workshop = room["workshop"]
    phone = join(workshop)
    move(room)
    answer(phone, workshop, "A", "3", comment="Housing and health now share one panel.")
    assert room_json(room)["comments"] == []
    control = room["facilitator"].get(reverse("workshops:control", args=[workshop.public_id]))
    assert "Housing and health now share one panel." in control.content.decode()
    comment = Comment.objects.get(workshop=workshop)
    room["facilitator"].post(
        reverse("workshops:comment", args=[workshop.public_id, comment.pk]), {"approve": "1"}
    )
    assert room_json(room)["comments"] == ["Housing and health now share one panel."]
    answer(phone, workshop, "A", "3", comment="Edited: the panel meets monthly.")
    assert room_json(room)["comments"] == []
    # A comment of another workshop cannot be moderated from this one.
    other = rules.workshop_start(
        diagnostic=room["diagnostic"], system=room["system"], actor=room["user"]
    )
    response = room["facilitator"].post(
        reverse("workshops:comment", args=[other.public_id, comment.pk]), {"approve": "1"}
    )
    assert response.status_code == 404


def test_ending_submits_the_answers_into_the_round_and_expires_the_code(room):
    workshop = room["workshop"]
    phones = [join(workshop, sector="public"), join(workshop, sector="private")]
    idle = join(workshop, sector="citizen")
    move(room)
    answer(phones[0], workshop, "A", "3")
    answer(phones[1], workshop, "A", "5")
    assert workshop_response_count(room["diagnostic"]) == 0  # drafts until the end
    end_url = reverse("workshops:end", args=[workshop.public_id])
    assert room["facilitator"].get(end_url).status_code == 200
    assert room["facilitator"].post(end_url).status_code == 302
    workshop.refresh_from_db()
    assert workshop.state == Workshop.State.ENDED and workshop.submitted_count == 2
    responses = Response.objects.filter(diagnostic=room["diagnostic"])
    assert sorted(responses.values_list("sector", "status", "source")) == [
        ("private", "submitted", "workshop"),
        ("public", "submitted", "workshop"),
    ]
    assert workshop_response_count(room["diagnostic"]) == 2
    progress = diagnostic_progress(room["diagnostic"])
    assert progress.total.workshop == 2
    assert {row.label: row.workshop for row in progress.by_system} == {"Homelessness": 2}
    # Phones can no longer answer; the code opens nothing.
    assert answer(phones[0], workshop, "A", "1").status_code == 302
    assert Rating.objects.get(response__sector="public").score == 3
    assert b"has ended" in idle.get(reverse("workshops:answer", args=[workshop.public_id])).content
    response = Client().post(
        reverse("workshops:join"),
        {"code": workshop.join_code, "sector": "public", "role": "manager"},
    )
    assert response.status_code == 400
    assert b"does not open a workshop" in response.content
    # Ending twice changes nothing.
    assert rules.workshop_end(workshop=workshop, actor=None) == 2
    # The facilitator's round page says how many came from workshops.
    url = reverse("surveys:diagnostic_detail", args=[room["diagnostic"].slug])
    detail = room["facilitator"].get(url)
    assert "2 responses came from workshops" in detail.content.decode()


def test_the_report_notes_how_many_responses_came_from_workshops(room):
    workshop = room["workshop"]
    phones = [join(workshop, sector=s) for s in ("public", "private", "voluntary")]
    move(room)
    for phone, value in zip(phones, ("2", "3", "4"), strict=True):
        answer(phone, workshop, "A", value)
    rules.workshop_end(workshop=workshop, actor=None)
    release_publish(diagnostic=room["diagnostic"], kind="interim", actor=room["user"])
    page = room["facilitator"].get(reverse("reports:diagnostic", args=[room["diagnostic"].slug]))
    assert "3 of the responses in these figures came from workshops" in page.content.decode()


def test_the_qr_code_and_short_address_come_from_site_url(room, settings):
    settings.SITE_URL = "https://preconditions.example.org"
    settings.ALLOWED_HOSTS = ["testserver", "other.example"]
    workshop = room["workshop"]
    page = room["facilitator"].get(
        reverse("workshops:projector", args=[workshop.public_id]), HTTP_HOST="other.example"
    )
    text = page.content.decode()
    assert f"preconditions.example.org/w/{workshop.join_code}/" in text
    assert "other.example" not in text


def test_an_expired_code_opens_nothing(room):
    workshop = room["workshop"]
    Workshop.objects.filter(pk=workshop.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert rules.workshop_for_code(workshop.join_code) is None


def test_wrong_codes_are_rate_limited_per_address(room, settings):
    settings.WORKSHOP_JOIN_MISSES_PER_MINUTE = 3
    phone = Client()
    for _ in range(3):
        response = phone.post(
            reverse("workshops:join"), {"code": "ZZZZZZ", "sector": "public", "role": "manager"}
        )
        assert response.status_code == 400
    response = phone.post(
        reverse("workshops:join"),
        {"code": room["workshop"].join_code, "sector": "public", "role": "manager"},
    )
    assert response.status_code == 429
    assert not Participant.objects.exists()


def test_joining_again_from_the_same_phone_keeps_one_participant(room):
    workshop = room["workshop"]
    phone = join(workshop)
    phone.post(
        reverse("workshops:join"),
        {"code": workshop.join_code, "sector": "public", "role": "manager"},
    )
    assert Participant.objects.filter(workshop=workshop).count() == 1


def test_a_phone_reaches_only_its_own_workshop(room):
    workshop = room["workshop"]
    other = rules.workshop_start(
        diagnostic=room["diagnostic"], system=room["system"], actor=room["user"]
    )
    phone = join(workshop)
    for name in ("workshops:answer", "workshops:state"):
        assert phone.get(reverse(name, args=[other.public_id])).status_code == 404
    for name in ("workshops:control", "workshops:projector", "workshops:room", "workshops:end"):
        response = phone.get(reverse(name, args=[workshop.public_id]))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_workshop_needs_an_open_round(room, framework):
    closed = make_diagnostic(
        room["diagnostic"].place, framework, systems=[room["system"]], status="closed"
    )
    response = room["facilitator"].post(
        reverse("workshops:list", args=[closed.slug]), {"system": room["system"].pk}
    )
    assert response.status_code == 200
    assert "only be run while the round is open" in response.content.decode()
    assert not Workshop.objects.filter(diagnostic=closed).exists()


def _room_queries(room) -> int:
    url = reverse("workshops:room", args=[room["workshop"].public_id])
    with CaptureQueriesContext(connection) as context:
        assert room["facilitator"].get(url).status_code == 200
    return len(context.captured_queries)


def test_the_projector_refresh_makes_the_same_number_of_queries_for_any_room(room):
    workshop = room["workshop"]
    move(room)
    reveal(room)
    small = [join(workshop) for _ in range(3)]
    for phone in small:
        answer(phone, workshop, "A", "3", comment="A comment")
    for comment in Comment.objects.all():
        rules.comment_moderate(workshop=workshop, comment_id=comment.pk, approve=True, actor=None)
    assert room_json(room)["spread"] is not None
    few = _room_queries(room)
    for _ in range(30):
        phone = join(workshop, sector="private")
        answer(phone, workshop, "A", "4", comment="Another comment")
    for comment in Comment.objects.all():
        rules.comment_moderate(workshop=workshop, comment_id=comment.pk, approve=True, actor=None)
    many = _room_queries(room)
    assert room_json(room)["answered"] == 33
    assert len(room_json(room)["comments"]) == 33
    assert few == many


def test_closing_the_round_ends_its_workshops_before_the_final_release(room):
    workshop = room["workshop"]
    phones = [join(workshop, sector="public") for _ in range(3)]
    move(room)
    for phone in phones:
        answer(phone, workshop, "A", "4")
    diagnostic_close(diagnostic=room["diagnostic"], actor=room["user"])
    workshop.refresh_from_db()
    assert workshop.state == Workshop.State.ENDED and workshop.submitted_count == 3
    final = Release.objects.get(diagnostic=room["diagnostic"], kind="final")
    assert final.respondents == {room["system"].slug: 3}


HOSTILE = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"]), max_size=400
) | st.sampled_from(["", "A", "B", "3", "dont_know", "public", "prefer_not", "\x00", "‮"])


@hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
    derandomize=True,
)
@given(
    data=st.dictionaries(
        st.sampled_from(["code", "answer", "comment", "sector", "role", "junk"]), HOSTILE
    )
)
def test_no_posted_dictionary_makes_the_join_or_answer_pages_fail(room, data):
    """Hostile text, missing and unknown fields: a page or a redirect, never a 500, and
    nothing stored that breaks the rules."""
    workshop = room["workshop"]
    if workshop.current_precondition_id is None:
        move(room)
        workshop.refresh_from_db()
    phone = join(workshop)
    for url in (reverse("workshops:join"), reverse("workshops:answer", args=[workshop.public_id])):
        response = phone.post(url, data)
        assert response.status_code in (200, 302, 400, 429), (url, response.status_code)
    for rating in Rating.objects.filter(response__source="workshop"):
        assert "\x00" not in rating.evidence and len(rating.evidence) <= rules.COMMENT_MAX_LENGTH
        assert rating.score in (None, 1, 2, 3, 4, 5) and not (rating.score and rating.dont_know)
