"""Erasing a diagnostic's personal data reaches the outbox too: its rows keep the partners'
addresses, the facilitator's personal message, and SMTP errors that often quote the address."""

from __future__ import annotations

from django.utils import timezone

from surveys.models import Diagnostic

from .models import OutboxEmail, Status

CANCELLED_BY_ERASURE = "Not sent: the round's personal data was erased."


def erase_partner_email(*, diagnostic: Diagnostic) -> int:
    """Blank what the outbox holds about the diagnostic's partners and cancel their mail
    still waiting (its links no longer work, and its address is gone). Messages to staff
    (steering invitations, action leads) have no invitation and are left as they are.
    Returns the number of rows blanked."""
    partner_mail = OutboxEmail.objects.filter(diagnostic=diagnostic, invitation__isnull=False)
    waiting = list(
        partner_mail.filter(status__in=[Status.QUEUED, Status.RETRYING]).values_list(
            "pk", flat=True
        )
    )
    blanked = partner_mail.update(recipient="", personal_message="", last_error="")
    OutboxEmail.objects.filter(pk__in=waiting).update(
        status=Status.FAILED,
        last_error=CANCELLED_BY_ERASURE,
        claimed_until=None,
        claimed_by="",
        last_attempt_at=timezone.now(),
    )
    return blanked
