"""Invitations: creating them, their link tokens, revoking, and the invitation list's
search. E-mailing them is the outbox app's (``outbox.queueing``, which calls this module;
this module never calls it). Bulk invitations: ``surveys.bulk_invitations``.

The token in an invitation link is an HMAC of the invitation's public id with the site's
SECRET_KEY (256 bits, unguessable). Only its SHA-256 hash is stored, so a copy of the
database alone cannot be used to answer as someone else; because the token can be derived
again, a facilitator can copy or re-send the same link. Renewing the link bumps
``token_generation``, which makes the old link stop working. Rotating SECRET_KEY also
invalidates every link (see docs/decisions.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from .audit import audit
from .models import (
    AuditEvent,
    Diagnostic,
    Invitation,
    Organisation,
    Rating,
    Response,
    System,
)


def email_address_problem(email: str) -> str | None:
    """Why an address cannot be used for an invitation, or None. Stricter than Django's
    validate_email: no local hosts or literal IP addresses, no quoted local parts, which
    relays refuse or which point inside the network."""
    try:
        validate_email(email)
    except ValidationError:
        return f"{email!r} is not an email address"
    if len(email) > 254:  # Invitation.email; validate_email allows 320
        return "the email address is longer than 254 characters"
    local, _, domain = email.rpartition("@")
    if local.startswith('"') or '"' in local:
        return f"{email!r} has a quoted name before the @, which mail relays often refuse"
    if domain.startswith("[") or "." not in domain or domain.rstrip(".").endswith(".localhost"):
        return (
            f"{email!r} is not an address on the internet (it needs a domain such as example.org)"
        )
    return None


def invitation_token(invitation: Invitation) -> str:
    message = f"invitation:{invitation.public_id}:{invitation.token_generation}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_link(invitation: Invitation) -> str:
    """The absolute link for e-mails, built from SITE_URL, never from a request's host."""
    path = reverse("surveys:invitation_start", args=[invitation_token(invitation)])
    return f"{settings.SITE_URL}{path}"


def invitation_from_token(token: str) -> Invitation | None:
    """The invitation a link's token belongs to, or None. Revoked ones are returned too,
    so the caller can say so; erased ones have no hash and are never found."""
    if not token or len(token) > 100:
        return None
    return (
        Invitation.objects.select_related("diagnostic", "organisation")
        .filter(token_hash=token_hash(token))
        .first()
    )


def _store_token_hash(invitation: Invitation) -> None:
    invitation.token_hash = token_hash(invitation_token(invitation))


def invitation_create(
    *,
    diagnostic: Diagnostic,
    organisation: Organisation,
    role: str,
    systems: Sequence[System],
    name: str = "",
    email: str = "",
    language: str = settings.LANGUAGE_CODE,
) -> Invitation:
    with transaction.atomic():
        invitation = Invitation(
            diagnostic=diagnostic,
            organisation=organisation,
            role=role,
            name=name,
            email=email,
            language=language,
        )
        invitation.save()
        # The token is derived from the public id, which exists only once the row is built.
        _store_token_hash(invitation)
        invitation.save(update_fields=["token_hash"])
        invitation.systems.set(systems)
    return invitation


def invitation_invite(
    *,
    diagnostic: Diagnostic,
    actor,
    organisation: Organisation,
    role: str,
    systems: Sequence[System],
    name: str = "",
    email: str = "",
    language: str = settings.LANGUAGE_CODE,
) -> Invitation:
    """A facilitator invites one partner: the invitation and its audit record together."""
    with transaction.atomic():
        invitation = invitation_create(
            diagnostic=diagnostic,
            organisation=organisation,
            role=role,
            systems=systems,
            name=name,
            email=email,
            language=language,
        )
        audit(AuditEvent.Action.INVITED, diagnostic=diagnostic, actor=actor, detail={"count": 1})
    return invitation


def invitation_of(diagnostic: Diagnostic, public_id: str) -> Invitation | None:
    """The round's invitation with this public id (from a URL), with its organisation and
    place; None if there is none."""
    if "\x00" in public_id:  # %00 in a URL: PostgreSQL refuses NUL in a query
        return None
    return (
        diagnostic.invitations.select_related("organisation", "diagnostic__place")
        .filter(public_id=public_id)
        .first()
    )


def invitation_responses(invitation: Invitation) -> QuerySet[Response]:
    """The partner's responses, one per system, with the system: one query."""
    return invitation.responses.select_related("system")


def invitation_systems(invitation: Invitation) -> QuerySet[System]:
    """The systems the partner was invited to assess."""
    return invitation.systems.all()


def invitation_answers_read(*, invitation: Invitation, actor) -> list[Response]:
    """One partner's answers with their ratings, for a facilitator of an attributed round
    (the caller checks the round is attributed). The reading is audited. Two queries."""
    responses = list(
        invitation.responses.select_related("system").prefetch_related(
            Prefetch("ratings", queryset=Rating.objects.select_related("precondition"))
        )
    )
    audit(
        AuditEvent.Action.ANSWERS_READ,
        diagnostic=invitation.diagnostic,
        actor=actor,
        detail={"invitation": invitation.public_id},
    )
    return responses


def invitation_renew_link(*, invitation: Invitation, actor) -> str:
    """Make the current link stop working and return the new one."""
    invitation.token_generation += 1
    _store_token_hash(invitation)
    invitation.save(update_fields=["token_generation", "token_hash"])
    audit(
        AuditEvent.Action.LINK_RENEWED,
        diagnostic=invitation.diagnostic,
        actor=actor,
        detail={"invitation": invitation.public_id},
    )
    return invitation_link(invitation)


def invitation_revoke(*, invitation: Invitation, actor) -> None:
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit(
            AuditEvent.Action.REVOKED,
            diagnostic=invitation.diagnostic,
            actor=actor,
            detail={"invitation": invitation.public_id},
        )


# The invitation list: search and filters ------------------------------------------------

INVITATION_STATUS_FILTERS = {
    "not_emailed": "Not e-mailed",
    "no_email": "No e-mail address",
    "email_waiting": "E-mail waiting or retrying",
    "emailed": "E-mailed",
    "failed": "E-mail failed",
    "not_started": "Not started",
    "started": "Started, not submitted",
    "submitted": "Submitted",
    "revoked": "Revoked",
}


def invitations_search(
    *, diagnostic: Diagnostic, query: str = "", status: str = "", sector: str = ""
) -> QuerySet[Invitation]:
    """The invitation list's rows: searched by name, e-mail or organisation, filtered by
    status and sector, with the counts each row shows. E-mail states are the invitation's
    own ``email_status`` (kept by the outbox), so no filter needs a join to the outbox."""
    invitations = (
        diagnostic.invitations.select_related("organisation")
        .prefetch_related("systems")
        .annotate(
            started=Count("responses", distinct=True),
            submitted=Count(
                "responses",
                filter=Q(responses__status=Response.Status.SUBMITTED),
                distinct=True,
            ),
            systems_count=Count("systems", distinct=True),
        )
        .order_by("organisation__name", "name", "pk")
    )
    query = query.strip()
    if query:
        invitations = invitations.filter(
            Q(name__icontains=query)
            | Q(email__icontains=query)
            | Q(organisation__name__icontains=query)
        )
    if sector:
        invitations = invitations.filter(organisation__sector=sector)
    live = Q(revoked_at__isnull=True)
    filters = {
        "not_emailed": live & Q(email_status="", sent_at__isnull=True),
        "no_email": live & Q(email=""),
        "email_waiting": live & Q(email_status__in=["queued", "retrying"]),
        "emailed": Q(email_status="sent") | (Q(email_status="") & Q(sent_at__isnull=False)),
        "failed": Q(email_status="failed"),
        "not_started": live & Q(started=0),
        "started": live & Q(started__gt=0, submitted__lt=F("systems_count")),
        "submitted": Q(submitted__gt=0, submitted__gte=F("systems_count")),
        "revoked": Q(revoked_at__isnull=False),
    }
    if status in filters:
        invitations = invitations.filter(filters[status])
    return invitations


def invitations_not_emailed_count(diagnostic: Diagnostic) -> int:
    """Live invitations with an address whose link has not been e-mailed or sent: what
    "E-mail the links" would send. One query."""
    return (
        diagnostic.invitations.filter(
            revoked_at__isnull=True, email_status="", sent_at__isnull=True
        )
        .exclude(email="")
        .count()
    )
