"""A round's confidentiality: the one source of truth for who may see what.

Three settings, chosen on the round's form before it opens:

- ``attribution``: anonymous (the default: nobody, facilitators included, can tie answers
  to a person or an organisation) or attributed (facilitators may see who said what, for
  follow-up agreed with partners, who are told before they answer);
- ``confidentiality``: whether the steering group may read the evidence (never with names);
- ``min_group_size`` (k): any group smaller than this is hidden in every breakdown.

Once partners have been told the terms (the round has been opened, an invitation sent or
any answer exists), a change may only make the round stricter (``confidentiality_change_
problems``). Every output (pages, charts, PDF, exports, the raw-evidence page, e-mails) and
every sentence partners read about confidentiality asks this module; nothing else reads
``Diagnostic.attribution`` or ``Diagnostic.confidentiality`` directly.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext

from .models import Diagnostic, Invitation, Response

# --- who sees what --------------------------------------------------------------------


def facilitators_see_who_said_what(diagnostic: Diagnostic) -> bool:
    """Only in the attributed mode, which partners are told about before they answer.

    Everything that shows a person's (or an organisation's) answers asks this: the export
    with respondents' names, a partner's answers on their invitation's page, imported
    respondent labels. In the anonymous mode it is False for everyone, facilitators
    included."""
    return diagnostic.attribution == Diagnostic.Attribution.ATTRIBUTED


def steering_sees_evidence(diagnostic: Diagnostic) -> bool:
    """Evidence (without names) reaches the steering group only when the round says so."""
    return diagnostic.confidentiality == Diagnostic.Confidentiality.UNATTRIBUTED


def group_label_shown(diagnostic: Diagnostic, *, group_size: int) -> bool:
    """Whether a sector or role label may sit beside one person's answer or evidence
    (raw evidence, row-by-row exports): only where that group has at least k people,
    unless the round is attributed (facilitators may then see who said what anyway)."""
    return facilitators_see_who_said_what(diagnostic) or group_size >= diagnostic.min_group_size


def respondent_label_stored(diagnostic: Diagnostic, label: str) -> str:
    """What an imported response keeps of the respondent column.

    Attributed: the label as written. Anonymous: a keyed pseudonym (HMAC of the label with
    SECRET_KEY, per round), so importing the same file again still updates the same
    respondent's answers, but nothing in the database, on a page or in an export names
    them. Blank stays blank."""
    label = label.strip()
    if not label or facilitators_see_who_said_what(diagnostic):
        return label
    message = f"respondent:{diagnostic.pk}:{label.casefold()}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()
    return f"anonymous-{digest[:24]}"


# --- changing the settings ------------------------------------------------------------

# Stricter first: an index that goes down is a loosening.
_EVIDENCE_STRICTNESS = [
    Diagnostic.Confidentiality.RATINGS_ONLY,
    Diagnostic.Confidentiality.UNATTRIBUTED,
]
_ATTRIBUTION_STRICTNESS = [Diagnostic.Attribution.ANONYMOUS, Diagnostic.Attribution.ATTRIBUTED]

# The settings this module rules, as (field, a name for people) pairs.
SETTINGS = (
    ("attribution", "whether answers are anonymous"),
    ("confidentiality", "who sees the evidence"),
    ("min_group_size", "the smallest group shown"),
)


def terms_given(diagnostic: Diagnostic) -> bool:
    """Whether partners have been told this round's terms, or answered under them: the
    round has been opened, an invitation e-mailed or opened, or any answer exists (online
    or imported). From then on the settings may only become stricter."""
    if diagnostic.pk is None:
        return False
    if diagnostic.opened_at is not None or diagnostic.status != Diagnostic.Status.DRAFT:
        return True
    if Response.objects.filter(diagnostic=diagnostic).exists():
        return True
    return (
        Invitation.objects.filter(diagnostic=diagnostic)
        .exclude(sent_at__isnull=True, opened_at__isnull=True)
        .exists()
    )


def confidentiality_change_problems(
    *, old: Mapping[str, Any], new: Mapping[str, Any], terms_given: bool
) -> dict[str, str]:
    """Field name -> why the change is refused; empty when ``new`` may replace ``old``
    (each maps the names of ``SETTINGS`` to the values of the model's fields).

    Before partners are told the terms anything goes. Afterwards only stricter: raise k,
    share less evidence (unattributed -> ratings only), attributed -> anonymous."""
    if not terms_given:
        return {}
    problems: dict[str, str] = {}
    if new["min_group_size"] < old["min_group_size"]:
        problems["min_group_size"] = (
            f"Partners have already been told that groups smaller than "
            f"{old['min_group_size']} are hidden: you can raise the smallest group, not "
            "lower it"
        )
    if _EVIDENCE_STRICTNESS.index(new["confidentiality"]) > _EVIDENCE_STRICTNESS.index(
        old["confidentiality"]
    ):
        problems["confidentiality"] = (
            "Partners have already been told their evidence stays with the facilitators: "
            "it cannot now be shared with the steering group"
        )
    if _ATTRIBUTION_STRICTNESS.index(new["attribution"]) > _ATTRIBUTION_STRICTNESS.index(
        old["attribution"]
    ):
        problems["attribution"] = (
            "Partners have already been told their answers are anonymous: the round cannot "
            "now become attributed"
        )
    return problems


def confidentiality_change_allowed(
    *, old: Mapping[str, Any], new: Mapping[str, Any], terms_given: bool
) -> bool:
    return not confidentiality_change_problems(old=old, new=new, terms_given=terms_given)


def settings_of(diagnostic: Diagnostic) -> dict[str, object]:
    return {name: getattr(diagnostic, name) for name, _label in SETTINGS}


# --- what partners read ---------------------------------------------------------------


@dataclass(frozen=True)
class Promise:
    """One sentence partners read, with a key naming the fact it states (the persona
    test, tests/test_confidentiality_promise.py, checks each key against what every
    persona can fetch)."""

    key: str
    text: str


def partner_promise_items(diagnostic: Diagnostic) -> list[Promise]:
    k = diagnostic.min_group_size
    items = []
    if facilitators_see_who_said_what(diagnostic):
        items.append(
            Promise(
                "facilitators_see_who_said_what",
                gettext(
                    "The facilitators of this diagnostic can see which answers are yours, so "
                    "that they can follow up with you as agreed. Nobody else can."
                ),
            )
        )
    else:
        items.append(
            Promise(
                "anonymous",
                gettext(
                    "Your answers are anonymous: nobody, the facilitators included, can see "
                    "which answers are yours or your organisation's."
                ),
            )
        )
        items.append(
            Promise(
                "facilitators_see_submitted",
                gettext(
                    "The facilitators can see whether and when you have submitted, so that "
                    "they can send reminders."
                ),
            )
        )
    items.append(
        Promise(
            "steering_released_combined",
            gettext(
                "The steering group sees results only once the facilitator releases them, "
                "combined for groups of at least %(k)s people (smaller groups are hidden), "
                "and never your name or your organisation."
            )
            % {"k": k},
        )
    )
    if steering_sees_evidence(diagnostic):
        items.append(
            Promise(
                "evidence_quoted",
                gettext(
                    "Your examples may be quoted in the report, without your name or "
                    "organisation. Please do not name other people, and leave out details "
                    "that would identify you."
                ),
            )
        )
    else:
        items.append(
            Promise(
                "evidence_not_quoted",
                gettext(
                    "Your examples are read only by the facilitators of this diagnostic and "
                    "are never shown to the steering group."
                ),
            )
        )
    return items


def partner_promise(diagnostic: Diagnostic) -> list[str]:
    """The sentences partners read about who will see their answers (landing page, review
    page, the invitation e-mail), generated from the round's settings."""
    return [item.text for item in partner_promise_items(diagnostic)]


def partner_promise_short(diagnostic: Diagnostic) -> str:
    """One sentence for every step of the questionnaire, beside a link to the full
    promise on the landing page."""
    if facilitators_see_who_said_what(diagnostic):
        return gettext(
            "The facilitators can see which answers are yours, for the follow-up you "
            "agreed; the steering group never sees your name."
        )
    return gettext(
        "Your answers are anonymous: nobody, the facilitators included, can see which "
        "answers are yours."
    )
