"""The invitation list: paginated, searchable, filtered, in constant queries per page."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from surveys.models import Invitation

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
    return make_user("fran")


@pytest.fixture
def diagnostic(framework, facilitator):
    place = make_place("Northbridge", facilitators=[facilitator])
    return make_diagnostic(place, framework, systems=[make_system(place, "Homelessness")])


def _fill(diagnostic, count: int) -> None:
    place = diagnostic.place
    system = diagnostic.systems.get()
    organisations = [make_organisation(place, s) for s in ("public", "voluntary", "citizen")]
    for n in range(count):
        organisation = organisations[n % 3]
        invitation = make_invitation(
            diagnostic, organisation=organisation, name=f"Person {n}", email=f"p{n}@example.org"
        )
        if n % 4 == 0:
            make_response(
                diagnostic, system, {"A": 3}, invitation=invitation, organisation=organisation
            )


@pytest.mark.parametrize("page", ["1", "2"])
def test_the_list_uses_the_same_queries_at_two_sizes(
    client, facilitator, diagnostic, django_assert_num_queries, page
):
    client.force_login(facilitator)
    url = reverse("surveys:invitation_list", args=[diagnostic.slug])
    _fill(diagnostic, 110)
    client.get(url)  # warm the session
    with django_assert_num_queries(7) as small:
        assert client.get(url, {"page": page}).status_code == 200
    _fill(diagnostic, 150)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url, {"page": page})
    assert len(response.context["page"].object_list) == 50


def test_the_list_is_paginated(client, facilitator, diagnostic):
    _fill(diagnostic, 120)
    client.force_login(facilitator)
    url = reverse("surveys:invitation_list", args=[diagnostic.slug])
    content = client.get(url, {"page": 3}).content.decode()
    assert "120 invitations, showing 101 to 120" in content
    assert 'aria-current="page">3<' in content
    assert content.count('class="govuk-link app-user-text"') == 20


def test_search_finds_by_name_email_or_organisation(client, facilitator, diagnostic):
    police = make_organisation(diagnostic.place, "public", "Northbridge Police")
    make_invitation(diagnostic, name="Ann Lee", email="ann@council.example")
    make_invitation(diagnostic, name="Bo", email="bo@example.org", organisation=police)
    make_invitation(diagnostic, name="Cy", email="cy@example.org")
    client.force_login(facilitator)
    url = reverse("surveys:invitation_list", args=[diagnostic.slug])

    def names(**query):
        page = client.get(url, query).context["page"]
        return sorted(i.name for i in page.object_list)

    assert names(q="ann") == ["Ann Lee"]
    assert names(q="COUNCIL.example") == ["Ann Lee"]
    assert names(q="police") == ["Bo"]
    assert names(q="nobody") == []


def test_filters_by_email_status_progress_and_sector(client, facilitator, diagnostic):
    voluntary = make_organisation(diagnostic.place, "voluntary", "Shelter")
    fresh = make_invitation(diagnostic, name="Fresh")
    failed = make_invitation(diagnostic, name="Failed", organisation=voluntary)
    sent = make_invitation(diagnostic, name="Sent")
    Invitation.objects.filter(pk=failed.pk).update(email_status="failed", email_error="550 no")
    Invitation.objects.filter(pk=sent.pk).update(email_status="sent", sent_at=timezone.now())
    make_response(diagnostic, diagnostic.systems.get(), {"A": 3}, invitation=sent)
    client.force_login(facilitator)
    url = reverse("surveys:invitation_list", args=[diagnostic.slug])

    def names(**query):
        return sorted(i.name for i in client.get(url, query).context["page"].object_list)

    assert names(status="not_emailed") == ["Fresh"]
    assert names(status="failed") == ["Failed"]
    assert names(status="emailed") == ["Sent"]
    assert names(status="submitted") == ["Sent"]
    assert names(status="not_started") == ["Failed", "Fresh"]
    assert names(sector="voluntary") == ["Failed"]
    assert "550 no" in client.get(url, {"status": "failed"}).content.decode()
    assert fresh.name in names()
