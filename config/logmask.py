"""Invitation tokens kept out of logs. A link ``/i/<token>/`` is the partner's only
credential: whoever reads a log line holding it could answer as that partner.

Used by gunicorn's access log (gunicorn.conf.py) and, as a logging filter, by Django's
own log records (``Not Found: /i/<token>/`` for a mistyped or revoked link). Plain
Python: gunicorn loads it before Django is set up.
"""

from __future__ import annotations

import logging
import re

# /i/<token>, anywhere in a text (a request line, a path, a full URL in a Referer).
INVITATION_TOKEN = re.compile(r"(/i/)[^/?#\s\"']+")


def mask_tokens(text: str) -> str:
    return INVITATION_TOKEN.sub(r"\1…", text)


class MaskTokensFilter(logging.Filter):
    """Rewrites a record's message with tokens masked (it keeps the record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_tokens(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True
