"""What partners receive: subject, plain text and an accessible HTML alternative.

Composed when the e-mail is sent, not when it is queued: the body holds the invitation's
personal link, a secret derived from SECRET_KEY that is never stored. The preview on the
send page calls the same function, so it shows exactly what will be sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import linebreaks
from django.utils.translation import gettext

from surveys.confidentiality import partner_promise
from surveys.invitations import invitation_link
from surveys.models import Invitation

from .models import Kind

# Every control character (C0, DEL, C1) and the Unicode line and paragraph separators: a
# CR or LF in a header would make Django refuse to send (BadHeaderError), or, unguarded,
# let a round's title add headers of its own.
_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u0085]+")
SUBJECT_MAX_LENGTH = 150


def header_safe(text: str, max_length: int = SUBJECT_MAX_LENGTH) -> str:
    """One line, whitespace collapsed, control characters gone, at most max_length."""
    line = " ".join(_HEADER_UNSAFE.sub(" ", text).split())
    if len(line) > max_length:
        line = line[: max_length - 1].rstrip() + "…"
    return line


@dataclass(frozen=True)
class Composed:
    subject: str
    text: str
    html: str
    to: str
    reply_to: str


def compose(
    *, kind: str, invitation: Invitation, personal_message: str = "", reply_to: str = ""
) -> Composed:
    """The message for one invitation. Reads ``invitation.diagnostic.place``: select it."""
    diagnostic = invitation.diagnostic
    reminder = kind in (Kind.REMINDER, Kind.SCHEDULED_REMINDER)
    title = header_safe(diagnostic.title)
    # In the partner's language, whoever queues it and in whatever language they read.
    with translation.override(invitation.language):
        subject = header_safe(
            (gettext("Reminder: %(title)s") if reminder else gettext("Invitation: %(title)s"))
            % {"title": title}
        )
        context = {
            "reminder": reminder,
            "name": header_safe(invitation.name, 200),
            "place": diagnostic.place.name,
            "title": diagnostic.title,
            "closes_on": diagnostic.closes_on,
            "promise": partner_promise(diagnostic),
            "link": invitation_link(invitation),
            "personal_message": personal_message.strip(),
            "reply_to": reply_to,
        }
        return Composed(
            subject=subject,
            text=render_to_string("outbox/email/invitation.txt", context),
            html=render_to_string("outbox/email/invitation.html", context),
            to=invitation.email,
            reply_to=reply_to,
        )


def compose_stored(*, subject: str, body: str, to: str) -> Composed:
    """A message composed when it was queued (``OutboxEmail.subject`` and ``body``): plain
    text, with its paragraphs as the HTML alternative."""
    return Composed(
        subject=header_safe(subject),
        text=body,
        html=linebreaks(body, autoescape=True),
        to=to,
        reply_to="",
    )


def compose_steering_invitation(*, user, diagnostic, reply_to: str = "") -> Composed:
    """The e-mail inviting a steering member to set a password. Reads
    ``diagnostic.place``: select it."""
    from .steering import set_password_link

    context = {
        "place": diagnostic.place.name,
        "title": diagnostic.title,
        "link": set_password_link(user),
        "username": user.get_username(),
        "days": settings.STEERING_INVITATION_DAYS,
        "reply_to": reply_to,
    }
    return Composed(
        subject=header_safe(f"You are invited to read the results: {diagnostic.title}"),
        text=render_to_string("outbox/email/steering_invitation.txt", context),
        html=render_to_string("outbox/email/steering_invitation.html", context),
        to=user.email,
        reply_to=reply_to,
    )


def as_email_message(composed: Composed, *, connection=None) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=composed.subject,
        body=composed.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[composed.to],
        reply_to=[composed.reply_to] if composed.reply_to else None,
        connection=connection,
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(composed.html, "text/html")
    return message
