"""The action plan as data: the CSV download and the ``actions`` lists of the JSON export.

``actions_for_json`` is called by ``reports/exports.py`` (reports may import actions,
never the other way round); the shape is documented in docs/reports.md ("JSON export").
Cells are neutralised against formula injection by the one shared rule,
``preconditions.csvsafe`` (the views write the CSV with its ``csv_writer``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from preconditions.csvsafe import safe_cell
from surveys.models import Diagnostic

from .models import Action, ActionEvent

CSV_HEADER = [
    "system",
    "precondition",
    "finding",
    "title",
    "what_will_be_done",
    "lead_organisation",
    "named_lead",
    "due_on",
    "status",
    "overdue",
    "last_note",
    "last_changed_on",
]


def plan_actions(diagnostic: Diagnostic):
    """Every action of the round with what the plan shows beside it, in plan order."""
    return Action.objects.filter(diagnostic=diagnostic).select_related(
        "system", "precondition", "lead_organisation"
    )


def _last_notes(diagnostic: Diagnostic) -> dict[int, tuple[str, datetime.datetime]]:
    """Each action's latest dated note, in one query."""
    latest: dict[int, tuple[str, datetime.datetime]] = {}
    events = (
        ActionEvent.objects.filter(diagnostic=diagnostic, action__isnull=False)
        .exclude(note="")
        .order_by("action_id", "created_at", "pk")
        .values_list("action_id", "note", "created_at")
    )
    for action_id, note, created_at in events:
        latest[action_id] = (note, created_at)
    return latest


def action_plan_csv_rows(diagnostic: Diagnostic, *, today: datetime.date) -> Iterator[list[Any]]:
    """The header, then one row per action (proposals included, marked by their status)."""
    yield CSV_HEADER
    notes = _last_notes(diagnostic)
    for action in plan_actions(diagnostic):
        note, noted_at = notes.get(action.pk, ("", None))
        yield [
            safe_cell(value)
            for value in (
                action.system.name,
                action.precondition.code,
                action.finding,
                action.title,
                action.description,
                action.lead_organisation.name,
                action.lead_name,
                action.due_on.isoformat(),
                action.status,
                "yes" if action.is_overdue(today) else "no",
                note,
                noted_at.date().isoformat() if noted_at else "",
            )
        ]


def actions_for_json(diagnostic: Diagnostic, *, today: datetime.date) -> dict[str, list[dict]]:
    """System slug -> that system's ``actions`` list for the JSON export.

    Every system of the round has a key (an empty list when it has no actions), so
    consumers never check which keys exist. Proposals are left out (they are not on the
    plan yet), and so are named leads and their addresses: the export is read beyond
    the steering group.
    """
    result: dict[str, list[dict]] = {s.slug: [] for s in diagnostic.systems.all()}
    for action in plan_actions(diagnostic).on_plan():
        result.setdefault(action.system.slug, []).append(
            {
                "id": action.public_id,
                "precondition": action.precondition.code,
                "finding": action.finding or None,
                "title": action.title,
                "what_will_be_done": action.description,
                "lead_organisation": action.lead_organisation.name,
                "due_on": action.due_on.isoformat(),
                "status": action.status,
                "overdue": action.is_overdue(today),
            }
        )
    return result
