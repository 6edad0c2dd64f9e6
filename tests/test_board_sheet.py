"""The Excel summary opens on a sheet a board can read: plain headings, the median, the
middle half and the number of ratings per pre-condition, what stands out, notes below;
the analyst's sheets follow."""

from __future__ import annotations

import io
import re

import openpyxl

from reports.exports import BOARD_COLUMNS, export_summary_xlsx
from tests.factories import (
    make_diagnostic_summary,
    make_precondition_summary,
    make_stats,
    make_system_summary,
)


def workbook(include_evidence: bool = True):
    b = make_precondition_summary("B", make_stats(4.5, n=14, q1=4.0, q3=5.0), evidence=["Yes"])
    housing = make_system_summary({"H": 1.5}, overrides={"B": b}, respondents=16)
    youth = make_system_summary(suppressed=True, name="Youth", slug="youth", respondents=2)
    summary = make_diagnostic_summary(housing, youth)
    # With the summary given, the diagnostic is not read.
    content = export_summary_xlsx(
        None,  # type: ignore[arg-type]
        include_evidence=include_evidence,
        summary=summary,
    )
    return openpyxl.load_workbook(io.BytesIO(content))


def rows(sheet) -> list[tuple]:
    return [tuple(v for v in row if v is not None) for row in sheet.iter_rows(values_only=True)]


def test_the_board_sheet_comes_first_and_the_analyst_sheets_follow():
    assert workbook().sheetnames == ["Board summary", "Summary", "Evidence"]
    assert workbook(include_evidence=False).sheetnames == ["Board summary", "Summary"]


def test_the_board_sheet_has_plain_headings_and_figures():
    sheet = workbook()["Board summary"]
    found = rows(sheet)
    assert found[0] == ("Round 1, Coventry",)
    assert found[1] == ("Live figures, not released",)
    assert ("Homelessness and housing (16 people responded)",) in found
    assert BOARD_COLUMNS == ("Pre-condition", "Median", "Spread (middle half)", "Responses")
    assert BOARD_COLUMNS in found
    assert ("B. Citizen-centred", 4.5, "4 to 5", 14) in found
    assert ("H. Resilient & risk embracing", 1.5, "1 to 2", 10) in found
    assert ("A. Beneficiary impact over organisational focus", 3, "2.5 to 3.5", 10) in found
    assert ("Youth (2 people responded)",) in found
    assert ("Not shown: fewer than 5 people responded about it.",) in found
    assert sheet["A1"].font.bold and sheet.column_dimensions["A"].width >= 50


def test_the_board_sheet_says_what_stands_out_and_ends_with_notes():
    found = [row[0] for row in rows(workbook()["Board summary"]) if row]
    assert "Established or embedded: B. Citizen-centred (median 4.5)." in found
    assert "Absent or emerging: H. Resilient & risk embracing (median 1.5)." in found
    notes = found[found.index("Notes") + 1 :]
    assert any(n.startswith("Median: the middle rating") for n in notes)
    assert any(n.startswith("Spread (middle half):") for n in notes)
    assert any("fewer than 5 people is hidden" in n for n in notes)
    assert found.index("Notes") > found.index("Youth (2 people responded)")


def test_the_board_sheet_has_no_analyst_codes():
    text = " ".join(str(v) for row in rows(workbook()["Board summary"]) for v in row)
    for code in ("q1", "q3", "sd", "count_1", "dont_know", "n_", "mean"):
        assert not re.search(rf"\b{code}\b", text), code
    # The analyst's sheet keeps its codes and its note on the first row.
    summary = rows(workbook()["Summary"])
    assert "q1" in summary[1] and summary[0][0].startswith("Live figures")
