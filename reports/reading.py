"""What readers read, outside the report itself: the rounds a user may read (the report
index), a facilitator's reading of one system's raw evidence, and the record of an
export. Readings of raw evidence and exports are audited here, so a view cannot forget
to; the views only turn these into pages and files.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import OuterRef, Subquery

from preconditions.models import Precondition
from surveys.audit import audit
from surveys.models import AuditEvent, Diagnostic, DiagnosticQuerySet, Role, Sector, System

from . import exports, releases
from .models import Release


def rounds_for_reader(user) -> DiagnosticQuerySet:
    """The rounds ``user`` may read, by place and newest first, each with its place and
    the number and kind of its latest release (``release_number``, ``release_kind``;
    None before the first): one query."""
    latest = Release.objects.filter(diagnostic=OuterRef("pk")).order_by("-number")
    return (
        Diagnostic.objects.for_reader(user)
        .select_related("place")
        .annotate(
            release_number=Subquery(latest.values("number")[:1]),
            release_kind=Subquery(latest.values("kind")[:1]),
        )
        .order_by("place__name", "-created_at")
    )


def preconditions_by_code(diagnostic: Diagnostic) -> dict[str, Precondition]:
    """The round's framework's pre-conditions by code, for the narrative: one query."""
    return {p.code: p for p in diagnostic.framework.preconditions.all()}


def systems_by_name(diagnostic: Diagnostic) -> list[System]:
    """The round's systems in alphabetical order: one query."""
    return list(diagnostic.systems.order_by("name"))


def raw_evidence_read(
    *, diagnostic: Diagnostic, reader: releases.ReaderView, system: System, actor
) -> list[dict]:
    """Every example partners gave for ``system``, as ``reader`` may see them (a release's
    rows, or live rows in the attributed mode), each with a sector or role only where
    that group has at least k respondents, never a name. The reading is audited."""
    rows = _evidence_rows(diagnostic, reader, system.name)
    audit(
        AuditEvent.Action.EVIDENCE_READ,
        diagnostic=diagnostic,
        actor=actor,
        detail={"system": system.name, "excerpts": len(rows), "release": reader.param},
    )
    return rows


def _evidence_rows(
    diagnostic: Diagnostic, reader: releases.ReaderView, system_name: str
) -> list[dict]:
    source: Iterable[Sequence[Any]]
    if reader.release is not None:
        source = releases.release_rows(reader.release)
    else:
        source = list(exports._rating_values(diagnostic, include_names=False))
    sectors, roles = dict(Sector.choices), dict(Role.choices)
    return [
        {
            "code": code,
            "title": title,
            "score": score,
            "dont_know": dont_know,
            "evidence": text,
            "who": ", ".join(filter(None, [sectors.get(sector), roles.get(role)])),
        }
        for system, code, title, sector, role, score, dont_know, text in source
        if system == system_name and text.strip()
    ]


def export_record(
    *,
    diagnostic: Diagnostic,
    actor,
    file_format: str,
    kind: str,
    include_names: bool,
    release: str,
) -> None:
    """Audit an export: its format, whether it was the summary or row by row, whether it
    named anyone, and which release (``reader.param``) it came from."""
    audit(
        AuditEvent.Action.EXPORTED,
        diagnostic=diagnostic,
        actor=actor,
        detail={
            "format": file_format,
            "kind": kind,
            "names": include_names,
            "release": release,
        },
    )
