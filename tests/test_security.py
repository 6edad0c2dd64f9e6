from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from reports.releases import release_publish
from surveys.invitations import invitation_token
from surveys.models import AuditEvent, Invitation, Rating, Response

from .factories import (
    make_diagnostic,
    make_invitation,
    make_organisation,
    make_place,
    make_response,
    make_system,
    make_user,
)


@pytest.fixture
def diagnostic(framework):
    facilitator = make_user("fran", email="fran@example.org")
    place = make_place("Northbridge", facilitators=[facilitator])
    system = make_system(place, "Homelessness")
    return make_diagnostic(place, framework, systems=[system])


def test_pages_send_the_security_headers(client, diagnostic):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", csp).group(1)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_partner_pages_are_not_cached(client, diagnostic):
    invitation = make_invitation(diagnostic)
    landing = client.get(f"/i/{invitation_token(invitation)}/", follow=True)
    assert "no-store" in landing["Cache-Control"]


@override_settings(ALLOWED_HOSTS=["preconditions.example.org"])
def test_a_spoofed_host_header_is_refused(client, db):
    assert client.get("/", HTTP_HOST="evil.example.com").status_code == 400
    assert client.get("/", HTTP_HOST="preconditions.example.org").status_code == 200


@override_settings(SITE_URL="https://preconditions.example.org")
def test_password_reset_answers_the_same_and_links_to_the_configured_host(client, diagnostic):
    known = client.post(
        reverse("password_reset"), {"email": "fran@example.org"}, HTTP_HOST="localhost"
    )
    unknown = client.post(
        reverse("password_reset"), {"email": "nobody@example.org"}, HTTP_HOST="localhost"
    )
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mail.outbox) == 1
    assert "https://preconditions.example.org/accounts/reset/" in mail.outbox[0].body
    assert "localhost" not in mail.outbox[0].body


def test_repeated_failed_logins_are_throttled(client, diagnostic):
    url = reverse("login")
    for _ in range(4):
        response = client.post(url, {"username": "fran", "password": "wrong"})
        assert response.status_code == 200
    assert client.post(url, {"username": "fran", "password": "wrong"}).status_code == 429
    locked = client.post(url, {"username": "fran", "password": "correct horse battery staple"})
    assert locked.status_code == 429


def test_a_good_login_works(client, diagnostic):
    response = client.post(
        reverse("login"), {"username": "fran", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302


def test_a_partner_cannot_change_their_role_organisation_or_diagnostic_by_posting(
    client, diagnostic, framework
):
    invitation = make_invitation(diagnostic, role="frontline")
    other_place = make_place("Elsewhere")
    other_org = make_organisation(other_place, "private")
    other_diagnostic = make_diagnostic(other_place, framework, systems=[make_system(other_place)])
    system = diagnostic.systems.get()
    client.get(f"/i/{invitation_token(invitation)}/")
    client.post(
        reverse("surveys:partner_step", args=[invitation.public_id, system.slug, "A"]),
        {
            "answer": "3",
            "version": 0,
            "role": "board",
            "is_staff": "on",
            "organisation": other_org.pk,
            "organisation_id": other_org.pk,
            "diagnostic": other_diagnostic.pk,
            "diagnostic_id": other_diagnostic.pk,
            "sector": "private",
            "response": 999,
        },
    )
    response = Response.objects.get()
    assert response.role == "frontline"
    assert response.organisation == invitation.organisation
    assert response.sector == invitation.organisation.sector
    assert response.diagnostic == diagnostic
    invitation.refresh_from_db()
    assert invitation.role == "frontline"
    assert not other_diagnostic.responses.exists()


def test_a_steering_member_cannot_manage_or_promote_themself(client, diagnostic):
    steering = make_user("sam")
    diagnostic.steering_members.add(steering)
    client.force_login(steering)
    for url in (
        reverse("surveys:diagnostic_detail", args=[diagnostic.slug]),
        reverse("surveys:diagnostic_access", args=[diagnostic.slug]),
        reverse("surveys:invitation_list", args=[diagnostic.slug]),
    ):
        assert client.get(url).status_code == 404
    client.post(
        reverse("surveys:diagnostic_access", args=[diagnostic.slug]),
        {"add": "1", "identifier": "sam", "role": "facilitator"},
    )
    client.post(reverse("surveys:place_create"), {"name": "Mine", "is_staff": "on"})
    steering.refresh_from_db()
    assert not steering.is_staff
    assert not steering.facilitated_places.exists()


def test_erasing_personal_data_keeps_anonymised_ratings(client, diagnostic):
    system = diagnostic.systems.get()
    invitation = make_invitation(diagnostic, name="Alex Example", email="alex@example.org")
    token = invitation_token(invitation)
    make_response(
        diagnostic,
        system,
        {"A": 4, "B": None},
        invitation=invitation,
        evidence={"A": "A joint panel"},
    )
    fran = diagnostic.place.facilitators.get()
    client.force_login(fran)
    client.post(reverse("surveys:diagnostic_erase", args=[diagnostic.slug]), {"confirm": "yes"})
    invitation.refresh_from_db()
    assert (invitation.name, invitation.email, invitation.token_hash) == ("", "", None)
    assert Rating.objects.filter(score=4, evidence="A joint panel").exists()
    assert Response.objects.get().invitation is None
    event = AuditEvent.objects.get(action="personal_data_erased")
    assert event.actor == fran
    client.logout()
    assert client.get(f"/i/{token}/").status_code == 404


def test_a_partner_withdrawal_is_audited_without_content(client, diagnostic):
    system = diagnostic.systems.get()
    invitation = make_invitation(diagnostic)
    client.get(f"/i/{invitation_token(invitation)}/")
    client.post(
        reverse("surveys:partner_step", args=[invitation.public_id, system.slug, "A"]),
        {"answer": "3", "evidence": "Secret evidence", "version": 0},
    )
    client.post(
        reverse("surveys:partner_withdraw", args=[invitation.public_id]), {"confirm": "yes"}
    )
    event = AuditEvent.objects.get(action="responses_withdrawn")
    assert "Secret evidence" not in str(event.detail)
    assert not Rating.objects.exists()


def test_the_audit_log_never_holds_tokens_or_evidence(client, diagnostic):
    fran = diagnostic.place.facilitators.get()
    client.force_login(fran)
    invitation = make_invitation(diagnostic)
    client.post(reverse("surveys:invitation_renew", args=[diagnostic.slug, invitation.public_id]))
    invitation = Invitation.objects.get()
    client.post(reverse("surveys:diagnostic_close", args=[diagnostic.slug]))
    page = client.get(reverse("surveys:diagnostic_audit", args=[diagnostic.slug]))
    assert page.status_code == 200
    everything = str(list(AuditEvent.objects.values())) + page.content.decode()
    assert invitation_token(invitation) not in everything
    assert invitation.token_hash not in everything


def test_facilitators_manage_steering_membership(client, diagnostic):
    fran = diagnostic.place.facilitators.get()
    sam = make_user("sam", email="sam@example.org")
    client.force_login(fran)
    url = reverse("surveys:diagnostic_access", args=[diagnostic.slug])
    client.post(url, {"add": "1", "identifier": "SAM@example.org", "role": "steering"})
    assert sam in diagnostic.steering_members.all()
    client.post(url, {"remove": "steering:sam"})
    assert sam not in diagnostic.steering_members.all()
    missing = client.post(url, {"add": "1", "identifier": "nobody", "role": "steering"})
    assert "There is no account" in missing.content.decode()
    assert AuditEvent.objects.filter(action="role_changed").count() == 2


def test_reading_raw_evidence_is_audited_without_the_text(client, diagnostic):
    system = diagnostic.systems.get()
    make_response(diagnostic, system, {"A": 4}, evidence={"A": "The hostel panel works"})
    release_publish(diagnostic=diagnostic, kind="interim", actor=None)
    fran = diagnostic.place.facilitators.get()
    client.force_login(fran)
    url = reverse("reports:evidence", args=[diagnostic.slug])
    assert not AuditEvent.objects.filter(action="evidence_read").exists()
    page = client.get(url, {"system": system.slug})
    assert "The hostel panel works" in page.content.decode()
    # One public-sector manager: a group below k is never named beside an answer.
    assert "Public sector" not in page.content.decode()
    event = AuditEvent.objects.get(action="evidence_read")
    assert event.actor == fran
    assert event.detail == {"system": system.name, "excerpts": 1, "release": "1"}
    assert "hostel" not in str(event.detail)
