"""Sending what is due, over one SMTP connection per batch.

Each message is claimed on its own (one conditional UPDATE, so any number of workers on
any machines share the work), sent, and marked ``sent`` only once the relay accepted it.
A worker killed mid-batch loses nothing: rows it had not reached are still queued, and the
one in flight is released when its claim runs out, then sent again by another worker —
the only message that can arrive twice.

Failures: a refusal for one address (5xx) marks that e-mail failed with the relay's
reason and the batch goes on. A temporary refusal (4xx) is retried with backoff
(``EMAIL_RETRY_DELAYS``, about an hour in all). A relay that cannot be reached, refuses
the connection or stops answering (``EMAIL_TIMEOUT``) ends the batch: the message in hand
is retried later, and everything else due waits as long, rather than each message
spending a timeout on a relay that is down.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from surveys.models import Invitation

from .messages import as_email_message, compose, compose_steering_invitation, compose_stored
from .models import Kind, OutboxEmail, Status

logger = logging.getLogger(__name__)


def claim_seconds() -> int:
    """How long a worker holds a message: far longer than one send may take (each SMTP
    step is bounded by EMAIL_TIMEOUT), so a live worker never loses its message."""
    return 10 * max(1, int(settings.EMAIL_TIMEOUT or 10))


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    relay_down: bool = False


class _RelayUnavailable(Exception):
    pass


CLAIM_SIZE = 10
# Kinds composed when queued, sent from the row's own subject and body.
STORED_KINDS = (Kind.ACTION_REMINDER,)


def _claim(now: datetime, token: str) -> list[OutboxEmail]:
    """Take up to CLAIM_SIZE due messages, oldest first, or none. A conditional UPDATE
    (still due?) is the lock: of two workers reading the same candidates, each gets
    only those it updated first, on SQLite and PostgreSQL alike. Messages claimed but
    not reached when a worker dies were never sent: another worker sends them once
    their claim runs out."""
    for _ in range(20):
        candidates = list(
            OutboxEmail.objects.due(now)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:CLAIM_SIZE]
        )
        if not candidates:
            return []
        try:
            claimed = (
                OutboxEmail.objects.due(now)
                .filter(pk__in=candidates)
                .update(claimed_until=now + timedelta(seconds=claim_seconds()), claimed_by=token)
            )
        except OperationalError:  # SQLite: another worker holds the write lock
            continue
        if claimed:
            return list(
                OutboxEmail.objects.filter(pk__in=candidates, claimed_by=token)
                .select_related("invitation__diagnostic__place", "user", "diagnostic__place")
                .order_by("next_attempt_at", "id")
            )
    return []


def _reason(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, message = next(iter(error.recipients.values()))
        return _smtp_text(code, message)
    if isinstance(error, smtplib.SMTPResponseException):
        return _smtp_text(error.smtp_code, error.smtp_error)
    # smtplib reports a reply that never came as a disconnection "...: timed out".
    if isinstance(error, socket.timeout | TimeoutError) or "timed out" in str(error):
        return f"The mail relay did not answer within {settings.EMAIL_TIMEOUT} seconds"
    if isinstance(error, ConnectionRefusedError):
        return "The mail relay refused the connection"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return "The mail relay closed the connection"
    return f"{type(error).__name__}: {error}"[:500]


def _smtp_text(code: int, message: bytes | str) -> str:
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return f"{code} {' '.join(str(message).split())}"[:500]


def _smtp_code(error: BaseException) -> int | None:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return next(iter(error.recipients.values()))[0]
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code
    return None


def _update_invitation(email: OutboxEmail, **fields) -> None:
    if email.invitation_id:
        Invitation.objects.filter(pk=email.invitation_id).update(**fields)


def _mark_sent(email: OutboxEmail, now: datetime) -> None:
    # Two statements, no transaction around them: the outbox row is the record (written
    # first, at once); the invitation's copy of the status follows it.
    OutboxEmail.objects.filter(pk=email.pk).update(
        status=Status.SENT,
        sent_at=now,
        last_attempt_at=now,
        attempts=email.attempts + 1,
        last_error="",
        claimed_until=None,
    )
    if email.kind == Kind.INVITATION:
        _update_invitation(email, sent_at=now, email_status=Status.SENT, email_error="")
    elif email.kind in (Kind.REMINDER, Kind.SCHEDULED_REMINDER):
        _update_invitation(
            email,
            reminded_at=now,
            reminder_count=F("reminder_count") + 1,
            email_status=Status.SENT,
            email_error="",
        )


def _mark_failed(email: OutboxEmail, now: datetime, reason: str) -> None:
    with transaction.atomic():
        OutboxEmail.objects.filter(pk=email.pk).update(
            status=Status.FAILED,
            last_attempt_at=now,
            attempts=email.attempts + 1,
            last_error=reason,
            claimed_until=None,
        )
        _update_invitation(email, email_status=Status.FAILED, email_error=reason)


def _mark_retrying(email: OutboxEmail, now: datetime, reason: str) -> datetime | None:
    """Schedule another attempt; None when the hour of retries is used up (failed)."""
    delays = settings.EMAIL_RETRY_DELAYS
    attempts = email.attempts + 1
    if attempts > len(delays):
        _mark_failed(email, now, f"Gave up after {attempts} attempts: {reason}"[:500])
        return None
    retry_at = now + timedelta(seconds=delays[attempts - 1])
    with transaction.atomic():
        OutboxEmail.objects.filter(pk=email.pk).update(
            status=Status.RETRYING,
            last_attempt_at=now,
            attempts=attempts,
            last_error=reason,
            next_attempt_at=retry_at,
            claimed_until=None,
        )
        _update_invitation(email, email_status=Status.RETRYING, email_error=reason)
    return retry_at


def _half_claim() -> timedelta:
    return timedelta(seconds=claim_seconds() / 2)


def _renew(claimed: list[OutboxEmail], token: str, now: datetime) -> list[OutboxEmail]:
    ours = OutboxEmail.objects.filter(pk__in=[e.pk for e in claimed], claimed_by=token)
    ours.update(claimed_until=now + timedelta(seconds=claim_seconds()))
    kept = set(ours.values_list("pk", flat=True))
    return [e for e in claimed if e.pk in kept]


def _release_all(emails: list[OutboxEmail]) -> None:
    if emails:
        OutboxEmail.objects.filter(pk__in=[e.pk for e in emails]).update(
            claimed_until=None, claimed_by=""
        )


def _compose(email: OutboxEmail):
    """The message to send, or None and why it is not sent."""
    if email.kind in STORED_KINDS:
        # Composed when queued (no invitation, no secret in it).
        return compose_stored(subject=email.subject, body=email.body, to=email.recipient), ""
    if email.kind == Kind.STEERING_INVITATION:
        user = email.user
        if user is None or not user.is_active or not user.email:
            return None, "Not sent: the account was removed"
        if user.has_usable_password():
            return None, "Not sent: they have set a password already"
        return compose_steering_invitation(
            user=user, diagnostic=email.diagnostic, reply_to=email.reply_to
        ), ""
    invitation = email.invitation
    if invitation is None or not invitation.email or invitation.is_revoked:
        # Revoked or erased since it was queued: the link no longer works.
        return None, "Not sent: the invitation was revoked or erased"
    return compose(
        kind=email.kind,
        invitation=invitation,
        personal_message=email.personal_message,
        reply_to=email.reply_to,
    ), ""


def deliver_due(*, limit: int | None = None) -> DeliveryReport:
    """Send everything due now (or ``limit`` messages), then return what happened."""
    report = DeliveryReport()
    connection = None
    handled = 0
    token = uuid.uuid4().hex
    claimed: list[OutboxEmail] = []
    renew_at = timezone.now()
    try:
        while limit is None or handled < limit:
            now = timezone.now()
            if claimed and now > renew_at:
                # A long batch on a slow relay: keep holding what is left, and drop any
                # message another worker took after our claim ran out.
                claimed, renew_at = _renew(claimed, token, now), now + _half_claim()
            if not claimed:
                claimed, renew_at = _claim(now, token), now + _half_claim()
                if limit is not None:
                    # Hand back what is beyond the limit at once.
                    _release_all(claimed[limit - handled :])
                    claimed = claimed[: limit - handled]
                if not claimed:
                    break
            email = claimed.pop(0)
            handled += 1
            composed, refusal = _compose(email)
            if composed is None:
                _mark_failed(email, now, refusal)
                report.failed += 1
                continue
            message = as_email_message(composed)
            try:
                if connection is None:
                    connection = get_connection(fail_silently=False)
                    connection.open()
                message.connection = connection
                connection.send_messages([message])
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as error:
                code = _smtp_code(error) or 0
                if code >= 500:
                    _mark_failed(email, timezone.now(), _reason(error))
                    report.failed += 1
                elif _mark_retrying(email, timezone.now(), _reason(error)):
                    report.retrying += 1
                else:
                    report.failed += 1
                continue
            except smtplib.SMTPDataError as error:
                if error.smtp_code >= 500:
                    _mark_failed(email, timezone.now(), _reason(error))
                    report.failed += 1
                elif _mark_retrying(email, timezone.now(), _reason(error)):
                    report.retrying += 1
                else:
                    report.failed += 1
                continue
            except (smtplib.SMTPException, OSError) as error:
                # The relay, not the address: down, refusing, or not answering.
                _close(connection)
                connection = None
                retry_at = _mark_retrying(email, timezone.now(), _reason(error))
                report.relay_down = True
                if retry_at is None:
                    report.failed += 1
                    retry_at = timezone.now() + timedelta(seconds=settings.EMAIL_RETRY_DELAYS[0])
                else:
                    report.retrying += 1
                # Everything else due waits as long as this one, untouched.
                _release_all(claimed)
                claimed = []
                OutboxEmail.objects.due().update(next_attempt_at=retry_at)
                logger.warning("Mail relay unavailable, retrying at %s: %s", retry_at, error)
                break
            except BaseException:
                _release_all([email, *claimed])  # let another attempt take them at once
                raise
            _mark_sent(email, timezone.now())
            report.sent += 1
    finally:
        _close(connection)
        _release_all(claimed)  # claimed but not reached (an error above, or the limit)
    return report


def _close(connection) -> None:
    if connection is None:
        return
    try:
        connection.close()
    except Exception:  # a relay that vanished cannot be said goodbye to
        logger.debug("Closing the SMTP connection failed", exc_info=True)
