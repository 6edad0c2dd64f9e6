"""``surveys.audit.audit``: the one writer of the audit trail (tests/test_layout.py checks
that nothing else writes one)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from surveys.audit import audit
from surveys.models import AuditEvent

from .factories import make_diagnostic, make_place, make_user

pytestmark = pytest.mark.django_db


def test_an_event_of_a_round_is_an_event_of_its_place_too(framework):
    place = make_place()
    diagnostic = make_diagnostic(place, framework)
    facilitator = make_user()
    event = audit(
        AuditEvent.Action.OPENED, diagnostic=diagnostic, actor=facilitator, detail={"n": 1}
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.action, stored.diagnostic_id, stored.place_id, stored.actor_id) == (
        AuditEvent.Action.OPENED,
        diagnostic.pk,
        place.pk,
        facilitator.pk,
    )
    assert stored.detail == {"n": 1}
    assert list(place.audit_events.all()) == [stored]


def test_an_event_of_a_place_alone_has_no_round():
    place = make_place()
    event = audit(AuditEvent.Action.PLACE_CREATED, place=place)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.diagnostic_id, stored.place_id, stored.actor_id, stored.detail) == (
        None,
        place.pk,
        None,
        {},
    )


def test_a_partner_by_their_link_is_recorded_as_no_actor(framework):
    diagnostic = make_diagnostic(make_place(), framework)
    event = audit(
        AuditEvent.Action.RESPONSES_WITHDRAWN, diagnostic=diagnostic, actor=AnonymousUser()
    )
    assert AuditEvent.objects.get(pk=event.pk).actor_id is None


def test_an_event_about_nothing_or_about_two_places_is_refused(framework):
    diagnostic = make_diagnostic(make_place(), framework)
    with pytest.raises(ValueError, match="needs a diagnostic or a place"):
        audit(AuditEvent.Action.OPENED)
    with pytest.raises(ValueError, match="not the diagnostic's place"):
        audit(AuditEvent.Action.OPENED, diagnostic=diagnostic, place=make_place())
    assert not AuditEvent.objects.exists()
