"""Setting up a place quickly: systems and organisations added as a pasted list, and a
new round started from the set-up of an earlier one.

Reading a list writes nothing and names every problem by its line; adding is one
transaction. A name the place already has (in any case) is not added again but reported,
so pasting the same list twice is harmless.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.text import slugify

from .audit import audit
from .diagnostics import diagnostic_create
from .invitations import invitation_create
from .models import AuditEvent, Diagnostic, Organisation, Place, Sector
from .vocabulary import sector_from_text

NAME_MAX_LENGTH = 200  # System.name, Organisation.name
LIST_MAX_LINES = 500


@dataclass(frozen=True)
class OrganisationLine:
    name: str
    sector: str


@dataclass
class ListPlan:
    """What a pasted list would add: new names, names the place has already (skipped),
    and problems (nothing is added while there are any)."""

    new: list = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _lines(text: str) -> list[tuple[int, list[str]]]:
    """Non-blank lines as cells: separated by tabs (pasted from a spreadsheet), semicolons
    or commas, whichever the first line uses; quotes as in CSV."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    first = lines[0]
    delimiter = "\t" if "\t" in first else ";" if ";" in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [
        (reader.line_num, [cell.strip() for cell in row])
        for row in reader
        if any(cell.strip() for cell in row)
    ]


def _check_name(number: int, name: str, what: str, problems: list[str]) -> bool:
    if not slugify(name):
        problems.append(f"Line {number}: enter a {what} name with at least one letter or number.")
        return False
    if len(name) > NAME_MAX_LENGTH:
        problems.append(f"Line {number}: the name is longer than {NAME_MAX_LENGTH} characters.")
        return False
    return True


def _too_long(rows: list) -> str | None:
    if len(rows) > LIST_MAX_LINES:
        return f"Paste at most {LIST_MAX_LINES} lines at a time (this list has {len(rows)})."
    return None


def systems_plan(*, place: Place, text: str) -> ListPlan:
    """One system per line (only the first cell counts, so a pasted column works)."""
    plan = ListPlan()
    rows = _lines(text)
    if problem := _too_long(rows):
        plan.problems.append(problem)
        return plan
    taken = {name.casefold(): name for name in place.systems.values_list("name", flat=True)}
    seen: set[str] = set()
    for number, cells in rows:
        name = " ".join(cells[0].split())
        if not _check_name(number, name, "system", plan.problems):
            continue
        key = name.casefold()
        if key in taken:
            plan.existing.append(taken[key])
        elif key not in seen:
            plan.new.append(name)
        seen.add(key)
    if not rows:
        plan.problems.append("Enter at least one system, one per line.")
    return plan


def organisations_plan(*, place: Place, text: str) -> ListPlan:
    """One organisation per line: its name, then its sector (public, private, voluntary or
    citizen, written as people write them: "VCSE", "Council"... see vocabulary.py)."""
    plan = ListPlan()
    rows = _lines(text)
    if problem := _too_long(rows):
        plan.problems.append(problem)
        return plan
    taken = {
        name.casefold(): (name, sector)
        for name, sector in place.organisations.values_list("name", "sector")
    }
    seen: dict[str, str] = {}
    for number, cells in rows:
        name = " ".join(cells[0].split())
        if not _check_name(number, name, "organisation", plan.problems):
            continue
        sector_text = cells[1] if len(cells) > 1 else ""
        sector = sector_from_text(sector_text)
        if sector is None:
            plan.problems.append(
                f"Line {number}: {sector_text!r} is not a sector (use public, private, "
                "voluntary or citizen)."
                if sector_text
                else f"Line {number}: give the sector of {name} after its name."
            )
            continue
        key = name.casefold()
        if key in taken:
            existing_name, existing_sector = taken[key]
            if existing_sector != sector:
                plan.problems.append(
                    f"Line {number}: {existing_name} is already recorded as "
                    f"{Sector(existing_sector).label}."
                )
            else:
                plan.existing.append(existing_name)
        elif key in seen:
            if seen[key] != sector:
                plan.problems.append(f"Line {number}: {name} is listed with two sectors.")
        else:
            seen[key] = sector
            plan.new.append(OrganisationLine(name, sector))
    if not rows:
        plan.problems.append("Enter at least one organisation, one per line.")
    return plan


def organisations_create(*, place: Place, lines: list[OrganisationLine]) -> list[Organisation]:
    with transaction.atomic():
        return Organisation.objects.bulk_create(
            Organisation(place=place, name=line.name, sector=line.sector) for line in lines
        )


# --- a new round from an earlier one ---------------------------------------------------


def setup_from(source: Diagnostic) -> dict:
    """The form's initial values for a round copied from ``source``: its systems and its
    confidentiality settings (dates and title are the new round's own)."""
    return {
        "systems": list(source.systems.values_list("pk", flat=True)),
        "attribution": source.attribution,
        "confidentiality": source.confidentiality,
        "min_group_size": source.min_group_size,
    }


def invitations_to_copy(source: Diagnostic):
    """Invitations of ``source`` worth inviting again: not revoked (erased ones are)."""
    return source.invitations.filter(revoked_at__isnull=True).select_related("organisation")


def diagnostic_create_from(
    *, place: Place, form_data: dict, actor, source: Diagnostic | None, copy_invitations: bool
) -> tuple[Diagnostic, int, int]:
    """Create a round, inviting the partners of ``source`` again if asked, all or nothing:
    the round, and how many invitations were copied and skipped."""
    with transaction.atomic():
        diagnostic = diagnostic_create(place=place, form_data=form_data, actor=actor)
        copied = skipped = 0
        if source is not None and copy_invitations:
            copied, skipped = invitations_copy(source=source, target=diagnostic, actor=actor)
    return diagnostic, copied, skipped


def invitations_copy(*, source: Diagnostic, target: Diagnostic, actor) -> tuple[int, int]:
    """Invite the partners of ``source`` to ``target`` again, with new links and nothing
    sent: (copied, skipped because none of their systems is in the new round)."""
    in_scope = set(target.systems.values_list("pk", flat=True))
    copied = skipped = 0
    with transaction.atomic():
        for invitation in invitations_to_copy(source).prefetch_related("systems"):
            systems = [s for s in invitation.systems.all() if s.pk in in_scope]
            if not systems:
                skipped += 1
                continue
            invitation_create(
                diagnostic=target,
                organisation=invitation.organisation,
                role=invitation.role,
                systems=systems,
                name=invitation.name,
                email=invitation.email,
            )
            copied += 1
        if copied:
            audit(
                AuditEvent.Action.INVITED,
                diagnostic=target,
                actor=actor,
                detail={"count": copied, "copied_from": source.slug},
            )
    return copied, skipped
