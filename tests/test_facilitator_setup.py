"""The facilitator's journey without dead ends (issue 17): systems from the diagnostic
form, bulk add of systems and organisations, a round copied from a previous one,
confirmations with counts, progress that counts imported responses, GOV.UK dates and
the smallest group's floor."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from surveys.importing import import_run, parse_import_file
from surveys.invitations import invitation_token
from surveys.models import AuditEvent, Diagnostic, Invitation, System

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
def empty_place(facilitator):
    return make_place("Northbridge", facilitators=[facilitator])


@pytest.fixture
def signed_in(client, facilitator):
    client.force_login(facilitator)
    return client


def _create_data(**values):
    return {"title": "Round one", "min_group_size": "5", **values}


# --- no dead end before the first system ----------------------------------------------


def test_a_place_without_systems_guides_the_order_of_the_work(signed_in, empty_place):
    content = signed_in.get(reverse("surveys:place_detail", args=[empty_place.slug]))
    text = content.content.decode()
    assert text.index(">Systems</h2>") < text.index(">Organisations</h2>")
    assert text.index(">Organisations</h2>") < text.index(">Diagnostics</h2>")
    assert "Add the systems partners will assess first" in text
    assert 'class="govuk-button" href="/manage/places/' not in text.split(">Diagnostics</h2>")[1]


def test_systems_can_be_added_from_the_diagnostic_form(signed_in, empty_place, framework):
    url = reverse("surveys:diagnostic_create", args=[empty_place.slug])
    page = signed_in.get(url).content.decode()
    assert "This place has no systems yet" in page
    assert 'name="systems"' not in page  # no empty checkbox list
    refused = signed_in.post(url, _create_data())
    assert "Add at least one system, one per line" in refused.content.decode()
    response = signed_in.post(url, _create_data(new_systems="Homelessness\nFamilies\n"))
    assert response.status_code == 302
    diagnostic = Diagnostic.objects.get()
    assert sorted(diagnostic.systems.values_list("name", flat=True)) == [
        "Families",
        "Homelessness",
    ]
    assert System.objects.filter(place=empty_place).count() == 2


def test_a_system_named_again_on_the_form_is_chosen_not_duplicated(
    signed_in, empty_place, framework
):
    make_system(empty_place, "Homelessness")
    url = reverse("surveys:diagnostic_create", args=[empty_place.slug])
    signed_in.post(url, _create_data(new_systems="homelessness\nFamilies"))
    diagnostic = Diagnostic.objects.get()
    assert sorted(diagnostic.systems.values_list("name", flat=True)) == [
        "Families",
        "Homelessness",
    ]
    assert System.objects.filter(place=empty_place).count() == 2


# --- bulk add ------------------------------------------------------------------------


def test_systems_are_added_from_a_pasted_list(signed_in, empty_place):
    make_system(empty_place, "Health")
    url = reverse("surveys:system_bulk", args=[empty_place.slug])
    response = signed_in.post(url, {"names": "Homelessness\n\nFamilies\nhealth\nFamilies\n"})
    assert response.status_code == 302
    assert sorted(empty_place.systems.values_list("name", flat=True)) == [
        "Families",
        "Health",
        "Homelessness",
    ]
    message = signed_in.get(response["Location"]).content.decode()
    assert "Added 2 systems. Already in this place, so not added again: Health." in message


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_organisations_are_added_from_a_pasted_list(signed_in, empty_place, separator):
    text = separator.join(["Northbridge Council", "public"]) + "\n"
    text += separator.join(["Marigold Trust", "VCSE"]) + "\n"
    response = signed_in.post(
        reverse("surveys:organisation_bulk", args=[empty_place.slug]), {"rows": text}
    )
    assert response.status_code == 302
    assert dict(empty_place.organisations.values_list("name", "sector")) == {
        "Northbridge Council": "public",
        "Marigold Trust": "voluntary",
    }


def test_a_list_with_a_problem_adds_nothing_and_names_the_line(signed_in, empty_place):
    make_organisation(empty_place, "public", "Northbridge Council")
    response = signed_in.post(
        reverse("surveys:organisation_bulk", args=[empty_place.slug]),
        {"rows": "Marigold Trust, voluntary\nRiver Co, nowhere\nNorthbridge Council, private\n"},
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in content
    assert "Line 2: &#x27;nowhere&#x27; is not a sector" in content
    assert "Line 3: Northbridge Council is already recorded as Public sector." in content
    assert empty_place.organisations.count() == 1


# --- a new round from a previous one -------------------------------------------------


def test_a_new_round_copies_the_set_up_of_a_previous_one(signed_in, facilitator, framework):
    place = make_place("Northbridge", facilitators=[facilitator])
    housing, families, health = (make_system(place, n) for n in ("Housing", "Families", "Health"))
    previous = make_diagnostic(
        place,
        framework,
        systems=[housing, families],
        status="closed",
        min_group_size=7,
        attribution="attributed",
        confidentiality="ratings_only",
    )
    make_invitation(previous, name="Pat", email="pat@example.org", systems=[housing])
    make_invitation(previous, name="Sam", systems=[families])
    gone = make_invitation(previous, name="Gone")
    gone.revoked_at = timezone.now()
    gone.save()
    url = reverse("surveys:diagnostic_create", args=[place.slug])
    page = signed_in.get(url, {"copy": previous.slug}).content.decode()
    assert "Invite the same 2 partners again" in page
    assert re.search(rf'<input[^>]*value="{housing.pk}"[^>]*checked', page)
    assert re.search(r'<input[^>]*value="attributed"[^>]*checked', page)
    assert re.search(r'name="min_group_size" value="7"', page)

    response = signed_in.post(
        url,
        _create_data(
            title="Round two",
            systems=[housing.pk, health.pk],
            attribution="attributed",
            confidentiality="ratings_only",
            min_group_size="7",
            copy_from=previous.slug,
            copy_invitations="on",
        ),
    )
    assert response.status_code == 302
    new = Diagnostic.objects.get(title="Round two")
    copied = list(new.invitations.all())
    assert [(i.name, i.email) for i in copied] == [("Pat", "pat@example.org")]
    assert list(copied[0].systems.all()) == [housing]
    assert copied[0].sent_at is None
    assert copied[0].token_hash != previous.invitations.get(name="Pat").token_hash
    message = signed_in.get(response["Location"]).content.decode()
    assert "Invited 1 partner again (1 not: none of their systems is in this round)." in message
    assert AuditEvent.objects.get(diagnostic=new, action="invited").detail == {
        "count": 1,
        "copied_from": previous.slug,
    }


def test_a_round_of_another_place_cannot_be_copied(signed_in, facilitator, framework):
    place = make_place("Northbridge", facilitators=[facilitator])
    system = make_system(place, "Housing")
    other = make_diagnostic(make_place("Elsewhere"), framework)
    make_invitation(other, name="Not yours")
    response = signed_in.post(
        reverse("surveys:diagnostic_create", args=[place.slug]),
        _create_data(systems=[system.pk], copy_from=other.slug, copy_invitations="on"),
    )
    assert response.status_code == 200
    assert "Choose a round of this place to copy" in response.content.decode()
    assert not Invitation.objects.filter(name="Not yours").exclude(diagnostic=other).exists()


# --- confirmations with counts ---------------------------------------------------------


@pytest.fixture
def round_with_partners(facilitator, framework):
    place = make_place("Northbridge", facilitators=[facilitator])
    system = make_system(place, "Housing")
    diagnostic = make_diagnostic(place, framework, systems=[system], status="open")
    submitted = make_invitation(diagnostic, name="Sub")
    make_response(diagnostic, system, {"A": 3}, invitation=submitted)
    for name in ("Draft one", "Draft two"):
        invitation = make_invitation(diagnostic, name=name)
        make_response(diagnostic, system, {"A": 2}, invitation=invitation, submitted=False)
    make_invitation(diagnostic, name="Not started")
    return diagnostic


def test_closing_says_how_many_partners_have_answers_in_progress(signed_in, round_with_partners):
    diagnostic = round_with_partners
    url = reverse("surveys:diagnostic_close", args=[diagnostic.slug])
    detail = signed_in.get(diagnostic.get_absolute_url()).content.decode()
    assert f'href="{url}"' in detail  # the button leads to the confirmation, not the action
    page = signed_in.get(url).content.decode()
    assert "1 partner has submitted" in page
    assert "2 partners have answers in progress" in page
    assert "1 invited partner has not started" in page
    diagnostic.refresh_from_db()
    assert diagnostic.status == "open"  # asking changes nothing
    assert signed_in.post(url).status_code == 302
    diagnostic.refresh_from_db()
    assert diagnostic.status == "closed"


def test_opening_says_who_can_answer_and_that_the_terms_become_a_promise(
    signed_in, round_with_partners
):
    diagnostic = round_with_partners
    Diagnostic.objects.filter(pk=diagnostic.pk).update(status="draft")
    Invitation.objects.filter(diagnostic=diagnostic, name="Sub").update(sent_at=timezone.now())
    page = signed_in.get(reverse("surveys:diagnostic_open", args=[diagnostic.slug]))
    text = page.content.decode()
    assert "4 invitations, 1 of them e-mailed. Opening sends nothing." in text
    assert "can only be made stricter" in text
    assert Diagnostic.objects.get(pk=diagnostic.pk).status == "draft"


def test_making_a_new_link_is_confirmed_first(signed_in, round_with_partners, client):
    diagnostic = round_with_partners
    invitation = diagnostic.invitations.get(name="Draft one")
    token = invitation_token(invitation)
    url = reverse("surveys:invitation_renew", args=[diagnostic.slug, invitation.public_id])
    page = signed_in.get(url).content.decode()
    assert "The current link stops working at once" in page
    assert "Their answers (1 system started) are kept" in page
    invitation.refresh_from_db()
    assert invitation_token(invitation) == token  # asking changes nothing
    assert signed_in.post(url).status_code == 302
    invitation.refresh_from_db()
    assert invitation_token(invitation) != token


# --- progress counts imported responses ----------------------------------------------


def test_progress_counts_imported_responses_by_sector(signed_in, facilitator, framework):
    place = make_place("Northbridge", facilitators=[facilitator])
    make_system(place, "Homelessness")
    diagnostic = make_diagnostic(place, framework, systems=place.systems.all())
    make_invitation(diagnostic, organisation=make_organisation(place, "public"))
    rows = (
        "".join(f"R{n},Shelter,VCSE,frontline,Homelessness,A,3,\n" for n in range(2))
        + "R9,Council,public,manager,Homelessness,A,4,\n"
    )
    _plan, result = import_run(
        rows=parse_import_file(
            "f.csv",
            (
                "respondent,organisation,sector,role,system,precondition,rating,evidence\n" + rows
            ).encode(),
        ),
        diagnostic=diagnostic,
        actor=facilitator,
        filename="f.csv",
        allow_new_systems=False,
    )
    assert result is not None
    text = signed_in.get(diagnostic.get_absolute_url()).content.decode()
    assert "3 responses were imported from offline files." in text
    warning = re.search(r"No one has submitted yet from: ([^.]*)\.", text)
    assert warning is not None
    assert "VCSE" not in warning[1] and "Public sector" not in warning[1]
    assert "Private sector" in warning[1]


# --- small things --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opens_on", "closes_on", "shown"),
    [
        (None, "2026-12-31", "Closes 31 December 2026"),
        ("2026-11-01", "2026-12-31", "Opens 1 November 2026, closes 31 December 2026"),
        ("2026-11-01", None, "Opens 1 November 2026<"),
        (None, None, "Not set"),
    ],
)
def test_the_dates_read_as_one_phrase(
    signed_in, facilitator, framework, opens_on, closes_on, shown
):
    place = make_place("Northbridge", facilitators=[facilitator])
    diagnostic = make_diagnostic(place, framework, opens_on=opens_on, closes_on=closes_on)
    text = signed_in.get(diagnostic.get_absolute_url()).content.decode()
    assert shown in text
    assert ">, closes" not in text


def test_dates_are_entered_as_day_month_and_year(signed_in, facilitator, framework):
    place = make_place("Northbridge", facilitators=[facilitator])
    system = make_system(place, "Housing")
    url = reverse("surveys:diagnostic_create", args=[place.slug])
    page = signed_in.get(url).content.decode()
    assert 'class="govuk-date-input"' in page
    for part in ("0", "1", "2"):
        assert f'name="opens_on_{part}"' in page
    refused = signed_in.post(
        url,
        _create_data(
            systems=[system.pk],
            opens_on_0="31",
            opens_on_1="2",
            opens_on_2="2026",
            closes_on_0="1",
        ),
    ).content.decode()
    assert '<a href="#id_opens_on_0" dir="auto">The opening date must be a real date</a>' in refused
    assert '<a href="#id_closes_on_1" dir="auto">The closing date must include a month</a>' in (
        refused
    )
    response = signed_in.post(
        url,
        _create_data(
            systems=[system.pk],
            opens_on_0="1",
            opens_on_1="3",
            opens_on_2="2026",
            closes_on_0="31",
            closes_on_1="3",
            closes_on_2="2026",
        ),
    )
    assert response.status_code == 302
    diagnostic = Diagnostic.objects.get()
    assert (str(diagnostic.opens_on), str(diagnostic.closes_on)) == ("2026-03-01", "2026-03-31")


@pytest.mark.parametrize("value", ["0", "2", "-1"])
def test_the_smallest_group_refuses_fewer_than_three_with_a_clear_error(
    signed_in, facilitator, framework, value
):
    place = make_place("Northbridge", facilitators=[facilitator])
    system = make_system(place, "Housing")
    url = reverse("surveys:diagnostic_create", args=[place.slug])
    page = signed_in.get(url).content.decode()
    field = re.search(r'<input[^>]*name="min_group_size"[^>]*>', page)[0]
    assert 'type="text"' in field and 'inputmode="numeric"' in field and 'min="0"' not in field
    response = signed_in.post(url, _create_data(systems=[system.pk], min_group_size=value))
    assert response.status_code == 200
    assert (
        '<a href="#id_min_group_size" dir="auto">The smallest group must be at least 3 people, '
        "so no one can be identified</a>"
    ) in response.content.decode()
    assert not Diagnostic.objects.exists()
