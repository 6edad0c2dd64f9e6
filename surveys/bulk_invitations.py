"""Bulk invitations: reading pasted or uploaded rows, checking them, creating them once.

- Text pasted from a spreadsheet (tab-separated), or a CSV file with commas or
  semicolons; files in UTF-8 (with or without a byte-order mark), UTF-16 or
  Windows-1252, as the response import accepts.
- At most ``MAX_ROWS`` rows (stated on the page).
- Every row is shown as it will be created. Duplicates — the same address twice for a
  system in the list, or an address already invited for that system in this round — are
  reported and not created; invalid rows are errors that stop everything.
- A checked plan is stored and consumed once (``PendingBulkInvitation``), so a reload
  or a double click on "Create" creates nothing more.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from .audit import audit
from .invitations import email_address_problem, invitation_create
from .models import (
    AuditEvent,
    Diagnostic,
    Invitation,
    Organisation,
    PendingBulkInvitation,
    System,
)
from .textfiles import decode_spreadsheet_text, delimiter_of
from .vocabulary import role_from_text, sector_from_text

MAX_ROWS = 5_000
COLUMNS = ("name", "email", "organisation", "sector", "role", "systems")
REQUIRED_COLUMNS = ("organisation", "sector", "role", "systems")

# C0 controls except tab, line feed and carriage return, DEL and C1 controls.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"[\r\n\t\u2028\u2029\u0085]+")


class BulkInputError(Exception):
    """The list as a whole cannot be read (encoding, header, too many rows)."""


def decode_upload(content: bytes) -> str:
    text = decode_spreadsheet_text(content)
    if text is None:
        raise BulkInputError("The file's text encoding could not be read. Save it as 'CSV UTF-8'.")
    return text


def _single_line(value: str) -> str:
    return " ".join(_LINE_BREAKS.sub(" ", value).split())


def parse_rows(text: str) -> tuple[list[dict[str, str]], str]:
    """Rows keyed by column name (plus ``line``), and the delimiter found."""
    text = _CONTROL_CHARACTERS.sub("", text.lstrip("\ufeff"))
    # Tab first: a list pasted from a spreadsheet.
    delimiter = delimiter_of(text, candidates=("\t", ";", ","))
    # newline="": a quoted cell may hold a line break, and a lone \r ends a line.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    positions: dict[str, int] | None = None
    rows: list[dict[str, str]] = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if positions is None:
                header = [cell.strip().lower() for cell in record]
                missing = [c for c in REQUIRED_COLUMNS if c not in header]
                if missing:
                    raise BulkInputError("The header line is missing: " + ", ".join(missing))
                positions = {name: header.index(name) for name in COLUMNS if name in header}
                continue
            if len(rows) == MAX_ROWS:
                raise BulkInputError(
                    f"The list has more than {MAX_ROWS:,} people. Split it into smaller lists."
                )
            row = {
                name: _single_line(record[i]) if i < len(record) else ""
                for name, i in positions.items()
            }
            row["line"] = str(reader.line_num)
            rows.append(row)
    except csv.Error as error:  # e.g. a cell longer than the csv module allows
        raise BulkInputError(
            f"The invitations could not be read after line {reader.line_num}: {error}"
        ) from None
    if positions is None:
        raise BulkInputError("Paste some invitations or upload a CSV file")
    return rows, delimiter


@dataclass(frozen=True)
class BulkRow:
    line: int
    name: str
    email: str
    organisation: str
    sector: str
    role: str
    systems: list[System]
    problems: list[str] = field(default_factory=list)
    # Systems left out because this address is already invited for them.
    duplicates: list[str] = field(default_factory=list)

    @property
    def will_be_created(self) -> bool:
        return not self.problems and bool(self.systems)

    @property
    def is_duplicate(self) -> bool:
        return not self.problems and not self.systems and bool(self.duplicates)

    def sector_label(self) -> str:
        from .models import Sector

        return dict(Sector.choices).get(self.sector, "")

    def role_label(self) -> str:
        from .models import Role

        return dict(Role.choices).get(self.role, "")


@dataclass(frozen=True)
class BulkPlan:
    rows: list[BulkRow]
    new_organisations: list[str]

    @property
    def errors(self) -> list[str]:
        return [f"Line {r.line}: " + "; ".join(r.problems) + "." for r in self.rows if r.problems]

    @property
    def to_create(self) -> list[BulkRow]:
        return [r for r in self.rows if r.will_be_created]

    @property
    def duplicate_rows(self) -> list[BulkRow]:
        return [r for r in self.rows if r.duplicates]


def invitations_bulk_plan(
    *, diagnostic: Diagnostic, rows: list[dict[str, str]], system_separator: str = ";"
) -> BulkPlan:
    """Check every row; every problem and duplicate names its line."""
    systems = {s.name.lower(): s for s in diagnostic.systems.all()}
    systems.update({s.slug: s for s in systems.values()})
    organisations = {o.name.lower(): o for o in diagnostic.place.organisations.all()}
    invited: set[tuple[str, int]] = {
        (email.lower(), system_id)
        for email, system_id in Invitation.objects.filter(
            diagnostic=diagnostic, revoked_at__isnull=True
        )
        .exclude(email="")
        .values_list("email", "systems")
        if system_id is not None
    }
    in_list: dict[tuple[str, int], int] = {}
    planned: list[BulkRow] = []
    new_organisations: dict[str, str] = {}
    for index, row in enumerate(rows, start=2):
        line = int(row.get("line") or index)
        problems: list[str] = []
        organisation = row.get("organisation", "")
        sector = sector_from_text(row.get("sector", ""))
        role = role_from_text(row.get("role", ""))
        email = row.get("email", "").strip()
        name = row.get("name", "")
        if not organisation:
            problems.append("the organisation is missing")
        elif len(organisation) > 200:
            problems.append("the organisation name is longer than 200 characters")
        if len(name) > 200:
            problems.append("the name is longer than 200 characters")
        if sector is None:
            problems.append(
                f"{row.get('sector', '')!r} is not a sector (use public, private, "
                "voluntary or citizen)"
            )
        existing = organisations.get(organisation.lower())
        if existing and sector and existing.sector != sector:
            problems.append(
                f"{existing.name} is already recorded as {existing.get_sector_display()}"
            )
        if not role:
            problems.append(
                f"{row.get('role', '')!r} is not a role (use frontline, manager, senior, "
                "board or service user)"
            )
        if email:
            problem = email_address_problem(email)
            if problem:
                problems.append(problem)
        chosen: list[System] = []
        names = [s.strip() for s in row.get("systems", "").split(system_separator)]
        for system_name in filter(None, names):
            system = systems.get(system_name.lower()) or systems.get(slugify(system_name))
            if system is None:
                problems.append(f"{system_name!r} is not a system in this diagnostic")
            elif system not in chosen:
                chosen.append(system)
        if not chosen and not any("system" in p for p in problems):
            problems.append("no systems given")
        duplicates: list[str] = []
        if email and not problems:
            keep = []
            for system in chosen:
                key = (email.lower(), system.pk)
                if key in invited:
                    duplicates.append(f"already invited for {system.name}")
                elif key in in_list:
                    duplicates.append(f"listed for {system.name} on line {in_list[key]}")
                else:
                    keep.append(system)
                    in_list[key] = line
            chosen = keep
        if not problems and chosen and not existing:
            new_organisations.setdefault(organisation.lower(), organisation)
        planned.append(
            BulkRow(
                line=line,
                name=name[:200],
                email=email,
                organisation=organisation,
                sector=sector or "",
                role=role or "",
                systems=chosen,
                problems=problems,
                duplicates=duplicates,
            )
        )
    return BulkPlan(rows=planned, new_organisations=list(new_organisations.values()))


def invitations_bulk_create(*, diagnostic: Diagnostic, plan: BulkPlan, actor) -> list[Invitation]:
    """Create every row the plan will create (none if it has errors)."""
    if plan.errors:
        return []
    with transaction.atomic():
        organisations = {o.name.lower(): o for o in diagnostic.place.organisations.all()}
        created = []
        for row in plan.to_create:
            organisation = organisations.get(row.organisation.lower())
            if organisation is None:
                organisation = Organisation.objects.create(
                    place=diagnostic.place, name=row.organisation, sector=row.sector
                )
                organisations[row.organisation.lower()] = organisation
            created.append(
                invitation_create(
                    diagnostic=diagnostic,
                    organisation=organisation,
                    role=row.role,
                    systems=row.systems,
                    name=row.name,
                    email=row.email,
                )
            )
        audit(
            AuditEvent.Action.INVITED,
            diagnostic=diagnostic,
            actor=actor,
            detail={"count": len(created), "duplicates": len(plan.duplicate_rows)},
        )
    return created


def plan_from_text(*, diagnostic: Diagnostic, text: str) -> BulkPlan:
    rows, delimiter = parse_rows(text)
    # With semicolons between columns, several systems are separated by commas.
    separator = "," if delimiter == ";" else ";"
    return invitations_bulk_plan(diagnostic=diagnostic, rows=rows, system_separator=separator)


def pending_bulk_create(*, diagnostic: Diagnostic, text: str, actor) -> PendingBulkInvitation:
    return PendingBulkInvitation.objects.create(
        diagnostic=diagnostic, uploaded_by=actor, source_text=text
    )


@dataclass(frozen=True)
class BulkOutcome:
    created: list[Invitation]
    already_done: bool
    created_count: int
    plan: BulkPlan | None


def pending_bulk_confirm(*, pending_id: str, diagnostic: Diagnostic, actor) -> BulkOutcome:
    """Create the invitations of a checked plan, once. The row lock makes a second,
    simultaneous confirmation wait and then find the plan consumed."""
    with transaction.atomic():
        pending = (
            PendingBulkInvitation.objects.select_for_update()
            .filter(public_id=pending_id, diagnostic=diagnostic)
            .first()
        )
        if pending is None:
            raise PendingBulkInvitation.DoesNotExist
        if pending.consumed_at is not None:
            return BulkOutcome([], True, pending.created_count, None)
        # Checked again: invitations made since the check are duplicates now.
        plan = plan_from_text(diagnostic=diagnostic, text=pending.source_text)
        if plan.errors:
            return BulkOutcome([], False, 0, plan)
        created = invitations_bulk_create(diagnostic=diagnostic, plan=plan, actor=actor)
        pending.consumed_at = timezone.now()
        pending.created_count = len(created)
        pending.source_text = ""  # names and addresses are kept only in the invitations
        pending.save(update_fields=["consumed_at", "created_count", "source_text"])
    return BulkOutcome(created, False, len(created), plan)
