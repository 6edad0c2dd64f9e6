"""A round's confidentiality settings: chosen on its form, only stricter once partners are
told the terms, every change audited; imported names kept only in an attributed round;
a partner's answers beside their name only in an attributed round."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from surveys import confidentiality
from surveys.diagnostics import ConfidentialityLoosenedError, diagnostic_update
from surveys.importing import import_run, parse_import_file
from surveys.models import AuditEvent, Diagnostic, Response

from .factories import (
    make_diagnostic,
    make_invitation,
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
    return place


def _draft(place, framework, **settings) -> Diagnostic:
    defaults = {"attribution": "attributed", "confidentiality": "unattributed"}
    return make_diagnostic(
        place,
        framework,
        systems=place.systems.all(),
        status="draft",
        min_group_size=5,
        **{**defaults, **settings},
    )


def _edit(client, diagnostic, **changes):
    data = {
        "title": diagnostic.title,
        "systems": [s.pk for s in diagnostic.systems.all()],
        "attribution": diagnostic.attribution,
        "confidentiality": diagnostic.confidentiality,
        "min_group_size": diagnostic.min_group_size,
        **changes,
    }
    return client.post(reverse("surveys:diagnostic_edit", args=[diagnostic.slug]), data)


LOOSENINGS = [
    ({"min_group_size": 4}, "min_group_size", "you can raise the smallest group, not lower it"),
    (
        {"confidentiality": "unattributed"},
        "confidentiality",
        "it cannot now be shared with the steering group",
    ),
    ({"attribution": "attributed"}, "attribution", "the round cannot now become attributed"),
]


def _strict(place, framework) -> Diagnostic:
    return _draft(place, framework, attribution="anonymous", confidentiality="ratings_only")


@pytest.mark.parametrize(("change", "field", "message"), LOOSENINGS)
def test_a_loosening_is_refused_once_anyone_has_answered(
    client, facilitator, place, framework, change, field, message
):
    diagnostic = _strict(place, framework)
    make_response(diagnostic, diagnostic.systems.get(), {"A": 3})
    client.force_login(facilitator)
    response = _edit(client, diagnostic, **change)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "govuk-error-summary" in response.content.decode()
    stored = Diagnostic.objects.get(pk=diagnostic.pk)
    assert confidentiality.settings_of(stored) == confidentiality.settings_of(diagnostic)
    assert not AuditEvent.objects.filter(diagnostic=diagnostic).exists()


@pytest.mark.parametrize(("change", "field", "message"), LOOSENINGS)
def test_the_terms_count_as_given_once_the_round_opened_or_a_link_went_out(
    client, facilitator, place, framework, change, field, message
):
    opened = _strict(place, framework)
    Diagnostic.objects.filter(pk=opened.pk).update(opened_at=timezone.now())
    opened.refresh_from_db()
    sent = _strict(place, framework)
    invitation = make_invitation(sent)
    invitation.sent_at = timezone.now()
    invitation.save()
    client.force_login(facilitator)
    for diagnostic in (opened, sent):
        assert confidentiality.terms_given(diagnostic)
        assert message in _edit(client, diagnostic, **change).content.decode()


@pytest.mark.parametrize(("change", "field", "message"), LOOSENINGS)
def test_before_partners_are_told_the_terms_anything_may_change(
    client, facilitator, place, framework, change, field, message
):
    diagnostic = _strict(place, framework)
    make_invitation(diagnostic)  # created, not sent: nobody has read the terms
    client.force_login(facilitator)
    assert _edit(client, diagnostic, **change).status_code == 302
    stored = Diagnostic.objects.get(pk=diagnostic.pk)
    assert getattr(stored, field) == change[field]


def test_a_stricter_change_is_allowed_and_each_setting_is_audited_old_to_new(
    client, facilitator, place, framework
):
    diagnostic = _draft(place, framework)  # attributed, evidence shared, k=5
    make_response(diagnostic, diagnostic.systems.get(), {"A": 3})
    client.force_login(facilitator)
    response = _edit(
        client,
        diagnostic,
        attribution="anonymous",
        confidentiality="ratings_only",
        min_group_size=8,
    )
    assert response.status_code == 302
    stored = Diagnostic.objects.get(pk=diagnostic.pk)
    assert (stored.attribution, stored.confidentiality, stored.min_group_size) == (
        "anonymous",
        "ratings_only",
        8,
    )
    changes = {
        (e.action, tuple(sorted(e.detail.items())))
        for e in AuditEvent.objects.filter(diagnostic=diagnostic).exclude(
            action="diagnostic_edited"
        )
    }
    assert changes == {
        ("min_group_size_changed", (("from", 5), ("to", 8))),
        (
            "confidentiality_changed",
            (("from", "attributed"), ("setting", "attribution"), ("to", "anonymous")),
        ),
        (
            "confidentiality_changed",
            (("from", "unattributed"), ("setting", "confidentiality"), ("to", "ratings_only")),
        ),
    }
    assert all(e.actor == facilitator for e in AuditEvent.objects.filter(diagnostic=diagnostic))


def test_the_service_refuses_a_loosening_that_raced_the_form(facilitator, place, framework):
    """The form checked before the first answer arrived; the save checks again."""
    diagnostic = _strict(place, framework)
    make_response(diagnostic, diagnostic.systems.get(), {"A": 3})
    with pytest.raises(ConfidentialityLoosenedError) as refused:
        diagnostic_update(
            diagnostic=diagnostic,
            form_data={
                "title": "x",
                "systems": list(diagnostic.systems.all()),
                "attribution": "attributed",
                "confidentiality": "ratings_only",
                "min_group_size": 5,
            },
            actor=facilitator,
        )
    assert set(refused.value.problems) == {"attribution"}
    assert Diagnostic.objects.get(pk=diagnostic.pk).attribution == "anonymous"


def test_the_form_explains_each_option_and_defaults_to_anonymous(
    client, facilitator, place, framework
):
    client.force_login(facilitator)
    content = client.get(reverse("surveys:diagnostic_create", args=[place.slug])).content.decode()
    assert "Facilitators see only who has submitted" in content
    assert "follow up as agreed with partners" in content
    assert "never shown in the report" in content
    radio = re.search(r'<input[^>]*value="anonymous"[^>]*>', content).group(0)
    assert "checked" in radio
    response = client.post(
        reverse("surveys:diagnostic_create", args=[place.slug]),
        {"title": "Round", "systems": [place.systems.get().pk], "min_group_size": 5},
    )
    assert response.status_code == 302
    created = Diagnostic.objects.get(title="Round")
    assert created.attribution == "anonymous"
    event = AuditEvent.objects.get(diagnostic=created, action="diagnostic_created")
    assert event.detail == {
        "attribution": "anonymous",
        "confidentiality": "unattributed",
        "min_group_size": 5,
    }


# --- imported names -----------------------------------------------------------------

PAPER = (
    "respondent,organisation,sector,role,system,precondition,rating,evidence\n"
    "Imogen Importwell,Offline Bakery,private,manager,Homelessness,A,4,Seen it\n"
)


def _import(diagnostic, facilitator):
    return import_run(
        rows=parse_import_file("paper.csv", PAPER.encode()),
        diagnostic=diagnostic,
        actor=facilitator,
        filename="paper.csv",
        allow_new_systems=False,
    )


def test_an_anonymous_round_keeps_no_imported_name_but_knows_the_respondent_again(
    facilitator, place, framework
):
    diagnostic = _draft(place, framework, attribution="anonymous")
    _plan, result = _import(diagnostic, facilitator)
    assert result is not None
    label = Response.objects.get(diagnostic=diagnostic).respondent_label
    assert "Imogen" not in label and label.startswith("anonymous-")
    plan, result = _import(diagnostic, facilitator)
    assert result is None
    assert "has already been imported" in plan.errors[0].message


def test_an_attributed_round_keeps_the_label_until_it_is_made_anonymous(
    client, facilitator, place, framework
):
    diagnostic = _draft(place, framework, attribution="attributed")
    _import(diagnostic, facilitator)
    assert Response.objects.get(diagnostic=diagnostic).respondent_label == "Imogen Importwell"
    client.force_login(facilitator)
    assert _edit(client, diagnostic, attribution="anonymous").status_code == 302
    label = Response.objects.get(diagnostic=diagnostic).respondent_label
    assert label == confidentiality.respondent_label_stored(
        Diagnostic.objects.get(pk=diagnostic.pk), "Imogen Importwell"
    )
    assert label.startswith("anonymous-")


# --- a partner's answers beside their name --------------------------------------------


def test_a_partners_answers_are_shown_with_their_name_only_in_an_attributed_round(
    client, facilitator, place, framework
):
    client.force_login(facilitator)
    for attribution, status in (("anonymous", 404), ("attributed", 200)):
        diagnostic = _draft(place, framework, attribution=attribution)
        invitation = make_invitation(diagnostic, name="Pat Partner")
        make_response(
            diagnostic,
            diagnostic.systems.get(),
            {"A": 4},
            invitation=invitation,
            evidence={"A": "Shared budgets"},
        )
        url = reverse("surveys:invitation_answers", args=[diagnostic.slug, invitation.public_id])
        response = client.get(url)
        assert response.status_code == status
        detail = client.get(
            reverse("surveys:invitation_detail", args=[diagnostic.slug, invitation.public_id])
        ).content.decode()
        assert ("See their answers" in detail) == (attribution == "attributed")
        assert "Shared budgets" not in detail
        if status == 200:
            assert "Pat Partner" in response.content.decode()
            assert "Shared budgets" in response.content.decode()
            assert AuditEvent.objects.filter(
                diagnostic=diagnostic,
                action="answers_read",
                detail={"invitation": invitation.public_id},
            ).exists()
        else:
            assert not AuditEvent.objects.filter(action="answers_read").exists()


def test_group_labels_beside_one_persons_answer_need_k_people_unless_attributed(db):
    anonymous = Diagnostic(attribution="anonymous", min_group_size=5)
    attributed = Diagnostic(attribution="attributed", min_group_size=5)
    assert not confidentiality.group_label_shown(anonymous, group_size=4)
    assert confidentiality.group_label_shown(anonymous, group_size=5)
    assert confidentiality.group_label_shown(attributed, group_size=1)
