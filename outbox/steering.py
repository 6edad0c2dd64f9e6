"""Inviting a steering member by e-mail: the facilitator gives an address, the person
gets an account without a password and an e-mail with a one-time link to set one.

The link's token is Django's password-reset token under a salt of its own (a reset link
cannot be used as an invitation, nor the reverse). It is derived from the account's
password hash and last sign-in, so it works once: setting the password changes the hash
and every earlier link stops working. It expires after ``STEERING_INVITATION_DAYS``.
Like invitation links, it is never stored: the e-mail is composed when it is sent.

An account that already has a password is simply added (as before); a member who was
invited and has not set a password yet can be sent the invitation again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

from surveys.audit import audit
from surveys.invitations import email_address_problem
from surveys.models import AuditEvent, Diagnostic

from .models import Kind, OutboxEmail

if TYPE_CHECKING:
    from django.contrib.auth.models import User
else:
    User = get_user_model()


class SteeringInvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "preconditions.outbox.steering.SteeringInvitationTokenGenerator"

    def check_token(self, user, token) -> bool:
        """Django's check, with this link's own expiry instead of PASSWORD_RESET_TIMEOUT."""
        if not (user and token):
            return False
        if token.count("-") != 1 or len(token) > 64:
            return False
        try:
            timestamp = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        for secret in [self.secret, *self.secret_fallbacks]:
            if constant_time_compare(
                self._make_token_with_timestamp(user, timestamp, secret), token
            ):
                break
        else:
            return False
        age = self._num_seconds(self._now()) - timestamp
        return 0 <= age <= settings.STEERING_INVITATION_DAYS * 24 * 3600


steering_tokens = SteeringInvitationTokenGenerator()


def set_password_link(user) -> str:
    """The absolute one-time link, built from SITE_URL (never a request's host)."""
    path = reverse(
        "steering_set_password",
        args=[urlsafe_base64_encode(force_bytes(user.pk)), steering_tokens.make_token(user)],
    )
    return f"{settings.SITE_URL}{path}"


def awaiting_password(user) -> bool:
    """Invited and has not set a password yet."""
    return user.is_active and not user.has_usable_password()


@dataclass(frozen=True)
class SteeringInvitation:
    user: User
    created: bool  # a new account (else an existing one without a password)
    queued: bool  # False: an invitation to them is already waiting to be sent


def steering_member_invite(*, diagnostic: Diagnostic, email: str, actor) -> SteeringInvitation:
    """Add the person with this address as a steering member of ``diagnostic`` and queue
    an e-mail inviting them to set a password. Raises ValueError for an unusable address
    or an account that already has a password (add that one by name instead)."""
    email = email.strip()
    problem = email_address_problem(email)
    if problem:
        raise ValueError(problem)
    with transaction.atomic():
        user = (
            User.objects.select_for_update()
            .filter(Q(email__iexact=email) | Q(username__iexact=email))
            .first()
        )
        created = user is None
        if user is None:
            user = User(username=email.lower(), email=email)
            user.set_unusable_password()
            user.save()
        elif not awaiting_password(user):
            raise ValueError("They already have an account: add them by their username")
        diagnostic.steering_members.add(user)
        queued = steering_invitation_queue(diagnostic=diagnostic, user=user, actor=actor)
    return SteeringInvitation(user=user, created=created, queued=queued)


def steering_invitation_queue(*, diagnostic: Diagnostic, user, actor) -> bool:
    """Queue the set-password e-mail (the n-th to this person for this round: two clicks
    at once both try the same n and one of them wins). Audited; False when one is still
    waiting to be sent."""
    from .tasks import enqueue_delivery

    earlier = OutboxEmail.objects.filter(
        kind=Kind.STEERING_INVITATION, user=user, diagnostic=diagnostic
    )
    if earlier.filter(status__in=["queued", "retrying"]).exists():
        return False
    key = f"steering-invitation:{diagnostic.pk}:{user.pk}:{earlier.count() + 1}"
    _email, created = OutboxEmail.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "kind": Kind.STEERING_INVITATION,
            "recipient": user.email,
            "user": user,
            "diagnostic": diagnostic,
            "reply_to": getattr(actor, "email", "") or "",
        },
    )
    if not created:
        return False
    audit(
        AuditEvent.Action.STEERING_INVITED,
        diagnostic=diagnostic,
        actor=actor,
        detail={"user": user.get_username()},
    )
    enqueue_delivery(1)
    return True


def steering_password_set_record(user) -> None:
    """Audit, in each round they steer, that an invited member set their password."""
    for diagnostic in Diagnostic.objects.filter(steering_members=user):
        audit(
            AuditEvent.Action.PASSWORD_SET,
            diagnostic=diagnostic,
            actor=user,
            detail={"user": user.get_username()},
        )


def steering_member_waiting(diagnostic: Diagnostic, username: str):
    """The round's steering member ``username`` who has not set a password yet, or None."""
    member = diagnostic.steering_members.filter(username=username.replace("\x00", "")).first()
    return member if member is not None and awaiting_password(member) else None
