"""Importing responses collected offline: paper forms from a focus group, a spreadsheet
from an earlier round.

The web upload and the ``import_responses`` command share three steps:

1. ``parse_import_file`` reads CSV or XLSX into rows of text keyed by column name.
2. ``validate_import`` checks every row and plans what would be created. It writes nothing,
   so a preview can be shown and a bad file refused with every problem listed at once.
3. ``import_apply`` creates organisations, systems, responses and ratings in one
   transaction: all or nothing.

``import_run`` does 2 and 3 under a lock on the diagnostic, so that two confirmations of
the same file (a double click, two facilitators) cannot both pass the re-import check.
The format is described for users in docs/importing.md.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import PurePath
from xml.parsers import expat

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from preconditions.models import Framework

from .confidentiality import respondent_label_stored
from .diagnostics import unique_slug
from .models import (
    EVIDENCE_MAX_LENGTH,
    AuditEvent,
    Diagnostic,
    Organisation,
    PendingImport,
    Place,
    Rating,
    Response,
    Role,
    Score,
    Sector,
    System,
)
from .textfiles import decode_spreadsheet_text, delimiter_of
from .vocabulary import role_from_text, sector_from_text

COLUMNS = (
    "respondent",
    "organisation",
    "sector",
    "role",
    "system",
    "precondition",
    "rating",
    "evidence",
)
# Role may be empty on every row and evidence is optional, so a file may leave them out.
REQUIRED_COLUMNS = tuple(c for c in COLUMNS if c not in {"role", "evidence"})
# Each parsed row also carries its row number as the user sees it (the header is row 1),
# which stays right when blank rows are skipped.
ROW_KEY = "_row"
MAX_ROWS = 20_000
# Blank rows are skipped but still read: a spreadsheet formatted down to its last row
# must not keep the server busy.
MAX_ROWS_READ = 5 * MAX_ROWS
# A small .xlsx can unzip to something huge; refuse it before openpyxl unpacks it.
MAX_XLSX_UNZIPPED_SIZE = 200 * 1024 * 1024
# Cells a file may hold, counted while streaming, before anything builds them: openpyxl
# holds a whole row in memory (a 0.4 MB workbook with one row of 4 million cells kept a
# worker busy until it was killed) and costs tens of microseconds a cell. A full file
# of MAX_ROWS ratings needs 8 cells a row; the margin is for notes columns and empty
# formatted cells. In a workbook a row counts up to its last cell (openpyxl fills gaps).
MAX_CELLS_PER_ROW = 100
MAX_CELLS = 250_000
# XML elements a workbook may hold outside the sheet read (shared strings, styles) and
# inside it (cells and what they hold), also counted while streaming.
MAX_XLSX_ELEMENTS = 4 * MAX_CELLS
PREVIEW_ROWS = 20
NAME_MAX_LENGTH = 200  # Organisation.name, System.name, Response.respondent_label
PENDING_IMPORT_MAX_AGE = timedelta(days=1)

SECTOR_HINT = "Use public, private, voluntary or citizen."
ROLE_HINT = "Use frontline, manager, senior, board or service user, or leave it empty."
RATING_HINT = "Use 1 to 5, or leave it empty for don't know."


class ImportFileError(Exception):
    """The file as a whole cannot be read: wrong type, missing columns, too many rows."""


# --- Reading the file --------------------------------------------------------------------


def parse_import_file(filename: str, content: bytes) -> list[dict[str, str]]:
    """Rows of a CSV or XLSX file as text, keyed by the lower-cased column names in
    COLUMNS (plus ROW_KEY). Extra columns are ignored and blank rows skipped."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix == ".xlsx":
        records = _xlsx_records(content)
    elif suffix in {".csv", ".txt"}:
        records = _csv_records(content)
    elif suffix == ".xls":
        raise ImportFileError(
            "The file is in the old Excel format (.xls). Save it as .xlsx or CSV and try again."
        )
    else:
        raise ImportFileError("The file must be a CSV file or an Excel file (.xlsx).")
    return _rows_from_records(records)


def _too_many_rows() -> ImportFileError:
    return ImportFileError(
        f"The file has more than {MAX_ROWS_READ:,} rows, counting blank ones. "
        "Delete the empty rows below the data, or split the file."
    )


def _too_wide(number: int) -> ImportFileError:
    return ImportFileError(
        f"Row {number} has more than {MAX_CELLS_PER_ROW} cells, counting empty ones. "
        "Delete the columns to the right of the data, or save only the ratings as CSV."
    )


def _too_many_cells() -> ImportFileError:
    return ImportFileError(
        f"The file has more than {MAX_CELLS:,} cells, counting empty ones. Delete the empty "
        "rows and columns around the data, or split the file."
    )


def _rows_from_records(records: Iterable[tuple[int, list[str]]]) -> list[dict[str, str]]:
    positions: dict[str, int] | None = None
    rows: list[dict[str, str]] = []
    cells = 0
    for number, record in records:
        if number > MAX_ROWS_READ:
            raise _too_many_rows()
        if len(record) > MAX_CELLS_PER_ROW:
            raise _too_wide(number)
        cells += len(record)
        if cells > MAX_CELLS:
            raise _too_many_cells()
        if not any(cell.strip() for cell in record):
            continue
        if positions is None:
            positions = _column_positions(record)
            continue
        if len(rows) == MAX_ROWS:
            raise ImportFileError(
                f"The file has more than {MAX_ROWS:,} rows. Split it into smaller files."
            )
        row = {
            name: record[index] if index < len(record) else "" for name, index in positions.items()
        }
        row[ROW_KEY] = str(number)
        rows.append(row)
    if positions is None:
        raise ImportFileError("The file is empty.")
    if not rows:
        raise ImportFileError("The file has column names but no rows of ratings below them.")
    return rows


def _column_positions(header: list[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = raw.strip().casefold()
        if name not in COLUMNS:
            continue
        if name in positions:
            raise ImportFileError(f"The column '{name}' appears twice in the first row.")
        positions[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in positions]
    if missing:
        quoted = " and ".join(f"'{name}'" for name in missing)
        noun = "column" if len(missing) == 1 else "columns"
        raise ImportFileError(
            f"The file has no {noun} called {quoted}. Its first row must name the columns: "
            f"{', '.join(COLUMNS)}."
        )
    return positions


def _decode(content: bytes) -> str:
    text = decode_spreadsheet_text(content)
    if text is None:
        raise ImportFileError(
            "The file's text encoding could not be read. Save it as 'CSV UTF-8' and try again."
        )
    return text


def _csv_records(content: bytes) -> Iterator[tuple[int, list[str]]]:
    if content.startswith(b"PK\x03\x04"):
        raise ImportFileError("The file is an Excel workbook: name it .xlsx, or save it as CSV.")
    text = _decode(content)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter_of(text))
    try:
        # Records, not lines: a quoted cell may span lines but is still one spreadsheet row.
        yield from enumerate(reader, start=1)
    except csv.Error as error:
        raise ImportFileError(
            f"The CSV file could not be read after row {reader.line_num}: {error}."
        ) from None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores every number as a float: 3.0 means 3
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _xlsx_records(content: bytes) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook  # only needed here; it is slow to import

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
            if unzipped > MAX_XLSX_UNZIPPED_SIZE:
                raise ImportFileError(
                    "The workbook is too large once unpacked. Save only the ratings, or as CSV."
                )
            # What openpyxl parses when it opens the workbook (shared strings, styles),
            # counted before it does.
            scan = _XlsxScan()
            for name in archive.namelist():
                with archive.open(name) as part:
                    try:
                        scan.part(name, part)
                    except expat.ExpatError:
                        if name.endswith((".xml", ".rels")):
                            raise
                        # An image or other part that is not XML: openpyxl does not parse it.
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it ignores; they do not matter here.
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except ImportFileError:
        raise
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise ImportFileError(
            "The file could not be read as an Excel workbook (.xlsx). Save it again from "
            "your spreadsheet program, or as CSV."
        ) from None
    try:
        sheet = workbook.worksheets[0]
        # The rows and cells of the sheet read, counted before openpyxl builds any row.
        # (openpyxl 3.1 keeps the sheet's part name and the open archive privately; the
        # tests of the caps fail if a new version moves them.)
        with workbook._archive.open(sheet._worksheet_path) as part:
            scan.part(sheet._worksheet_path, part, rows=True)
        # Trust the rows, not the size recorded in the file, which some programs get wrong.
        sheet.reset_dimensions()
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(value) for value in values]
    except ImportFileError:
        raise
    except Exception:
        raise ImportFileError(
            "The Excel workbook could not be read to the end. Save it again, or as CSV."
        ) from None
    finally:
        workbook.close()


class _XlsxScan:
    """Counts a workbook's XML as it streams through expat, which builds nothing, and
    stops at the first cap exceeded.

    Opening a workbook, openpyxl parses every sheet up to its ``<dimension>`` element, or
    to the end of its rows if there is none before them (a crafted file): so a sheet's
    rows are counted here unless a dimension comes first, and the sheet to import is
    counted in full before its rows are read."""

    def __init__(self) -> None:
        self.elements = 0
        self.cells = 0
        self.counted: set[str] = set()  # parts whose rows have been counted

    def part(self, name: str, source, *, rows: bool = False) -> None:
        """Count one part; its rows too if ``rows``, or if openpyxl would parse them."""
        if name in self.counted:
            return
        parser = expat.ParserCreate()
        state = {"dimension": False, "rows": False, "row": 0, "column": 0, "width": 0}

        def start(tag: str, attributes: dict[str, str]) -> None:
            self.elements += 1
            if self.elements > MAX_XLSX_ELEMENTS:
                raise ImportFileError(
                    "The workbook holds too much to read. Save only the ratings, or as CSV."
                )
            tag = tag.rpartition(":")[2]
            if tag == "dimension":
                state["dimension"] = True
            elif tag == "sheetData":
                if state["dimension"] and not rows:
                    raise _StopPart
                state["rows"] = True
                self.counted.add(name)
            elif tag == "row" and state["rows"]:
                state["row"] = _whole_number(attributes.get("r")) or state["row"] + 1
                if state["row"] > MAX_ROWS_READ:
                    raise _too_many_rows()
                state["column"] = state["width"] = 0
            elif tag == "c" and state["rows"]:
                reference = attributes.get("r")
                state["column"] = _column_number(reference) if reference else state["column"] + 1
                if state["column"] > MAX_CELLS_PER_ROW:
                    raise _too_wide(state["row"])
                state["width"] = max(state["width"], state["column"])

        def end(tag: str) -> None:
            if state["rows"] and tag.rpartition(":")[2] == "row":
                self.cells += state["width"]
                if self.cells > MAX_CELLS:
                    raise _too_many_cells()

        def doctype(*_args) -> None:
            # Spreadsheet XML never declares a DTD; refusing one rules out entity tricks.
            raise ImportFileError("The workbook contains XML that is not allowed in a workbook.")

        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.StartDoctypeDeclHandler = doctype
        try:
            while chunk := source.read(64 * 1024):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except _StopPart:
            pass


class _StopPart(Exception):
    """The rest of the part does not need counting."""


def _whole_number(text: str | None) -> int:
    try:
        return int(text or "")
    except ValueError:
        return 0


def _column_number(reference: str) -> int:
    """1 for "A1", 27 for "AA7": the column of a cell reference, however long."""
    number = 0
    for character in reference.upper():
        if not "A" <= character <= "Z":
            break
        number = number * 26 + ord(character) - ord("A") + 1
        if number > MAX_CELLS_PER_ROW:
            break  # too wide already; stop before a long reference costs time
    return number


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
            system_id: int | None = int(group.system_key[3:])
            system_name = self.system_names[system_id]
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


# --- Applying ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    responses: int
    ratings: int
    respondents: int
    organisations_created: int
    systems_created: int


def import_apply(
    plan: ImportPlan, *, diagnostic: Diagnostic, actor, filename: str = ""
) -> ImportResult:
    """Create what ``plan`` describes, all or nothing. Call it in the transaction that
    made the plan, with the diagnostic locked (as ``import_run`` does), so that nothing
    the plan relied on has changed."""
    if not plan.is_valid:
        raise ValueError("An import plan with errors cannot be applied.")
    if plan.diagnostic_id != diagnostic.pk:
        raise ValueError("The import plan was made for a different diagnostic.")
    now = timezone.now()
    place_id = diagnostic.place_id
    with transaction.atomic():
        organisation_ids: dict[str, int] = {}
        if plan.new_organisations:
            Organisation.objects.bulk_create(
                Organisation(place_id=place_id, name=o.name, sector=o.sector)
                for o in plan.new_organisations
            )
            # Looked up by name rather than trusting bulk_create to return ids everywhere.
            organisation_ids = dict(
                Organisation.objects.filter(
                    place_id=place_id, name__in=[o.name for o in plan.new_organisations]
                ).values_list("name", "pk")
            )
        system_ids: dict[str, int] = {}
        if plan.new_systems:
            taken = set(System.objects.filter(place_id=place_id).values_list("slug", flat=True))
            System.objects.bulk_create(
                System(place_id=place_id, name=name, slug=unique_slug(slugify(name), taken))
                for name in plan.new_systems
            )
            system_ids = dict(
                System.objects.filter(place_id=place_id, name__in=plan.new_systems).values_list(
                    "name", "pk"
                )
            )
        if system_ids or plan.linked_system_ids:
            diagnostic.systems.add(*system_ids.values(), *plan.linked_system_ids)

        responses = [
            Response(
                diagnostic=diagnostic,
                system_id=planned.system_id or system_ids[planned.system_name],
                organisation_id=planned.organisation_id
                or organisation_ids[planned.organisation_name],
                respondent_label=respondent_label_stored(diagnostic, planned.respondent),
                sector=planned.sector,
                role=planned.role,
                status=Response.Status.SUBMITTED,
                source=Response.Source.IMPORT,
                created_at=now,
                updated_at=now,
                submitted_at=now,
            )
            for planned in plan.responses
        ]
        if connection.features.can_return_rows_from_bulk_insert:
            Response.objects.bulk_create(responses)
        else:  # e.g. an old SQLite: ids are needed for the ratings
            for response in responses:
                response.save()
        Rating.objects.bulk_create(
            (
                Rating(
                    response=response,
                    precondition_id=rating.precondition_id,
                    score=rating.score,
                    dont_know=rating.score is None,
                    evidence=rating.evidence,
                    updated_at=now,
                )
                for response, planned in zip(responses, plan.responses, strict=True)
                for rating in planned.ratings
            ),
            batch_size=1000,
        )
        result = ImportResult(
            responses=plan.response_count,
            ratings=plan.rating_count,
            respondents=plan.respondent_count,
            organisations_created=plan.new_organisation_count,
            systems_created=plan.new_system_count,
        )
        # Counts only: never respondents' labels or evidence.
        AuditEvent.objects.create(
            diagnostic=diagnostic,
            place_id=place_id,
            actor=actor,
            action=AuditEvent.Action.IMPORTED,
            detail={
                "responses": result.responses,
                "ratings": result.ratings,
                "organisations_created": result.organisations_created,
                "systems_created": result.systems_created,
                "filename": filename[:255],
            },
        )
    return result


def import_run(
    *,
    rows: Sequence[dict[str, str]],
    diagnostic: Diagnostic,
    actor,
    filename: str,
    allow_new_systems: bool,
) -> tuple[ImportPlan, ImportResult | None]:
    """Validate and, if there are no errors, apply: the plan, and the result or None."""
    with transaction.atomic():
        # Lock the diagnostic so that imports into it run one at a time: a second
        # confirmation of the same file then sees the first one's responses and is refused.
        diagnostic = (
            Diagnostic.objects.select_for_update()
            .select_related("place", "framework")
            .get(pk=diagnostic.pk)
        )
        plan = validate_import(
            rows,
            diagnostic=diagnostic,
            framework=diagnostic.framework,
            allow_new_systems=allow_new_systems,
        )
        if not plan.is_valid:
            return plan, None
        result = import_apply(plan, diagnostic=diagnostic, actor=actor, filename=filename)
    return plan, result


# --- Uploads waiting for confirmation ----------------------------------------------------


def pending_import_create(
    *, diagnostic: Diagnostic, user, filename: str, content: bytes
) -> PendingImport:
    """Read an uploaded file once and keep its rows until the preview is confirmed.
    Raises ImportFileError if the file cannot be read at all, so that shows on the upload
    form. Replaces the user's earlier uploads to this diagnostic and clears anyone's
    abandoned ones, since they hold personal data."""
    rows = parse_import_file(filename, content)
    with transaction.atomic():
        PendingImport.objects.filter(
            Q(diagnostic=diagnostic, uploaded_by=user)
            | Q(created_at__lt=timezone.now() - PENDING_IMPORT_MAX_AGE)
        ).delete()
        return PendingImport.objects.create(
            diagnostic=diagnostic, uploaded_by=user, filename=filename[:255], rows=rows
        )


def pending_import_plan(pending: PendingImport, *, diagnostic: Diagnostic) -> ImportPlan:
    return validate_import(
        pending.rows,
        diagnostic=diagnostic,
        framework=diagnostic.framework,
        allow_new_systems=False,
    )


def pending_import_confirm(
    *, pending: PendingImport, diagnostic: Diagnostic, actor
) -> tuple[ImportPlan, ImportResult | None]:
    """Validate the rows again (the diagnostic may have changed since the preview) and
    import them. Raises PendingImport.DoesNotExist if they were confirmed meanwhile."""
    with transaction.atomic():
        locked = PendingImport.objects.select_for_update().filter(pk=pending.pk).first()
        if locked is None:
            raise PendingImport.DoesNotExist
        plan, result = import_run(
            rows=locked.rows,
            diagnostic=diagnostic,
            actor=actor,
            filename=locked.filename,
            allow_new_systems=False,
        )
        if result is not None:
            locked.delete()
    return plan, result


# --- A diagnostic for the command line ---------------------------------------------------


def diagnostic_create_for_import(
    *, title: str, place_name: str, framework: Framework
) -> Diagnostic:
    """An open diagnostic in the place called ``place_name``, creating the place if there
    is none. For the command line; audited with no actor."""
    title, place_name = _clean_line(title), _clean_line(place_name)
    if not title or not place_name:
        raise ValueError("Both a title and a place are needed.")
    now = timezone.now()
    with transaction.atomic():
        place = Place.objects.filter(name__iexact=place_name).order_by("pk").first()
        if place is None:
            taken = set(Place.objects.values_list("slug", flat=True))
            place = Place.objects.create(
                name=place_name[:NAME_MAX_LENGTH],
                slug=unique_slug(slugify(place_name) or "place", taken),
            )
            AuditEvent.objects.create(
                place=place,
                action=AuditEvent.Action.PLACE_CREATED,
                detail={"via": "import_responses"},
            )
        base = (slugify(title) or "diagnostic")[:90].strip("-")
        slug = f"{base}-{secrets.token_hex(3)}"
        while Diagnostic.objects.filter(slug=slug).exists():
            slug = f"{base}-{secrets.token_hex(3)}"
        diagnostic = Diagnostic.objects.create(
            place=place,
            title=title[:NAME_MAX_LENGTH],
            slug=slug,
            framework=framework,
            status=Diagnostic.Status.OPEN,
            opened_at=now,
        )
        AuditEvent.objects.create(
            diagnostic=diagnostic,
            place=place,
            action=AuditEvent.Action.DIAGNOSTIC_CREATED,
            detail={"via": "import_responses"},
        )
    return diagnostic
