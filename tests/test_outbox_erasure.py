"""Erasing a round's personal data reaches the outbox: partners' addresses, the
facilitator's message and SMTP errors are blanked, and mail still waiting is cancelled
rather than sent with a dead link."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.utils import timezone

from outbox.delivery import deliver_due
from outbox.erasure import CANCELLED_BY_ERASURE
from outbox.models import Kind, OutboxEmail, Status
from outbox.queueing import emails_queue
from surveys.privacy import diagnostic_erase_personal_data

from .factories import make_diagnostic, make_invitation, make_place, make_system, make_user


@pytest.fixture
def facilitator(db):
    return make_user("fran", email="fran@example.org")


def _round(framework, facilitator, name):
    place = make_place(name, facilitators=[facilitator])
    return make_diagnostic(
        place, framework, systems=[make_system(place, "Homelessness")], closes_on=date(2027, 3, 31)
    )


def test_erasure_blanks_partner_mail_and_cancels_what_waits(framework, facilitator):
    diagnostic = _round(framework, facilitator, "Northbridge")
    other = _round(framework, facilitator, "Southport")
    make_invitation(diagnostic, email="sent@example.org")
    make_invitation(diagnostic, email="waiting@example.org")
    make_invitation(other, email="elsewhere@example.org")
    emails_queue(
        diagnostic=diagnostic, kind=Kind.INVITATION, actor=None, personal_message="Dear Sam"
    )
    emails_queue(diagnostic=other, kind=Kind.INVITATION, actor=None)
    sent = OutboxEmail.objects.get(recipient="sent@example.org")
    sent.status, sent.sent_at, sent.last_error = Status.SENT, timezone.now(), "450 sent@..."
    sent.save()

    diagnostic_erase_personal_data(diagnostic=diagnostic, actor=facilitator)

    erased = OutboxEmail.objects.filter(diagnostic=diagnostic)
    assert set(erased.values_list("recipient", "personal_message")) == {("", "")}
    assert erased.get(pk=sent.pk).status == Status.SENT
    assert erased.get(pk=sent.pk).last_error == ""
    cancelled = erased.exclude(pk=sent.pk).get()
    assert (cancelled.status, cancelled.last_error) == (Status.FAILED, CANCELLED_BY_ERASURE)
    # The other round's mail is untouched and still goes out; nothing goes to the erased.
    deliver_due()
    assert [message.to for message in mail.outbox] == [["elsewhere@example.org"]]
    assert OutboxEmail.objects.get(diagnostic=other).recipient == "elsewhere@example.org"
