"""Plain wording for partners: each pre-condition keeps the framework's title and code,
and adds a plain-English question and plain indicators (the standard version; easy read
is another issue). Reading ease is checked with the Flesch formula (tests/readability.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.urls import reverse

from preconditions.models import Precondition
from surveys.invitations import invitation_token

from .factories import make_diagnostic, make_invitation, make_place, make_system
from .readability import flesch_reading_ease, syllables

FIXTURE = Path(__file__).resolve().parent.parent / "preconditions/fixtures/framework.json"
PRECONDITIONS = [
    row["fields"] | {"pk": row["pk"]}
    for row in json.loads(FIXTURE.read_text(encoding="utf-8"))
    if row["model"] == "preconditions.precondition"
]
PLAIN = 60  # "plain English" on the Flesch scale


def test_the_formula_scores_known_texts():
    assert [syllables(w) for w in ("cat", "people", "organisation", "shared", "leadership")] == [
        1,
        2,
        5,
        1,
        3,
    ]
    assert flesch_reading_ease("The cat sat on the mat.") > 100
    # The question partners were asked before, which the issue quotes as too hard.
    hard = "How far is 'Beneficiary impact over organisational focus' in place in this system?"
    assert flesch_reading_ease(hard) < 30
    summary_i = (
        "Public bodies share control and provide a platform on which others deliver and "
        "innovate, moving from bureaucrat to enabling entrepreneur, rather than always "
        "delivering services themselves."
    )
    assert flesch_reading_ease(summary_i) < 30


@pytest.mark.parametrize("row", PRECONDITIONS, ids=lambda row: row["code"])
def test_each_question_is_plain_english(row):
    question = row["question"]
    assert question.count("{system}") == 1
    score = flesch_reading_ease(question.replace("{system}", "this system"))
    assert score >= PLAIN, f"{row['code']}: {question!r} scores {score:.0f}"


@pytest.mark.parametrize("row", PRECONDITIONS, ids=lambda row: row["code"])
def test_each_indicator_is_plain_english_and_in_the_frameworks_order(row):
    # A partner's ticks are stored by position: one plain indicator for each.
    assert len(row["plain_indicators"]) == len(row["indicators"])
    for indicator in row["plain_indicators"]:
        score = flesch_reading_ease(indicator + ".")
        assert score >= PLAIN, f"{row['code']}: {indicator!r} scores {score:.0f}"


def test_codes_ids_and_titles_stay_the_frameworks(framework):
    stored = list(Precondition.objects.order_by("pk").values_list("pk", "code", "title"))
    expected = list(zip(range(1, 10), "ABCDEFGHI", strict=True))
    assert [(pk, code) for pk, code, _ in stored] == expected
    assert stored[0][2] == "Beneficiary impact over organisational focus"


@pytest.fixture
def partner(client, framework):
    place = make_place("Northbridge")
    system = make_system(place, "Homelessness")
    diagnostic = make_diagnostic(place, framework, systems=[system], status="open")
    invitation = make_invitation(diagnostic)
    client.get(reverse("surveys:invitation_start", args=[invitation_token(invitation)]))
    return invitation, system


def test_the_step_asks_the_plain_question_and_lists_the_plain_indicators(client, partner):
    invitation, system = partner
    url = reverse("surveys:partner_step", args=[invitation.public_id, system.slug, "A"])
    content = client.get(url).content.decode()
    a = Precondition.objects.get(code="A")
    before, after = a.question.split("{system}")
    assert before in content and after in content
    assert '<bdi class="app-user-text" dir="auto">Homelessness</bdi>' in content
    for indicator in a.plain_indicators:
        assert indicator in content
    assert "Outcome-based commissioning" not in content
    # The framework's title stays the step's heading.
    assert "Beneficiary impact over organisational focus" in content
