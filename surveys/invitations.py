"""Invitations: creating them, their link tokens, sending and revoking.

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
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from .confidentiality import partner_promise
from .models import AuditEvent, Diagnostic, Invitation, Organisation, System
from .vocabulary import role_from_text, sector_from_text


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
) -> Invitation:
    with transaction.atomic():
        invitation = Invitation(
            diagnostic=diagnostic, organisation=organisation, role=role, name=name, email=email
        )
        invitation.save()
        # The token is derived from the public id, which exists only once the row is built.
        _store_token_hash(invitation)
        invitation.save(update_fields=["token_hash"])
        invitation.systems.set(systems)
    return invitation


def invitation_renew_link(*, invitation: Invitation, actor) -> str:
    """Make the current link stop working and return the new one."""
    invitation.token_generation += 1
    _store_token_hash(invitation)
    invitation.save(update_fields=["token_generation", "token_hash"])
    AuditEvent.objects.create(
        diagnostic=invitation.diagnostic,
        actor=actor,
        action=AuditEvent.Action.LINK_RENEWED,
        detail={"invitation": invitation.public_id},
    )
    return invitation_link(invitation)


def invitation_revoke(*, invitation: Invitation, actor) -> None:
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        AuditEvent.objects.create(
            diagnostic=invitation.diagnostic,
            actor=actor,
            action=AuditEvent.Action.REVOKED,
            detail={"invitation": invitation.public_id},
        )


def _invitation_email_body(invitation: Invitation, *, reminder: bool) -> str:
    diagnostic = invitation.diagnostic
    greeting = f"Dear {invitation.name}," if invitation.name else "Hello,"
    opening = (
        "This is a reminder: we would still like to hear from you."
        if reminder
        else "You are invited to take part in a diagnostic of how partners in "
        f"{diagnostic.place.name} work together as a system."
    )
    promise = "\n".join(f"- {sentence}" for sentence in partner_promise(diagnostic))
    closes = (
        f"\nThe round closes on {diagnostic.closes_on:%d %B %Y}.\n" if diagnostic.closes_on else ""
    )
    return (
        f"{greeting}\n\n{opening}\n\n"
        f"{diagnostic.title}\n\n"
        "You will rate nine pre-conditions for systems change, with examples from your own "
        "experience. It takes about 20 minutes for each system, and your answers save as you "
        "go.\n\n"
        f"Who will see your answers:\n{promise}\n\n"
        f"Start or carry on here (this link is personal to you, please do not share it):\n"
        f"{invitation_link(invitation)}\n{closes}"
    )


def invitations_send(*, invitations: Sequence[Invitation], actor, reminder: bool = False) -> int:
    """E-mail each invitation its link. Skips revoked invitations and those without an
    address, and (for reminders) those who have submitted everything. Returns how many
    were sent."""
    sent = 0
    now = timezone.now()
    for invitation in invitations:
        if invitation.is_revoked or not invitation.email:
            continue
        subject = (
            f"Reminder: {invitation.diagnostic.title}"
            if reminder
            else f"Invitation: {invitation.diagnostic.title}"
        )
        send_mail(
            subject,
            _invitation_email_body(invitation, reminder=reminder),
            None,
            [invitation.email],
        )
        if reminder:
            invitation.reminded_at = now
            invitation.reminder_count += 1
            invitation.save(update_fields=["reminded_at", "reminder_count"])
        else:
            invitation.sent_at = now
            invitation.save(update_fields=["sent_at"])
        sent += 1
    if sent:
        diagnostic = invitations[0].diagnostic
        AuditEvent.objects.create(
            diagnostic=diagnostic,
            actor=actor,
            action=AuditEvent.Action.REMINDED if reminder else AuditEvent.Action.LINK_SENT,
            detail={"count": sent},
        )
    return sent


@dataclass(frozen=True)
class BulkRow:
    line: int
    name: str
    email: str
    organisation: str
    sector: str
    role: str
    systems: list[System]


@dataclass(frozen=True)
class BulkPlan:
    rows: list[BulkRow]
    errors: list[str]
    new_organisations: list[str]


def invitations_bulk_plan(*, diagnostic: Diagnostic, rows: list[dict[str, str]]) -> BulkPlan:
    """Check pasted or uploaded invitation rows; every problem names its line."""
    systems = {s.name.lower(): s for s in diagnostic.systems.all()}
    systems.update({s.slug: s for s in systems.values()})
    organisations = {o.name.lower(): o for o in diagnostic.place.organisations.all()}
    planned: list[BulkRow] = []
    errors: list[str] = []
    new_organisations: dict[str, str] = {}
    for line, row in enumerate(rows, start=2):
        problems = []
        organisation = row.get("organisation", "")
        sector = sector_from_text(row.get("sector", ""))
        role = role_from_text(row.get("role", ""))
        email = row.get("email", "")
        if not organisation:
            problems.append("the organisation is missing")
        elif len(organisation) > 200:
            problems.append("the organisation name is longer than 200 characters")
        if sector is None:
            problems.append(
                f"{row.get('sector', '')!r} is not a sector (use public, private, "
                "voluntary or citizen)"
            )
        existing = organisations.get(organisation.lower())
        if existing and sector and existing.sector != sector:
            problems.append(
                f"{existing.name} is already recorded as {existing.get_sector_display()}"
            )
        if not role:
            problems.append(
                f"{row.get('role', '')!r} is not a role (use frontline, manager, senior, "
                "board or service user)"
            )
        if email:
            try:
                validate_email(email)
            except ValidationError:
                problems.append(f"{email!r} is not an email address")
            else:
                if len(email) > 254:  # Invitation.email; validate_email allows 320
                    problems.append("the email address is longer than 254 characters")
        chosen = []
        for name in filter(None, (s.strip() for s in row.get("systems", "").split(";"))):
            system = systems.get(name.lower()) or systems.get(slugify(name))
            if system is None:
                problems.append(f"{name!r} is not a system in this diagnostic")
            elif system not in chosen:
                chosen.append(system)
        if not chosen and not any("system" in p for p in problems):
            problems.append("no systems given")
        if problems:
            errors.append(f"Line {line}: " + "; ".join(problems) + ".")
            continue
        if not existing:
            new_organisations.setdefault(organisation.lower(), organisation)
        planned.append(
            BulkRow(
                line=line,
                name=row.get("name", "")[:200],
                email=email,
                organisation=organisation,
                sector=sector,
                role=role,
                systems=chosen,
            )
        )
    if not rows:
        errors.append("There are no invitations under the header line.")
    return BulkPlan(rows=planned, errors=errors, new_organisations=list(new_organisations.values()))


def invitations_bulk_create(*, diagnostic: Diagnostic, plan: BulkPlan, actor) -> list[Invitation]:
    """Create every planned invitation, or none."""
    with transaction.atomic():
        organisations = {o.name.lower(): o for o in diagnostic.place.organisations.all()}
        created = []
        for row in plan.rows:
            organisation = organisations.get(row.organisation.lower())
            if organisation is None:
                organisation = Organisation.objects.create(
                    place=diagnostic.place, name=row.organisation, sector=row.sector
                )
                organisations[row.organisation.lower()] = organisation
            created.append(
                invitation_create(
                    diagnostic=diagnostic,
                    organisation=organisation,
                    role=row.role,
                    systems=row.systems,
                    name=row.name,
                    email=row.email,
                )
            )
        AuditEvent.objects.create(
            diagnostic=diagnostic,
            actor=actor,
            action=AuditEvent.Action.INVITED,
            detail={"count": len(created)},
        )
    return created
