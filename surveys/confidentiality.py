"""A round's confidentiality: the one source of truth for who may see what.

Every output (pages, charts, PDF, exports, the raw-evidence page, e-mails) and every
sentence partners read about confidentiality asks this module; nothing else reads
``Diagnostic.attribution`` or ``Diagnostic.confidentiality`` directly.
"""

from __future__ import annotations

from .models import Diagnostic


def facilitators_see_who_said_what(diagnostic: Diagnostic) -> bool:
    """Only in the attributed mode, which partners are told about before they answer."""
    return diagnostic.attribution == Diagnostic.Attribution.ATTRIBUTED


def steering_sees_evidence(diagnostic: Diagnostic) -> bool:
    """Evidence (without names) reaches the steering group only when the round says so."""
    return diagnostic.confidentiality == Diagnostic.Confidentiality.UNATTRIBUTED


def partner_promise(diagnostic: Diagnostic) -> list[str]:
    """The sentences partners read about who will see their answers (landing page, each
    step, the invitation e-mail), generated from the round's settings."""
    k = diagnostic.min_group_size
    sentences = [
        f"The steering group sees combined results only, for groups of at least {k} "
        "people, and only once the facilitator releases them. They never see your name or "
        "who said what."
    ]
    if steering_sees_evidence(diagnostic):
        sentences.append(
            "Your examples may be quoted in the report without your name or organisation. "
            "Please do not name other people."
        )
    else:
        sentences.append(
            "Your examples are read only by the facilitators of this diagnostic and are not "
            "quoted to the steering group."
        )
    if facilitators_see_who_said_what(diagnostic):
        sentences.append(
            "The facilitators can see who gave which answers, so that they can follow up "
            "with you as agreed. Nobody else can."
        )
    else:
        sentences.append(
            "The facilitators can see whether you have submitted, so they can send "
            "reminders, but nobody, facilitators included, can see which answers are yours."
        )
    return sentences
