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
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from surveys.models import Invitation

from .messages import as_email_message, compose
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


def _claim_next(now: datetime) -> OutboxEmail | None:
    """Take the next due message, or None. A single UPDATE ... WHERE still-due is the
    lock: of two workers reading the same candidate, one wins and the other tries the
    next, on SQLite and PostgreSQL alike."""
    for _ in range(20):
        candidate = (
            OutboxEmail.objects.due(now).order_by("next_attempt_at", "id").values("pk").first()
        )
        if candidate is None:
            return None
        try:
            claimed = (
                OutboxEmail.objects.due(now)
                .filter(pk=candidate["pk"])
                .update(claimed_until=now + timedelta(seconds=claim_seconds()))
            )
        except OperationalError:  # SQLite: another worker holds the write lock
            continue
        if claimed:
            return OutboxEmail.objects.select_related(
                "invitation__diagnostic__place", "invitation__organisation"
            ).get(pk=candidate["pk"])
    return None


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
    with transaction.atomic():
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
        elif email.kind in (Kind.REMINDER, Kind.SCHEDULED_REMINDER) and email.invitation_id:
            invitation = Invitation.objects.filter(pk=email.invitation_id)
            invitation.update(
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


def _release(email: OutboxEmail) -> None:
    OutboxEmail.objects.filter(pk=email.pk).update(claimed_until=None)


def deliver_due(*, limit: int | None = None) -> DeliveryReport:
    """Send everything due now (or ``limit`` messages), then return what happened."""
    report = DeliveryReport()
    connection = None
    handled = 0
    try:
        while limit is None or handled < limit:
            now = timezone.now()
            email = _claim_next(now)
            if email is None:
                break
            handled += 1
            invitation = email.invitation
            if invitation is None or not invitation.email or invitation.is_revoked:
                # Revoked or erased since it was queued: the link no longer works.
                _mark_failed(email, now, "Not sent: the invitation was revoked or erased")
                report.failed += 1
                continue
            message = as_email_message(
                compose(
                    kind=email.kind,
                    invitation=invitation,
                    personal_message=email.personal_message,
                    reply_to=email.reply_to,
                )
            )
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
                OutboxEmail.objects.due().update(next_attempt_at=retry_at)
                logger.warning("Mail relay unavailable, retrying at %s: %s", retry_at, error)
                break
            except BaseException:
                _release(email)  # let another attempt take it at once
                raise
            _mark_sent(email, timezone.now())
            report.sent += 1
    finally:
        _close(connection)
    return report


def _close(connection) -> None:
    if connection is None:
        return
    try:
        connection.close()
    except Exception:  # a relay that vanished cannot be said goodbye to
        logger.debug("Closing the SMTP connection failed", exc_info=True)
