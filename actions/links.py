"""The "Plan an action" link the report puts beside each pre-condition and each question
for the steering group (reports may import this; it imports nothing of reports)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from .models import FindingKind


def plan_action_url(diagnostic_slug: str, system_slug: str, code: str, finding: str = "") -> str:
    """actions:create with the system, pre-condition and (optionally) finding chosen."""
    query = {"system": system_slug, "precondition": code}
    if finding:
        if finding not in FindingKind.values:
            raise ValueError(f"Unknown finding kind {finding!r}")
        query["finding"] = finding
    return f"{reverse('actions:create', args=[diagnostic_slug])}?{urlencode(query)}"
