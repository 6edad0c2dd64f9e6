"""The "Plan an action" link the report puts beside each pre-condition and each question
for the steering group (reports may import this; it imports nothing of reports)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.urls import reverse

from .models import FindingKind

if TYPE_CHECKING:
    from surveys.models import Diagnostic


def plan_action_initial(
    diagnostic: Diagnostic, *, system_slug: str, code: str, finding: str
) -> dict[str, Any]:
    """The form's initial values from a "Plan an action" link's query: the round's system
    and the framework's pre-condition it names, and the finding; unknown values
    preselect nothing. At most two queries."""
    initial: dict[str, Any] = {}
    system = diagnostic.systems.filter(slug=system_slug).first() if system_slug else None
    if system:
        initial["system"] = system
    precondition = diagnostic.framework.preconditions.filter(code=code).first() if code else None
    if precondition:
        initial["precondition"] = precondition
    if finding in FindingKind.values:
        initial["finding"] = finding
    return initial


def plan_action_url(diagnostic_slug: str, system_slug: str, code: str, finding: str = "") -> str:
    """actions:create with the system, pre-condition and (optionally) finding chosen."""
    query = {"system": system_slug, "precondition": code}
    if finding:
        if finding not in FindingKind.values:
            raise ValueError(f"Unknown finding kind {finding!r}")
        query["finding"] = finding
    return f"{reverse('actions:create', args=[diagnostic_slug])}?{urlencode(query)}"
