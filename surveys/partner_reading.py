"""What the partner's pages read (``surveys/views/partner.py``): the systems a partner
assesses, the framework's pre-conditions, how far they have got in each system, and
their stored answers. Their save is ``surveys.answers``. A constant number of queries
per page whatever the number of systems and pre-conditions.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from preconditions.models import Precondition

from .models import Invitation, Rating, Response, System


def invitation_opened(invitation: Invitation) -> None:
    """Record the first time the partner followed their link (once: later visits keep it)."""
    if invitation.opened_at is None:
        invitation.opened_at = timezone.now()
        Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(
            opened_at=invitation.opened_at
        )


def invitation_language_remember(invitation: Invitation, language: str) -> None:
    """Remember the language the partner is reading in (the toggle's cookie, else their
    browser's), so that their next e-mails are written in it. Writes only on a change."""
    if language in dict(settings.LANGUAGES) and invitation.language != language:
        invitation.language = language
        Invitation.objects.filter(pk=invitation.pk).update(language=language)


def partner_scope(invitation: Invitation) -> tuple[list[System], list[Precondition]]:
    """The systems the partner assesses that are still in the round, and the framework's
    pre-conditions in order: two queries."""
    systems = list(invitation.systems.filter(diagnostics=invitation.diagnostic))
    preconditions = list(invitation.diagnostic.framework.preconditions.all())
    return systems, preconditions


def partner_progress(
    invitation: Invitation, systems: list[System], preconditions: list[Precondition]
) -> list[dict[str, Any]]:
    """For each system: its response (or None), how many pre-conditions are answered, and
    the first one not yet answered (where to carry on; None when all are). Two queries."""
    responses = {r.system_id: r for r in Response.objects.filter(invitation=invitation)}
    answered_codes: dict[int, set[str]] = {}
    for system_id, code in (
        Rating.objects.filter(response__invitation=invitation)
        .answered()
        .values_list("response__system_id", "precondition__code")
    ):
        answered_codes.setdefault(system_id, set()).add(code)
    rows = []
    for system in systems:
        answered = answered_codes.get(system.pk, set())
        rows.append(
            {
                "system": system,
                "response": responses.get(system.pk),
                "answered": len(answered),
                "next_code": next((p.code for p in preconditions if p.code not in answered), None),
            }
        )
    return rows


def stored_rating(
    invitation: Invitation, system: System, precondition: Precondition
) -> Rating | None:
    """The partner's stored answer to one pre-condition of one system, if any."""
    return Rating.objects.filter(
        response__invitation=invitation, response__system=system, precondition=precondition
    ).first()


def partner_response(invitation: Invitation, system: System) -> Response | None:
    """The partner's response for one system, if they have started it."""
    return Response.objects.filter(invitation=invitation, system=system).first()


def ratings_by_precondition(response: Response | None) -> dict[int, Rating]:
    """A response's ratings by pre-condition id (none for no response): one query."""
    if response is None:
        return {}
    return {r.precondition_id: r for r in response.ratings.all()}
