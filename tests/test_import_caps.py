"""Uploads are read within caps counted while streaming, and read once per import.

A crafted workbook of 0.4 MB with one row of 4 million cells kept a worker busy until it
was killed: openpyxl builds a whole row (and, opening a sheet without a <dimension>, the
whole sheet) before anything could count it. The figures: ``python -m bench.uploads``.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from surveys.importing import (
    COLUMNS,
    MAX_CELLS_PER_ROW,
    ImportFileError,
    parse_import_file,
    pending_import_create,
)
from surveys.importing import read as importing_read
from surveys.models import PendingImport, Rating
from tests.factories import make_diagnostic, make_place, make_system, make_user

_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" '
    b'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    b"%(extra)s</Types>"
)
_ROOT_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?><Relationships '
    b'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8"?><workbook '
    b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?><Relationships '
    b'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/worksheet" Target="worksheets/sheet1.xml"/>%(extra)s</Relationships>'
)
_HEADER_ROW = b"<row>" + b"".join(
    b'<c t="inlineStr"><is><t>%s</t></is></c>' % name.encode() for name in COLUMNS
)


def crafted_workbook(
    sheet_data: bytes, *, dimension: bytes = b"", shared_strings: bytes | None = None
) -> bytes:
    """A workbook written by hand, as an attacker would: openpyxl writes only sane ones."""
    out = io.BytesIO()
    extra_types = extra_rels = b""
    if shared_strings is not None:
        extra_types = (
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        )
        extra_rels = (
            b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/'
            b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
        )
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES % {b"extra": extra_types})
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS % {b"extra": extra_rels})
        if shared_strings is not None:
            archive.writestr("xl/sharedStrings.xml", shared_strings)
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            b'<?xml version="1.0" encoding="UTF-8"?><worksheet '
            b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            + dimension
            + b"<sheetData>"
            + sheet_data
            + b"</sheetData></worksheet>",
        )
    return out.getvalue()


def rating_row() -> bytes:
    values = ("R1", "Council", "public", "manager", "Homelessness", "A", "3", "Seen")
    return (
        b"<row>"
        + b"".join(b'<c t="inlineStr"><is><t>%s</t></is></c>' % v.encode() for v in values)
        + b"</row>"
    )


@pytest.fixture
def openpyxl_must_not_parse_rows(monkeypatch):
    """openpyxl parses sheet XML with this function only: any call means the caps came
    too late. (A call would surface as 'could not be read', not as the cap's message.)"""

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl parsed the sheet before the caps were checked")

    monkeypatch.setattr("openpyxl.worksheet._reader.iterparse", refuse)


def test_a_crafted_workbook_is_read_like_any_other():
    content = crafted_workbook(_HEADER_ROW + b"</row>" + rating_row())
    rows = parse_import_file("offline.xlsx", content)
    assert [(r["respondent"], r["rating"], r["evidence"]) for r in rows] == [("R1", "3", "Seen")]


def test_one_row_of_a_million_cells_is_refused_before_openpyxl_reads_the_sheet(
    openpyxl_must_not_parse_rows,
):
    # No <dimension>: opening the workbook, openpyxl would parse the whole sheet.
    row = b"<row>" + b"<c><v>1</v></c>" * 1_000_000 + b"</row>"
    content = crafted_workbook(_HEADER_ROW + b"</row>" + row)
    assert len(content) < 200_000
    with pytest.raises(ImportFileError, match=f"Row 2 has more than {MAX_CELLS_PER_ROW} cells"):
        parse_import_file("offline.xlsx", content)


def test_a_sheet_with_a_dimension_is_also_counted_before_its_rows_are_read(
    openpyxl_must_not_parse_rows, monkeypatch
):
    # With a <dimension> openpyxl opens the workbook without reading the rows; they are
    # counted before it reads them. (Only the dimension lookup may use iterparse.)
    from openpyxl.worksheet import _reader

    monkeypatch.setattr(_reader.WorkSheetParser, "parse_dimensions", lambda self: None)
    row = b"<row>" + b"<c><v>1</v></c>" * (MAX_CELLS_PER_ROW + 1) + b"</row>"
    content = crafted_workbook(_HEADER_ROW + b"</row>" + row, dimension=b'<dimension ref="A1"/>')
    with pytest.raises(ImportFileError, match=f"Row 2 has more than {MAX_CELLS_PER_ROW} cells"):
        parse_import_file("offline.xlsx", content)


def test_a_row_counts_up_to_its_last_cell_since_openpyxl_fills_the_gaps(
    openpyxl_must_not_parse_rows,
):
    # Two cells, but openpyxl would build a row of 16,384 (A to XFD).
    row = b'<row r="2"><c r="A2"><v>1</v></c><c r="XFD2"><v>1</v></c></row>'
    content = crafted_workbook(_HEADER_ROW + b"</row>" + row)
    with pytest.raises(ImportFileError, match=f"Row 2 has more than {MAX_CELLS_PER_ROW} cells"):
        parse_import_file("offline.xlsx", content)


def test_cells_are_capped_in_total_too(monkeypatch, openpyxl_must_not_parse_rows):
    monkeypatch.setattr(importing_read, "MAX_CELLS", 50)
    content = crafted_workbook(_HEADER_ROW + b"</row>" + rating_row() * 6)
    with pytest.raises(ImportFileError, match="more than 50 cells, counting empty ones"):
        parse_import_file("offline.xlsx", content)


def test_a_row_number_far_below_the_data_is_refused_before_reading(openpyxl_must_not_parse_rows):
    content = crafted_workbook(_HEADER_ROW + b'</row><row r="1048576"><c><v>1</v></c></row>')
    with pytest.raises(ImportFileError, match="counting blank ones"):
        parse_import_file("offline.xlsx", content)


def test_a_huge_table_of_shared_strings_is_refused_before_openpyxl_loads_it(monkeypatch):
    monkeypatch.setattr(importing_read, "MAX_XLSX_ELEMENTS", 1000)

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl loaded the shared strings before the caps were checked")

    monkeypatch.setattr("openpyxl.reader.excel.read_string_table", refuse)
    strings = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + b"<si><t>a</t></si>" * 1000
        + b"</sst>"
    )
    content = crafted_workbook(_HEADER_ROW + b"</row>", shared_strings=strings)
    with pytest.raises(ImportFileError, match="holds too much to read"):
        parse_import_file("offline.xlsx", content)


def test_xml_with_a_document_type_is_refused():
    strings = (
        b'<!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa">]>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b"<si><t>&a;</t></si></sst>"
    )
    content = crafted_workbook(_HEADER_ROW + b"</row>" + rating_row(), shared_strings=strings)
    with pytest.raises(ImportFileError, match="not allowed in a workbook"):
        parse_import_file("offline.xlsx", content)


def test_other_sheets_are_not_held_to_the_caps_when_they_are_not_read():
    workbook = Workbook()
    workbook.active.append(list(COLUMNS))
    workbook.active.append(["R1", "Council", "public", "", "Homes", "A", 3, ""])
    # openpyxl writes a <dimension>, so opening the workbook does not read this sheet.
    workbook.create_sheet("Notes").append(list(range(MAX_CELLS_PER_ROW * 3)))
    out = io.BytesIO()
    workbook.save(out)
    assert len(parse_import_file("offline.xlsx", out.getvalue())) == 1


def test_a_csv_row_with_too_many_cells_is_refused():
    content = ",".join(COLUMNS).encode() + b"\n" + b"," * MAX_CELLS_PER_ROW + b"\n"
    with pytest.raises(ImportFileError, match=f"Row 2 has more than {MAX_CELLS_PER_ROW} cells"):
        parse_import_file("offline.csv", content)
    widest = b"R1,Council,public,,Homes,A,3," + b"," * (MAX_CELLS_PER_ROW - 8) + b"\n"
    assert len(widest.split(b",")) == MAX_CELLS_PER_ROW
    content = ",".join(COLUMNS).encode() + b"\n" + widest
    assert len(parse_import_file("offline.csv", content)) == 1


# Read once: the upload keeps the rows, and neither the preview nor the confirmation
# reads the file again.


@pytest.fixture
def facilitator(db):
    return make_user("fran")


@pytest.fixture
def diagnostic(facilitator, framework):
    place = make_place("Northbridge", facilitators=[facilitator])
    return make_diagnostic(place, framework, systems=[make_system(place, "Homelessness")])


def test_an_upload_is_read_once_and_its_rows_kept_for_the_preview_and_confirmation(
    client, facilitator, diagnostic, monkeypatch
):
    reads = []
    reader = parse_import_file
    monkeypatch.setattr(
        f"{pending_import_create.__module__}.parse_import_file",
        lambda *args: reads.append(args[0]) or reader(*args),
    )
    content = (
        ",".join(COLUMNS) + "\nR1,Northbridge Council,public,manager,Homelessness,A,3,Seen\n"
    ).encode()
    client.force_login(facilitator)
    uploaded = client.post(
        reverse("surveys:import_upload", args=[diagnostic.slug]),
        {"file": SimpleUploadedFile("group.csv", content, content_type="text/csv")},
    )
    pending = PendingImport.objects.get()
    assert pending.rows[0]["evidence"] == "Seen"
    preview_url = reverse("surveys:import_preview", args=[diagnostic.slug, pending.public_id])
    assert uploaded.url == preview_url
    assert "Check the import" in client.get(preview_url).content.decode()
    confirmed = client.post(preview_url)
    assert confirmed.status_code == 302
    assert Rating.objects.get().evidence == "Seen"
    assert reads == ["group.csv"]
