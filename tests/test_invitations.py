from __future__ import annotations

import hashlib

from surveys.bulk_invitations import invitations_bulk_create, invitations_bulk_plan
from surveys.invitations import (
    invitation_from_token,
    invitation_invite,
    invitation_link,
    invitation_renew_link,
    invitation_token,
)
from surveys.models import AuditEvent, Invitation, Organisation

from .factories import make_diagnostic, make_invitation, make_place, make_system, make_user


def _diagnostic(framework):
    place = make_place("Northbridge")
    systems = [make_system(place, "Homelessness"), make_system(place, "Families")]
    return make_diagnostic(place, framework, systems=systems)


def test_the_token_is_unguessable_and_only_its_hash_is_stored(framework):
    invitation = make_invitation(_diagnostic(framework))
    token = invitation_token(invitation)
    assert len(token) >= 43  # 256 bits in URL-safe base64
    stored = Invitation.objects.values().get(pk=invitation.pk)
    assert token not in str(stored)
    assert stored["token_hash"] == hashlib.sha256(token.encode()).hexdigest()


def test_a_token_finds_its_invitation_and_a_wrong_one_finds_nothing(framework):
    invitation = make_invitation(_diagnostic(framework))
    assert invitation_from_token(invitation_token(invitation)) == invitation
    assert invitation_from_token(invitation_token(invitation)[:-1] + "x") is None
    assert invitation_from_token("") is None
    assert invitation_from_token("a" * 5000) is None


def test_renewing_the_link_makes_the_old_one_stop_working(framework):
    invitation = make_invitation(_diagnostic(framework))
    old = invitation_token(invitation)
    invitation_renew_link(invitation=invitation, actor=None)
    assert invitation_from_token(old) is None
    assert invitation_from_token(invitation_token(invitation)) == invitation
    assert AuditEvent.objects.filter(action="link_renewed").count() == 1


def test_links_are_built_from_the_configured_site_url(framework, settings):
    settings.SITE_URL = "https://preconditions.example.org"
    invitation = make_invitation(_diagnostic(framework))
    assert invitation_link(invitation).startswith("https://preconditions.example.org/i/")


def test_bulk_plan_reports_every_problem_with_its_line(framework):
    diagnostic = _diagnostic(framework)
    rows = [
        {
            "name": "A",
            "email": "a@example.org",
            "organisation": "Council",
            "sector": "Public",
            "role": "manager",
            "systems": "Homelessness; Families",
        },
        {
            "name": "B",
            "email": "not-an-email",
            "organisation": "Shelter",
            "sector": "Goverment",
            "role": "boss",
            "systems": "Transport",
        },
    ]
    plan = invitations_bulk_plan(diagnostic=diagnostic, rows=rows)
    assert len(plan.to_create) == 1
    assert len(plan.errors) == 1
    error = plan.errors[0]
    assert error.startswith("Line 3:")
    for fragment in (
        "'Goverment' is not a sector",
        "'boss' is not a role",
        "'not-an-email' is not an email",
        "'Transport' is not a system",
    ):
        assert fragment in error


def test_bulk_create_accepts_labels_and_creates_new_organisations(framework):
    diagnostic = _diagnostic(framework)
    rows = [
        {
            "name": "A",
            "email": "",
            "organisation": "Northbridge Shelter",
            "sector": "VCSE",
            "role": "Service user",
            "systems": "homelessness",
        },
        {
            "name": "B",
            "email": "",
            "organisation": "northbridge shelter",
            "sector": "voluntary & community",
            "role": "frontline",
            "systems": "Families",
        },
    ]
    plan = invitations_bulk_plan(diagnostic=diagnostic, rows=rows)
    assert plan.errors == []
    created = invitations_bulk_create(diagnostic=diagnostic, plan=plan, actor=make_user())
    assert len(created) == 2
    assert Organisation.objects.filter(place=diagnostic.place).count() == 1
    assert Organisation.objects.get().sector == "voluntary"
    assert created[0].role == "service_user"
    assert AuditEvent.objects.filter(action="invited", detail__count=2).exists()


def test_inviting_one_partner_is_audited_with_the_invitation(framework):
    diagnostic = _diagnostic(framework)
    facilitator = make_user()
    organisation = Organisation.objects.create(
        place=diagnostic.place, name="Northbridge Shelter", sector="voluntary"
    )
    invitation = invitation_invite(
        diagnostic=diagnostic,
        actor=facilitator,
        organisation=organisation,
        role="frontline",
        systems=list(diagnostic.systems.all()[:1]),
        name="Sam",
        email="sam@example.org",
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.INVITED)
    assert (event.diagnostic_id, event.place_id, event.actor_id, event.detail) == (
        diagnostic.pk,
        diagnostic.place_id,
        facilitator.pk,
        {"count": 1},
    )
    assert invitation_from_token(invitation_link(invitation).rstrip("/").split("/")[-1]) == (
        invitation
    )
