from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from surveys.invitations import invitation_token
from surveys.models import AuditEvent, Diagnostic, Invitation, Organisation, Place, System

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
def facilitator(db):
    user = make_user("fran")
    user.user_permissions.add(Permission.objects.get(codename="add_place"))
    return user


@pytest.fixture
def place(facilitator):
    place = make_place("Northbridge", facilitators=[facilitator])
    make_system(place, "Homelessness")
    make_system(place, "Families")
    return place


def test_a_facilitator_sets_up_a_place_and_a_diagnostic(client, facilitator, framework):
    client.force_login(facilitator)
    response = client.post(reverse("surveys:place_create"), {"name": "Northbridge"})
    place = Place.objects.get()
    assert response["Location"] == place.get_absolute_url()
    assert facilitator in place.facilitators.all()
    client.post(reverse("surveys:system_create", args=[place.slug]), {"name": "Homelessness"})
    housing = System.objects.get()
    client.post(
        reverse("surveys:system_create", args=[place.slug]),
        {"name": "Rough sleeping", "parent": housing.pk},
    )
    assert System.objects.get(name="Rough sleeping").parent == housing
    client.post(
        reverse("surveys:organisation_create", args=[place.slug]),
        {"name": "Northbridge Police", "sector": "public"},
    )
    assert Organisation.objects.get().sector == "public"
    response = client.post(
        reverse("surveys:diagnostic_create", args=[place.slug]),
        {
            "title": "Round one",
            "systems": [housing.pk],
            "confidentiality": "unattributed",
            "min_group_size": 5,
        },
    )
    diagnostic = Diagnostic.objects.get()
    assert response["Location"] == diagnostic.get_absolute_url()
    assert diagnostic.status == "draft"
    assert list(diagnostic.systems.all()) == [housing]
    assert diagnostic.slug.startswith("round-one-")


def test_form_errors_are_shown_in_a_summary_linked_to_the_first_input(client, facilitator, place):
    client.force_login(facilitator)
    response = client.post(
        reverse("surveys:diagnostic_create", args=[place.slug]),
        {"title": "", "confidentiality": "unattributed", "min_group_size": 2},
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "govuk-error-summary" in content
    assert 'href="#id_systems"' in content
    assert 'id="id_systems"' in content  # the first checkbox carries the field's id
    assert "at least 3 people" in content
    assert " required" not in content.split("<form", 1)[1].split("</form>")[0]


def test_changing_the_minimum_group_size_is_audited(client, facilitator, place, framework):
    diagnostic = make_diagnostic(place, framework, systems=place.systems.all())
    client.force_login(facilitator)
    client.post(
        reverse("surveys:diagnostic_edit", args=[diagnostic.slug]),
        {
            "title": diagnostic.title,
            "systems": [s.pk for s in place.systems.all()],
            "confidentiality": "unattributed",
            "min_group_size": 7,
        },
    )
    event = AuditEvent.objects.get(action="min_group_size_changed")
    assert event.detail == {"from": 5, "to": 7}
    assert event.actor == facilitator


def test_opening_and_closing_a_round(client, facilitator, place, framework):
    diagnostic = make_diagnostic(place, framework, systems=place.systems.all(), status="draft")
    client.force_login(facilitator)
    client.post(reverse("surveys:diagnostic_open", args=[diagnostic.slug]))
    diagnostic.refresh_from_db()
    assert diagnostic.status == "open" and diagnostic.opened_at
    client.post(reverse("surveys:diagnostic_close", args=[diagnostic.slug]))
    diagnostic.refresh_from_db()
    assert diagnostic.status == "closed"
    assert list(
        AuditEvent.objects.filter(diagnostic=diagnostic).values_list("action", flat=True)
    ) == ["released", "closed", "opened"]  # closing makes the final release
    # A GET only asks for confirmation (tests/test_facilitator_setup.py): nothing changes.
    assert client.get(reverse("surveys:diagnostic_open", args=[diagnostic.slug])).status_code == 200
    diagnostic.refresh_from_db()
    assert diagnostic.status == "closed"


def _pending_id(response) -> str:
    return response.context["pending"].public_id


def test_bulk_invitations_from_a_pasted_list_are_checked_then_created(
    client, facilitator, place, framework
):
    diagnostic = make_diagnostic(place, framework, systems=place.systems.all())
    client.force_login(facilitator)
    url = reverse("surveys:invitation_bulk", args=[diagnostic.slug])
    text = (
        "name,email,organisation,sector,role,systems\n"
        "Ann,ann@example.org,Northbridge Police,public,senior,Homelessness\n"
        "Bo,bo@example.org,Food Bank,VCSE,frontline,Homelessness;Families\n"
    )
    preview = client.post(url, {"rows": text})
    assert "Ready to create 2 invitations" in preview.content.decode()
    assert not Invitation.objects.exists()
    done = client.post(url, {"pending": _pending_id(preview), "send": "yes"})
    # Sending goes through the page that previews the e-mail; nothing is sent yet.
    assert done["Location"] == reverse("outbox:send", args=[diagnostic.slug])
    assert Invitation.objects.count() == 2
    assert len(mail.outbox) == 0
    assert Invitation.objects.get(name="Bo").systems.count() == 2


def test_confirming_a_bulk_list_twice_creates_it_once(client, facilitator, place, framework):
    diagnostic = make_diagnostic(place, framework, systems=place.systems.all())
    client.force_login(facilitator)
    url = reverse("surveys:invitation_bulk", args=[diagnostic.slug])
    text = (
        "name,email,organisation,sector,role,systems\n"
        "Ann,ann@example.org,Police,public,senior,Homelessness\n"
    )
    preview = client.post(url, {"rows": text})
    pending = _pending_id(preview)
    client.post(url, {"pending": pending})
    again = client.post(url, {"pending": pending}, follow=True)  # a reload of the POST
    assert Invitation.objects.count() == 1
    assert "nothing more was created" in again.content.decode()
    # The same list checked again: everyone is a duplicate, nothing can be created.
    second = client.post(url, {"rows": text})
    assert second.context["pending"] is None
    assert "already invited for Homelessness" in second.content.decode()


def test_bulk_invitations_from_a_csv_file(client, facilitator, place, framework):
    diagnostic = make_diagnostic(place, framework, systems=place.systems.all())
    client.force_login(facilitator)
    url = reverse("surveys:invitation_bulk", args=[diagnostic.slug])
    upload = SimpleUploadedFile(
        "people.csv",
        "\ufeffname,email,organisation,sector,role,systems\n"
        "Cy,,Residents Panel,Service user,service user,Families\n".encode(),
        content_type="text/csv",
    )
    preview = client.post(url, {"file": upload})
    content = preview.content.decode()
    assert "Ready to create 1 invitation" in content
    # The checked list is kept on the server, so the upload is not needed again.
    client.post(url, {"pending": _pending_id(preview)})
    assert Invitation.objects.get().organisation.sector == "citizen"


def test_bulk_invitations_with_errors_create_nothing(client, facilitator, place, framework):
    diagnostic = make_diagnostic(place, framework, systems=place.systems.all())
    client.force_login(facilitator)
    response = client.post(
        reverse("surveys:invitation_bulk", args=[diagnostic.slug]),
        {"rows": "name,email,organisation,sector,role,systems\nAnn,,Police,cops,senior,Nope\n"},
    )
    content = response.content.decode()
    assert "Line 2:" in content and "&#x27;cops&#x27; is not a sector" in content
    assert response.context["pending"] is None
    assert not Invitation.objects.exists()


def test_revoking_an_invitation_stops_its_link(client, facilitator, place, framework):
    diagnostic = make_diagnostic(place, framework, systems=place.systems.all())
    invitation = make_invitation(diagnostic)
    client.force_login(facilitator)
    client.post(reverse("surveys:invitation_revoke", args=[diagnostic.slug, invitation.public_id]))
    client.logout()
    assert client.get(f"/i/{invitation_token(invitation)}/").status_code == 410


def test_the_invitation_page_shows_its_link_to_copy(client, facilitator, place, framework):
    diagnostic = make_diagnostic(place, framework, systems=place.systems.all())
    invitation = make_invitation(diagnostic)
    client.force_login(facilitator)
    page = client.get(
        reverse("surveys:invitation_detail", args=[diagnostic.slug, invitation.public_id])
    )
    assert invitation_token(invitation) in page.content.decode()


def test_another_places_facilitator_sees_nothing(client, place, framework):
    diagnostic = make_diagnostic(place, framework, systems=place.systems.all())
    invitation = make_invitation(diagnostic)
    outsider = make_user("other")
    make_place("Elsewhere", facilitators=[outsider])
    client.force_login(outsider)
    for url in (
        reverse("surveys:place_detail", args=[place.slug]),
        reverse("surveys:diagnostic_detail", args=[diagnostic.slug]),
        reverse("surveys:invitation_list", args=[diagnostic.slug]),
        reverse("surveys:invitation_detail", args=[diagnostic.slug, invitation.public_id]),
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(reverse("surveys:diagnostic_close", args=[diagnostic.slug])).status_code == 404
    )


def test_the_progress_dashboard_counts_by_system_sector_and_organisation(
    client, facilitator, place, framework
):
    homelessness, families = place.systems.order_by("name").reverse()
    diagnostic = make_diagnostic(place, framework, systems=[homelessness, families])
    police = make_organisation(place, "public", "Police")
    invitation = make_invitation(diagnostic, organisation=police, systems=[homelessness])
    make_response(diagnostic, homelessness, {"A": 3}, invitation=invitation, organisation=police)
    make_invitation(diagnostic, organisation=make_organisation(place, "voluntary", "Shelter"))
    client.force_login(facilitator)
    content = client.get(diagnostic.get_absolute_url()).content.decode()
    assert "1 of 2 invited partners have submitted (50%)" in content
    assert "No one has submitted yet from: Private sector, Voluntary and community" in content


def _dashboard_queries(client, facilitator, framework, size: int) -> list[int]:
    place = make_place(facilitators=[facilitator])
    system = make_system(place)
    diagnostic = make_diagnostic(place, framework, systems=[system])
    for i in range(size):
        organisation = make_organisation(place, ["public", "voluntary", "citizen"][i % 3])
        invitation = make_invitation(diagnostic, organisation=organisation)
        if i % 2:
            make_response(
                diagnostic, system, {"A": 3}, invitation=invitation, organisation=organisation
            )
    client.force_login(facilitator)
    counts = []
    for url in (
        diagnostic.get_absolute_url(),
        reverse("surveys:invitation_list", args=[diagnostic.slug]),
    ):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    return counts


def test_the_dashboard_and_invitation_list_use_a_fixed_number_of_queries(
    client, facilitator, framework
):
    assert _dashboard_queries(client, facilitator, framework, 3) == _dashboard_queries(
        client, facilitator, framework, 30
    )


def test_systems_whose_names_make_the_same_slug_get_distinct_slugs(client, facilitator, place):
    client.force_login(facilitator)
    url = reverse("surveys:system_create", args=[place.slug])
    client.post(url, {"name": "Homelessness!"})
    client.post(url, {"name": "Homelessness?"})
    slugs = place.systems.filter(name__in=["Homelessness!", "Homelessness?"]).order_by("pk")
    assert list(slugs.values_list("slug", flat=True)) == ["homelessness", "homelessness-2"]
