"""Steering members invited by e-mail: an account without a password, an e-mail queued
in the outbox with a one-time link, a set-password page that applies the validators."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from outbox.delivery import deliver_due
from outbox.models import Kind, OutboxEmail, Status
from outbox.steering import steering_tokens
from surveys.models import AuditEvent

from .factories import make_diagnostic, make_place, make_system, make_user

User = get_user_model()
PASSWORD = "a long and unusual passphrase 42"


@pytest.fixture
def facilitator(db):
    return make_user("fran", email="fran@example.org")


@pytest.fixture
def diagnostic(framework, facilitator):
    place = make_place("Northbridge", facilitators=[facilitator])
    return make_diagnostic(place, framework, systems=[make_system(place, "Homelessness")])


def _invite(client, diagnostic, email="sam@example.org"):
    return client.post(reverse("outbox:steering_invite", args=[diagnostic.slug]), {"email": email})


def _link_in(message) -> str:
    link = re.search(r"http://\S+/accounts/set-password/\S+/", message.body)
    assert link is not None, message.body
    return link.group()


def test_inviting_adds_an_account_without_a_password_and_queues_the_email(
    client, facilitator, diagnostic
):
    client.force_login(facilitator)
    response = _invite(client, diagnostic, "Sam@Example.org")
    assert response.status_code == 302
    member = User.objects.get(email="Sam@Example.org")
    assert not member.has_usable_password()
    assert list(diagnostic.steering_members.all()) == [member]
    email = OutboxEmail.objects.get()
    assert (email.kind, email.user, email.recipient) == (
        Kind.STEERING_INVITATION,
        member,
        "Sam@Example.org",
    )
    assert AuditEvent.objects.filter(
        diagnostic=diagnostic, action=AuditEvent.Action.STEERING_INVITED, actor=facilitator
    ).exists()


def test_the_worker_sends_a_link_that_sets_the_password_once(client, facilitator, diagnostic):
    client.force_login(facilitator)
    _invite(client, diagnostic)
    client.logout()
    assert deliver_due().sent == 1
    assert OutboxEmail.objects.get().status == Status.SENT
    (message,) = mail.outbox
    assert message.to == ["sam@example.org"]
    link = _link_in(message)
    assert link.startswith("http://testserver/") or link.startswith("http://127.0.0.1:8000/")
    path = link.split("8000", 1)[-1].split("testserver", 1)[-1]

    # The token leaves the URL at once (Django's reset view keeps it in the session).
    landing = client.get(path)
    assert landing.status_code == 302 and landing.url.endswith("/set-password/")
    page = client.get(landing.url)
    assert "Set your password" in page.content.decode()
    done = client.post(landing.url, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert done.status_code == 302 and done.url == reverse("reports:index")
    member = User.objects.get(email="sam@example.org")
    assert member.check_password(PASSWORD)
    assert AuditEvent.objects.filter(
        diagnostic=diagnostic, action=AuditEvent.Action.PASSWORD_SET, actor=member
    ).exists()
    # Signed in, and the link no longer works.
    assert client.get(reverse("reports:index")).status_code == 200
    client.logout()
    again = client.get(path, follow=True)
    assert "This link does not work" in again.content.decode()


def test_the_set_password_page_applies_the_password_validators(client, facilitator, diagnostic):
    client.force_login(facilitator)
    _invite(client, diagnostic)
    client.logout()
    member = User.objects.get(email="sam@example.org")
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(str(member.pk).encode())
    url = reverse("steering_set_password", args=[uid, steering_tokens.make_token(member)])
    form_url = client.get(url).url
    response = client.post(form_url, {"new_password1": "short", "new_password2": "short"})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    member.refresh_from_db()
    assert not member.has_usable_password()


def test_the_link_expires(client, facilitator, diagnostic, settings):
    settings.STEERING_INVITATION_DAYS = 7
    member = User.objects.create_user("sam", email="sam@example.org")
    member.set_unusable_password()
    member.save()
    token = steering_tokens.make_token(member)
    assert steering_tokens.check_token(member, token)
    later = steering_tokens._now() + timedelta(days=7, minutes=1)
    with mock.patch.object(steering_tokens, "_now", return_value=later):
        assert not steering_tokens.check_token(member, token)
    # A password-reset token is not an invitation token.
    from django.contrib.auth.tokens import default_token_generator

    assert not steering_tokens.check_token(member, default_token_generator.make_token(member))


def test_an_account_with_a_password_is_not_invited_again(client, facilitator, diagnostic):
    make_user("stella", email="stella@example.org")
    client.force_login(facilitator)
    response = _invite(client, diagnostic, "stella@example.org")
    assert response.status_code == 200
    assert "add them by their username" in response.content.decode()
    assert not OutboxEmail.objects.exists()
    assert not diagnostic.steering_members.exists()


def test_a_member_waiting_can_be_sent_the_invitation_again(client, facilitator, diagnostic):
    client.force_login(facilitator)
    _invite(client, diagnostic)
    url = reverse("outbox:steering_invite", args=[diagnostic.slug])
    client.post(url, {"resend": "sam@example.org"})
    assert OutboxEmail.objects.count() == 1  # the first is still waiting
    deliver_due()
    client.post(url, {"resend": "sam@example.org"})
    assert OutboxEmail.objects.count() == 2
    access = client.get(reverse("surveys:diagnostic_access", args=[diagnostic.slug]))
    assert "Invited: has not set a password yet" in access.content.decode()


def test_only_the_rounds_facilitators_invite(client, diagnostic):
    client.force_login(make_user("other"))
    assert _invite(client, diagnostic).status_code == 404
    assert not User.objects.filter(email="sam@example.org").exists()
