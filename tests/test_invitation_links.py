"""Links for people without e-mail: the CSV for a mail merge and the printable sheet."""

from __future__ import annotations

import csv
import io

import pytest
from defusedxml import ElementTree
from django.urls import reverse

from surveys.invitations import invitation_link, invitation_renew_link, invitation_revoke
from surveys.models import AuditEvent, Invitation

from .factories import (
    make_diagnostic,
    make_invitation,
    make_organisation,
    make_place,
    make_system,
    make_user,
)


@pytest.fixture
def facilitator(db):
    return make_user("fran")


@pytest.fixture
def diagnostic(framework, facilitator):
    place = make_place("Northbridge", facilitators=[facilitator])
    return make_diagnostic(place, framework, systems=[make_system(place, "Homelessness")])


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_csv_has_a_row_per_working_link_for_a_mail_merge(client, facilitator, diagnostic):
    council = make_organisation(diagnostic.place, "public", "Northbridge Council")
    kept = make_invitation(diagnostic, organisation=council, name="Ann", email="", role="frontline")
    revoked = make_invitation(diagnostic, organisation=council, name="Bo", email="")
    invitation_revoke(invitation=revoked, actor=facilitator)
    client.force_login(facilitator)

    response = client.get(reverse("surveys:invitation_links_csv", args=[diagnostic.slug]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    rows = _csv(response)
    assert rows == [
        ["organisation", "name", "sector", "role", "link"],
        [
            "Northbridge Council",
            "Ann",
            "Public sector",
            kept.get_role_display(),
            invitation_link(kept),
        ],
    ]


def test_the_csv_is_safe_against_formulas(client, facilitator, diagnostic):
    make_invitation(diagnostic, name='=HYPERLINK("http://evil")', email="")
    client.force_login(facilitator)
    rows = _csv(client.get(reverse("surveys:invitation_links_csv", args=[diagnostic.slug])))
    assert rows[1][1] == '\'=HYPERLINK("http://evil")'


def test_the_csv_follows_the_lists_search(client, facilitator, diagnostic):
    make_invitation(diagnostic, name="Ann", email="")
    make_invitation(diagnostic, name="Bo", email="")
    client.force_login(facilitator)
    url = reverse("surveys:invitation_links_csv", args=[diagnostic.slug])
    rows = _csv(client.get(url, {"q": "Bo"}))
    assert [row[1] for row in rows[1:]] == ["Bo"]


def test_downloading_and_printing_links_is_audited(client, facilitator, diagnostic):
    make_invitation(diagnostic, email="")
    make_invitation(diagnostic, email="")
    client.force_login(facilitator)
    b"".join(client.get(reverse("surveys:invitation_links_csv", args=[diagnostic.slug])))
    client.get(reverse("surveys:invitation_links_sheet", args=[diagnostic.slug]))
    events = AuditEvent.objects.filter(
        diagnostic=diagnostic, action=AuditEvent.Action.LINKS_EXPORTED
    ).order_by("created_at")
    assert [(e.actor, e.detail) for e in events] == [
        (facilitator, {"format": "csv", "count": 2}),
        (facilitator, {"format": "sheet", "count": 2}),
    ]
    # The audit never holds the secret itself.
    assert "/i/" not in str([e.detail for e in events])


@pytest.mark.parametrize("view", ["surveys:invitation_links_csv", "surveys:invitation_links_sheet"])
def test_only_the_rounds_facilitators_get_the_links(client, diagnostic, view):
    make_invitation(diagnostic, email="")
    steering = make_user("stella")
    diagnostic.steering_members.add(steering)
    url = reverse(view, args=[diagnostic.slug])
    assert client.get(url).status_code == 302  # to sign in
    client.force_login(steering)
    assert client.get(url).status_code == 404
    client.force_login(make_user("other-facilitator"))
    assert client.get(url).status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.LINKS_EXPORTED).exists()


def test_the_sheet_shows_each_current_link_with_its_qr_code(client, facilitator, diagnostic):
    invitation = make_invitation(diagnostic, name="Ann", email="")
    invitation_renew_link(invitation=invitation, actor=facilitator)
    invitation.refresh_from_db()
    client.force_login(facilitator)

    response = client.get(reverse("surveys:invitation_links_sheet", args=[diagnostic.slug]))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    content = response.content.decode()
    assert invitation_link(invitation) in content
    svg = content[content.index("<svg") : content.index("</svg>") + len("</svg>")]
    ElementTree.fromstring(svg)  # well-formed SVG, drawn here (no external image)
    assert "href" not in svg and "<image" not in svg
    # Showing the sheet renews nothing: the link partners hold keeps working.
    generation = invitation.token_generation
    invitation.refresh_from_db()
    assert invitation.token_generation == generation


def test_the_sheet_is_paginated_in_constant_queries(
    client, facilitator, diagnostic, django_assert_num_queries
):
    organisation = make_organisation(diagnostic.place)
    for n in range(55):
        make_invitation(diagnostic, organisation=organisation, name=f"P{n:02}", email="")
    client.force_login(facilitator)
    url = reverse("surveys:invitation_links_sheet", args=[diagnostic.slug])
    client.get(url)
    with django_assert_num_queries(7) as first:
        response = client.get(url)
    assert len(response.context["links"]) == 50
    for n in range(55, 110):
        make_invitation(diagnostic, organisation=organisation, name=f"P{n:03}", email="")
    with django_assert_num_queries(len(first.captured_queries)):
        response = client.get(url, {"page": 3})
    assert len(response.context["links"]) == 10
    assert Invitation.objects.filter(diagnostic=diagnostic).count() == 110


def test_the_sheet_can_hold_only_the_people_without_an_address(client, facilitator, diagnostic):
    without = make_invitation(diagnostic, name="Ann", email="")
    with_address = make_invitation(diagnostic, name="Bo", email="bo@example.org")
    client.force_login(facilitator)
    url = reverse("surveys:invitation_links_sheet", args=[diagnostic.slug])
    content = client.get(url, {"status": "no_email"}).content.decode()
    assert invitation_link(without) in content
    assert invitation_link(with_address) not in content
