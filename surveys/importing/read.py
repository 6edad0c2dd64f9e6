"""Step 1 of an import: reading a CSV or XLSX file into rows of text keyed by column
name (``parse_import_file``), with caps that refuse a crafted or oversized file before it
costs memory or time."""

from __future__ import annotations

import csv
import io
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from pathlib import PurePath
from xml.parsers import expat

from ..textfiles import decode_spreadsheet_text, delimiter_of

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
