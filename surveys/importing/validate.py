"""Step 2 of an import: checking every row and planning what would be created
(``validate_import`` returns an ``ImportPlan``). Writes nothing, so a preview can be
shown and a bad file refused with every problem listed at once."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from preconditions.models import Framework

from ..confidentiality import respondent_label_stored
from ..models import (
    EVIDENCE_MAX_LENGTH,
    Diagnostic,
    Organisation,
    Response,
    Role,
    Score,
    Sector,
    System,
)
from ..vocabulary import role_from_text, sector_from_text
from .read import ROW_KEY

PREVIEW_ROWS = 20
NAME_MAX_LENGTH = 200  # Organisation.name, System.name, Response.respondent_label

SECTOR_HINT = "Use public, private, voluntary or citizen."
ROLE_HINT = "Use frontline, manager, senior, board or service user, or leave it empty."
RATING_HINT = "Use 1 to 5, or leave it empty for don't know."


# --- Normalising values ------------------------------------------------------------------

# C0 and C1 control characters except tab (\x09) and newline (\x0a).
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _clean_text(value: str | None) -> str:
    """Text without control characters; line breaks kept as \\n."""
    value = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_CHARACTERS.sub("", value).strip()


def _clean_line(value: str | None) -> str:
    """One line of text with runs of white space as single spaces."""
    return " ".join(_clean_text(value).split())


def _key(value: str) -> str:
    """For matching spellings: case, punctuation and '&' versus 'and' do not matter."""
    value = value.casefold().replace("&", " and ")
    return " ".join(re.sub(r"[\W_]+", " ", value).split())


def _sector(text: str) -> str | None:
    # The spellings are shared with bulk invitations; _key() also forgives punctuation.
    return sector_from_text(text) or sector_from_text(_key(text))


def _role(text: str) -> str | None:
    return role_from_text(text) or role_from_text(_key(text))


_RATING = re.compile(r"\d+(\.0*)?")
_DONT_KNOW = {"dont know", "don t know", "dk"}  # _key() of "don't know", "don’t know" too


def _quoted(value: str, limit: int = 60) -> str:
    value = " ".join(value.split())
    return f"'{value[:limit]}…'" if len(value) > limit else f"'{value}'"


# --- Validating and planning -------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int  # as the user sees it: the header is row 1
    column: str
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}, column {self.column}: {self.message}"


@dataclass(frozen=True)
class PlannedRow:
    """One row of the file, normalised: shown in the preview."""

    row: int
    respondent: str
    organisation: str
    sector: str
    role: str
    system: str
    precondition: str
    score: int | None  # None: don't know
    evidence: str

    @property
    def sector_label(self) -> str:
        return Sector(self.sector).label

    @property
    def role_label(self) -> str:
        return Role(self.role).label if self.role else ""

    @property
    def rating_label(self) -> str:
        return f"{self.score} ({Score(self.score).label})" if self.score else "Don’t know"


@dataclass(frozen=True)
class PlannedRating:
    precondition_id: int
    score: int | None  # None: don't know
    evidence: str


@dataclass(frozen=True)
class PlannedResponse:
    """One respondent's ratings of one system. An id of None means the organisation or
    system is new and is created, by name, when the plan is applied."""

    respondent: str
    organisation_id: int | None
    organisation_name: str
    sector: str
    role: str
    system_id: int | None
    system_name: str
    ratings: tuple[PlannedRating, ...]


@dataclass(frozen=True)
class NewOrganisation:
    name: str
    sector: str


@dataclass(frozen=True)
class ImportPlan:
    """What an import would create; empty apart from ``errors`` if there are any."""

    errors: list[RowError]
    diagnostic_id: int | None = None
    responses: list[PlannedResponse] = field(default_factory=list)
    preview: list[PlannedRow] = field(default_factory=list)  # the first PREVIEW_ROWS rows
    respondent_count: int = 0
    new_organisations: list[NewOrganisation] = field(default_factory=list)
    new_systems: list[str] = field(default_factory=list)
    # Systems of the place that the file names but the diagnostic does not yet include.
    linked_system_ids: list[int] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def response_count(self) -> int:
        return len(self.responses)

    @property
    def rating_count(self) -> int:
        return sum(len(r.ratings) for r in self.responses)

    @property
    def dont_know_count(self) -> int:
        return sum(1 for r in self.responses for rating in r.ratings if rating.score is None)

    @property
    def new_organisation_count(self) -> int:
        return len(self.new_organisations)

    @property
    def new_system_count(self) -> int:
        return len(self.new_systems)


@dataclass
class _Respondent:
    row: int
    label: str
    organisation_key: str
    organisation_name: str
    role: str


@dataclass
class _Group:
    """Rows of one respondent about one system: they become one Response."""

    respondent: str
    organisation_key: str
    sector: str
    role: str
    system_key: str
    ratings: list[PlannedRating] = field(default_factory=list)


@dataclass(frozen=True)
class _KnownSystem:
    pk: int
    name: str
    in_diagnostic: bool


class _Validator:
    """Checks rows one by one, then across rows. Everything it needs from the database is
    loaded up front in a handful of queries, whatever the size of the file."""

    def __init__(
        self, *, diagnostic: Diagnostic | None, framework: Framework, allow_new_systems: bool
    ) -> None:
        self.diagnostic = diagnostic
        self.allow_new_systems = allow_new_systems
        self.errors: list[RowError] = []
        self.preconditions = dict(framework.preconditions.values_list("code", "pk"))
        self.codes = sorted(self.preconditions)
        self.place_name = diagnostic.place.name if diagnostic else ""
        self.systems_by_key: dict[str, _KnownSystem] = {}
        self.system_names: dict[int, str] = {}
        self.used_system_ids: set[int] = set()
        self.diagnostic_system_names: list[str] = []
        # Existing organisations of the place by name key: (pk, name, sector).
        self.organisations: dict[str, tuple[int, str, str]] = {}
        self.imported: set[tuple[str, int]] = set()
        if diagnostic is not None:
            self._load(diagnostic)
        # Organisations met in the file: name key -> (first row, sector, name as spelt).
        self.file_organisations: dict[str, tuple[int, str, str]] = {}
        self.new_systems: dict[str, str] = {}  # key -> name as first spelt
        self.respondents: dict[str, _Respondent] = {}
        self.seen: dict[tuple[str, str, str], int] = {}  # (respondent, system, code) -> row
        self.groups: dict[tuple[str, str], _Group] = {}
        self.preview: list[PlannedRow] = []

    def _load(self, diagnostic: Diagnostic) -> None:
        in_diagnostic = set(diagnostic.systems.values_list("pk", flat=True))
        systems = System.objects.filter(place_id=diagnostic.place_id).values_list(
            "pk", "name", "slug"
        )
        for pk, name, slug in systems:
            if pk not in in_diagnostic and not self.allow_new_systems:
                continue
            known = _KnownSystem(pk=pk, name=name, in_diagnostic=pk in in_diagnostic)
            self.system_names[pk] = name
            self.systems_by_key.setdefault(_key(name), known)
            self.systems_by_key.setdefault(f"slug:{slug}", known)
            if pk in in_diagnostic:
                self.diagnostic_system_names.append(name)
        organisations = Organisation.objects.filter(place_id=diagnostic.place_id).values_list(
            "pk", "name", "sector"
        )
        for pk, name, sector in organisations:
            self.organisations.setdefault(_key(name), (pk, name, sector))
        imported = Response.objects.filter(
            diagnostic=diagnostic, source=Response.Source.IMPORT
        ).values_list("respondent_label", "system_id")
        self.imported = {(label.casefold(), system_id) for label, system_id in imported}

    def error(self, row: int, column: str, message: str) -> None:
        self.errors.append(RowError(row=row, column=column, message=message))

    # One row at a time.

    def check_row(self, number: int, row: dict[str, str]) -> None:
        errors_before = len(self.errors)
        respondent = self._name(
            number,
            row,
            "respondent",
            "Give each person a label, such as a name, initials or a number.",
        )
        organisation = self._name(number, row, "organisation", "Enter the organisation.")
        sector = self._choice(
            number, row, "sector", _sector, "is not a sector", SECTOR_HINT, allow_empty=False
        )
        role = self._choice(
            number, row, "role", _role, "is not a role", ROLE_HINT, allow_empty=True
        )
        system_key, system_name = self._system(number, row)
        code = self._precondition(number, row)
        score = self._rating(number, row)
        evidence = _clean_text(row.get("evidence"))
        if len(evidence) > EVIDENCE_MAX_LENGTH:
            self.error(
                number,
                "evidence",
                f"The evidence is {len(evidence):,} characters long. "
                f"The most is {EVIDENCE_MAX_LENGTH:,}: shorten it.",
            )
        if len(self.errors) > errors_before:
            return
        assert respondent and organisation and sector is not None and role is not None
        assert system_key and code
        if not self._check_across_rows(
            number, respondent, organisation, sector, role, system_key, system_name, code
        ):
            return
        respondent_key = respondent.casefold()
        group = self.groups.get((respondent_key, system_key))
        if group is None:
            group = self.groups[(respondent_key, system_key)] = _Group(
                respondent=self.respondents[respondent_key].label,
                organisation_key=_key(organisation),
                sector=sector,
                role=role,
                system_key=system_key,
            )
        group.ratings.append(
            PlannedRating(precondition_id=self.preconditions[code], score=score, evidence=evidence)
        )
        if len(self.preview) < PREVIEW_ROWS:
            self.preview.append(
                PlannedRow(
                    row=number,
                    respondent=respondent,
                    organisation=organisation,
                    sector=sector,
                    role=role,
                    system=system_name,
                    precondition=code,
                    score=score,
                    evidence=evidence,
                )
            )

    def _name(self, number: int, row: dict[str, str], column: str, hint: str) -> str:
        value = _clean_line(row.get(column))
        if not value:
            self.error(number, column, f"The {column} is empty. {hint}")
        elif len(value) > NAME_MAX_LENGTH:
            self.error(number, column, f"The {column} is longer than {NAME_MAX_LENGTH} characters.")
        return value

    def _choice(
        self,
        number: int,
        row: dict[str, str],
        column: str,
        normalise: Callable[[str], str | None],
        not_one: str,
        hint: str,
        *,
        allow_empty: bool,
    ) -> str | None:
        raw = _clean_line(row.get(column))
        if not raw:
            if allow_empty:
                return ""
            self.error(number, column, f"The {column} is empty. {hint}")
            return None
        code = normalise(raw)
        if code is None:
            self.error(number, column, f"{_quoted(raw)} {not_one}. {hint}")
            return None
        return str(code)

    def _system(self, number: int, row: dict[str, str]) -> tuple[str, str]:
        raw = _clean_line(row.get("system"))
        if not raw:
            self.error(number, "system", "The system is empty. Name the system rated.")
            return "", ""
        known = self.systems_by_key.get(_key(raw)) or self.systems_by_key.get(
            f"slug:{raw.casefold()}"
        )
        if known is not None:
            self.used_system_ids.add(known.pk)
            return f"id:{known.pk}", known.name
        if not self.allow_new_systems:
            names = ", ".join(self.diagnostic_system_names)
            hint = f"Use one of: {names}." if names else "This diagnostic has no systems yet."
            self.error(
                number,
                "system",
                f"{_quoted(raw)} is not one of this diagnostic's systems. {hint} "
                "Add the system to the diagnostic first, or correct the name.",
            )
            return "", ""
        if len(raw) > NAME_MAX_LENGTH:
            self.error(number, "system", f"The system is longer than {NAME_MAX_LENGTH} characters.")
            return "", ""
        key = f"new:{_key(raw)}"
        self.new_systems.setdefault(key, raw)
        return key, self.new_systems[key]

    def _precondition(self, number: int, row: dict[str, str]) -> str:
        raw = _clean_line(row.get("precondition"))
        code = raw.rstrip(".").strip().upper()
        if code in self.preconditions:
            return code
        hint = f"Use a letter from {self.codes[0]} to {self.codes[-1]}." if self.codes else ""
        if not raw:
            self.error(number, "precondition", f"The precondition is empty. {hint}")
        else:
            self.error(number, "precondition", f"{_quoted(raw)} is not a pre-condition. {hint}")
        return ""

    def _rating(self, number: int, row: dict[str, str]) -> int | None:
        raw = _clean_line(row.get("rating"))
        if not raw or _key(raw) in _DONT_KNOW:
            return None
        if _RATING.fullmatch(raw) and 1 <= int(raw.split(".")[0]) <= 5:
            return int(raw.split(".")[0])
        self.error(number, "rating", f"{_quoted(raw)} is not on the scale. {RATING_HINT}")
        return None

    # Across rows.

    def _check_across_rows(
        self,
        number: int,
        respondent: str,
        organisation: str,
        sector: str,
        role: str,
        system_key: str,
        system_name: str,
        code: str,
    ) -> bool:
        ok = True
        organisation_key = _key(organisation)
        existing = self.organisations.get(organisation_key)
        first = self.file_organisations.setdefault(organisation_key, (number, sector, organisation))
        if existing is not None and existing[2] != sector:
            ok = False
            self.error(
                number,
                "sector",
                f"{_quoted(existing[1])} is already recorded as {existing[2]} in "
                f"{self.place_name}, not {sector}. An organisation has one sector: use "
                f"{existing[2]}, or check the organisation's name.",
            )
        elif first[1] != sector:
            ok = False
            self.error(
                number,
                "sector",
                f"{_quoted(organisation)} is {first[1]} in row {first[0]} but {sector} here. "
                "An organisation has one sector.",
            )

        respondent_key = respondent.casefold()
        known = self.respondents.setdefault(
            respondent_key,
            _Respondent(number, respondent, organisation_key, organisation, role),
        )
        if known.organisation_key != organisation_key:
            ok = False
            self.error(
                number,
                "organisation",
                f"Respondent {_quoted(respondent)} is with {_quoted(known.organisation_name)} "
                f"in row {known.row}. A respondent has one organisation.",
            )
        elif known.role != role:
            ok = False
            self.error(
                number,
                "role",
                f"Respondent {_quoted(respondent)} has the role "
                f"{_quoted(known.role or 'empty')} in row {known.row}. "
                "A respondent has one role.",
            )

        seen = self.seen.setdefault((respondent_key, system_key, code), number)
        if seen != number:
            ok = False
            self.error(
                number,
                "precondition",
                f"Respondent {_quoted(respondent)} rated {code} for {_quoted(system_name)} "
                f"in row {seen} already. Keep one of rows {seen} and {number}.",
            )

        # Stored labels are pseudonyms in an anonymous round (surveys.confidentiality).
        stored_key = (
            respondent_label_stored(self.diagnostic, respondent).casefold()
            if self.imported and self.diagnostic is not None
            else respondent_key
        )
        if system_key.startswith("id:") and ((stored_key, int(system_key[3:])) in self.imported):
            # Once per respondent and system, not on every one of their rows.
            self.imported.discard((stored_key, int(system_key[3:])))
            ok = False
            self.error(
                number,
                "respondent",
                f"{_quoted(respondent)} has already been imported for "
                f"{_quoted(system_name)} in this diagnostic. Remove their rows for that "
                "system, or give them a different label if they are someone else.",
            )
        return ok

    # The plan.

    def plan(self) -> ImportPlan:
        if self.errors:
            return ImportPlan(errors=self.errors, diagnostic_id=self._diagnostic_id)
        responses = [self._planned_response(group) for group in self.groups.values()]
        new_organisations = [
            NewOrganisation(name=name, sector=sector)
            for key, (_row, sector, name) in self.file_organisations.items()
            if key not in self.organisations
        ]
        linked = {
            known.pk
            for known in self.systems_by_key.values()
            if not known.in_diagnostic and known.pk in self.used_system_ids
        }
        return ImportPlan(
            errors=[],
            diagnostic_id=self._diagnostic_id,
            responses=responses,
            preview=self.preview,
            respondent_count=len({g.respondent.casefold() for g in self.groups.values()}),
            new_organisations=new_organisations,
            new_systems=list(self.new_systems.values()),
            linked_system_ids=sorted(linked),
        )

    @property
    def _diagnostic_id(self) -> int | None:
        return self.diagnostic.pk if self.diagnostic else None

    def _planned_response(self, group: _Group) -> PlannedResponse:
        existing = self.organisations.get(group.organisation_key)
        if existing is not None:
            organisation_id, organisation_name = existing[0], existing[1]
        else:
            organisation_id = None
            organisation_name = self.file_organisations[group.organisation_key][2]
        if group.system_key.startswith("id:"):
            known_id = int(group.system_key[3:])
            system_id: int | None = known_id
            system_name = self.system_names[known_id]
        else:
            system_id, system_name = None, self.new_systems[group.system_key]
        return PlannedResponse(
            respondent=group.respondent,
            organisation_id=organisation_id,
            organisation_name=organisation_name,
            sector=group.sector,
            role=group.role,
            system_id=system_id,
            system_name=system_name,
            ratings=tuple(group.ratings),
        )


def validate_import(
    rows: Sequence[dict[str, str]],
    *,
    diagnostic: Diagnostic | None,
    framework: Framework,
    allow_new_systems: bool,
) -> ImportPlan:
    """Check every row and plan the import; writes nothing.

    With ``diagnostic`` None (a diagnostic yet to be created) nothing exists yet, so only
    the file itself is checked. Reads ``diagnostic.place``: select it first or this costs
    a query.
    """
    validator = _Validator(
        diagnostic=diagnostic, framework=framework, allow_new_systems=allow_new_systems
    )
    for index, row in enumerate(rows):
        number = int(row.get(ROW_KEY) or index + 2)
        validator.check_row(number, row)
    return validator.plan()
