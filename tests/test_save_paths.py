"""The partner's save has two paths (surveys.answers.partner_answer_save): the usual one
as one SQL statement, and the full path through the ORM. Over random states of the
invitation, the round and the stored answer, and random submissions, the fast path
followed by the full path gives exactly the outcome and the stored row of the full path
alone: a rule changed in one path and not the other fails here."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys.answers import Answer, PartnerLink, Submission, partner_answer_save
from surveys.models import Diagnostic, Invitation, Rating

from .factories import make_diagnostic, make_invitation, make_place, make_system


@pytest.fixture
def world(framework):
    place = make_place()
    systems = [make_system(place, "Homelessness"), make_system(place, "Families")]
    diagnostic = make_diagnostic(place, framework, systems=systems, status="open")
    invitation = make_invitation(diagnostic, systems=systems)
    return invitation, systems


answers = st.builds(
    Answer,
    score=st.sampled_from([None, 1, 3, 5]),
    dont_know=st.booleans(),
    evidence=st.sampled_from(["", "Seen at the hostel", "Weekly panel", None]),
    indicators_seen=st.lists(st.integers(0, 6), max_size=3, unique=True).map(sorted),
).filter(lambda a: not (a.dont_know and a.score is not None))

# How far the version the page showed is from the stored one (0: the usual save);
# None: no version sent.
version_offsets = st.sampled_from([0, 0, 0, 0, 0, -1, 1, None])

submissions = st.one_of(
    st.tuples(answers, version_offsets).map(
        lambda t: Submission(
            t[0], t[1], {"evidence": ["Too long"]} if t[0].evidence is None else {}
        )
    ),
    st.tuples(st.none(), version_offsets).map(  # no answer can be made of it
        lambda t: Submission(None, t[1], {"answer": ["Select a valid choice."]})
    ),
)

# At most one thing wrong, most often nothing: every refusal is tried often.
FAULTS = [
    "revoked",
    "renewed",  # the session holds the previous link's generation
    "erased",
    "closed",
    "draft",
    "off_invitation",
    "out_of_round",
    "other_invitation",
    "no_such_step",
]
stored_answers = st.fixed_dictionaries(
    {
        "score": st.sampled_from([None, 1, 3]),
        "evidence": st.sampled_from(["", "Seen at the hostel"]),
        "indicators": st.sampled_from([[], [0, 2]]),
        "version": st.integers(1, 3),
    }
)
states = st.fixed_dictionaries(
    {
        "stored": st.sampled_from([True, True, True, False]).flatmap(
            lambda stored: stored_answers if stored else st.none()
        ),
        "fault": st.sampled_from([None, None, *FAULTS]),
        "code": st.sampled_from(["A", "I"]),
    }
)


def _arrange(invitation, systems, state) -> PartnerLink:
    system = systems[0]
    fault = state["fault"]
    link = PartnerLink(invitation.public_id, invitation.token_generation)
    if state["stored"] is not None:
        stored = state["stored"]
        response = invitation.responses.create(
            diagnostic=invitation.diagnostic,
            system=system,
            organisation=invitation.organisation,
            sector=invitation.organisation.sector,
            role=invitation.role,
        )
        Rating.objects.create(
            response=response,
            precondition=invitation.diagnostic.framework.preconditions.get(code=state["code"]),
            score=stored["score"],
            evidence=stored["evidence"],
            indicators_seen=stored["indicators"],
            version=stored["version"],
        )
    invitations = Invitation.objects.filter(pk=invitation.pk)
    if fault == "revoked":
        invitations.update(revoked_at=invitation.created_at)
    elif fault == "renewed":
        invitations.update(token_generation=invitation.token_generation + 1)
    elif fault == "erased":
        invitations.update(token_hash=None)
    elif fault in ("closed", "draft"):
        Diagnostic.objects.filter(pk=invitation.diagnostic_id).update(status=fault)
    elif fault == "off_invitation":
        invitation.systems.remove(system)
    elif fault == "out_of_round":
        invitation.diagnostic.systems.remove(system)
    elif fault == "other_invitation":
        other = make_invitation(invitation.diagnostic, systems=systems)
        link = PartnerLink(other.public_id, other.token_generation)
    return link


def _stored_rows(invitation):
    """Every rating, the partner's own marked as theirs (another invitation's id differs
    between runs)."""
    rows = Rating.objects.order_by(
        "response__invitation_id", "response__system_id", "precondition"
    ).values_list(
        "response__invitation_id",
        "response__system__slug",
        "precondition__code",
        "score",
        "dont_know",
        "evidence",
        "indicators_seen",
        "version",
    )
    return [(row[0] == invitation.pk, *row[1:]) for row in rows]


def _run(invitation, systems, state, submission, *, fast_path: bool):
    """Arrange the state, save, and roll everything back: the outcome and the rows."""
    stored_version = state["stored"]["version"] if state["stored"] else 0
    if submission.expected_version is not None:  # an offset from the stored version
        submission = replace(
            submission, expected_version=max(0, stored_version + submission.expected_version)
        )
    with transaction.atomic():
        link = _arrange(invitation, systems, state)
        outcome = partner_answer_save(
            link=link,
            system_slug=systems[0].slug,
            code="Z" if state["fault"] == "no_such_step" else state["code"],
            submission=submission,
            fast_path=fast_path,
        )
        rows = _stored_rows(invitation)
        seen = (
            outcome.status,
            outcome.version,
            outcome.next_code,
            outcome.errors,
            outcome.stored.version if outcome.stored else None,
        )
        transaction.set_rollback(True)
    return seen, rows


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(state=states, submission=submissions)
def test_the_fast_path_then_the_full_path_equals_the_full_path_alone(world, state, submission):
    invitation, systems = world
    assert _run(invitation, systems, state, submission, fast_path=True) == _run(
        invitation, systems, state, submission, fast_path=False
    )


def test_the_fast_path_does_answer_the_usual_save(world, django_assert_num_queries):
    """The property above would hold, emptily, if the fast path never wrote: the usual
    save is one statement, the full path several."""
    invitation, systems = world
    state = {
        "stored": {"score": 1, "evidence": "", "indicators": [], "version": 1},
        "fault": None,
        "code": "A",
    }
    submission = Submission(Answer(4, False, "New", [0]), expected_version=1)
    link = _arrange(invitation, systems, state)
    with django_assert_num_queries(1):
        outcome = partner_answer_save(
            link=link, system_slug=systems[0].slug, code="A", submission=submission
        )
    assert (outcome.status, outcome.version, outcome.next_code) == ("saved", 2, "B")
    assert Rating.objects.get().score == 4
