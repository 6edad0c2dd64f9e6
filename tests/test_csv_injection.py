"""CSV formula injection beyond the first character: after a separator inside a cell
(``Good work;=cmd|' /C calc'!A0`` opened by Excel set to ";"), after leading spaces, and
in full-width forms. Every CSV the app writes goes through ``preconditions.csvsafe.csv_writer``.

A spreadsheet whose separator is not the file's loses track of the quotes at the first
quoted cell and then splits inside the text, so the check reads every file twice: as a
CSV reader honouring quotes would with each separator, and split naively on the separator
and on line breaks, each piece stripped of spaces and quotes."""

from __future__ import annotations

import csv
import io
from types import SimpleNamespace

import pytest
from django.core.management import call_command

from preconditions.csvsafe import FORMULA_PREFIXES, safe_cell
from reports import exports
from reports.exports import csv_streaming_response
from tests.factories import (
    make_diagnostic,
    make_organisation,
    make_place,
    make_response,
    make_system,
)

ATTACK = "Good work;=cmd|' /C calc'!A0"
SEPARATORS = [",", ";", "\t", "|"]


def runs_as_formula(cell: str) -> bool:
    return cell.lstrip(' \u00a0\u3000"').startswith(FORMULA_PREFIXES)


def formula_cells(text: str, separator: str) -> list[str]:
    """Every cell that would run, read both ways (see the module docstring)."""
    read = [cell for row in csv.reader(io.StringIO(text), delimiter=separator) for cell in row]
    split = [cell for line in text.splitlines() for cell in line.split(separator)]
    return [cell for cell in read + split if runs_as_formula(cell)]


@pytest.mark.parametrize(
    "text",
    [
        "＝cmd|' /C calc'!A0",  # full-width equals
        '"=1+1',  # a quote a naive reader strips
        "＋1+1",
        "－1+1",
        "＠SUM(A1)",
        "｜cmd",
        "|cmd",
        "  =1+1",  # leading spaces a spreadsheet may trim
        "\u3000=1+1",
        "\u00a0@SUM(A1)",
    ],
)
def test_formula_starts_in_other_forms_get_a_leading_apostrophe(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["Good work", "3 ＝ three", "a | b", "A - B"])
def test_text_that_only_holds_those_characters_is_left_alone(text):
    assert safe_cell(text) == text


def streamed(rows) -> str:
    response = csv_streaming_response(rows, "export.csv")
    return response.getvalue().decode("utf-8-sig")


INSIDE = [
    ATTACK,
    "Fine, =1+1",
    "Fine,  -1+1",
    'Fine;"@SUM(A1)',
    "Fine|＝1+1",
    "Fine\tfine\t+1",
    'Line one\n=HYPERLINK("http://x","y")',
    "Line one\r\n \u3000－1",
]


@pytest.mark.parametrize("separator", SEPARATORS)
def test_no_separator_inside_a_cell_starts_a_formula_cell(separator):
    text = streamed([["Quoted, first", *INSIDE, 3, "plain"]])
    assert not formula_cells(text, separator), text


def test_the_text_keeps_its_words_with_an_apostrophe_before_the_formula():
    assert streamed([[ATTACK, "A - B, 3 = three"]]) == (
        "Good work;'=cmd|' /C calc'!A0,\"A - B, 3 = three\"\r\n"
    )


@pytest.fixture
def diagnostic(framework, monkeypatch):
    monkeypatch.setattr(
        exports,
        "system_findings",
        lambda system, **_: SimpleNamespace(
            strengths=[], gaps=[], contested=[], low_visibility=[], paragraphs=[]
        ),
    )
    place = make_place()
    system = make_system(place, "Homelessness")
    # Attributed: the command may then export live figures with names (the widest output).
    diagnostic = make_diagnostic(
        place, framework, systems=[system], min_group_size=3, attribution="attributed"
    )
    council = make_organisation(place, "public", name="Council;=cmd|' /C calc'!A0")
    make_response(diagnostic, system, {"A": 4}, organisation=council, evidence={"A": ATTACK})
    return diagnostic


@pytest.mark.parametrize("separator", SEPARATORS)
def test_the_export_command_writes_no_formula_for_any_separator(diagnostic, separator, tmp_path):
    output = tmp_path / "ratings.csv"
    call_command(
        "export_results",
        diagnostic.slug,
        "--format",
        "csv",
        "--live",
        "--include-names",
        "--output",
        str(output),
        stderr=io.StringIO(),
    )
    text = output.read_text(encoding="utf-8-sig")
    assert "Good work;'=cmd" in text
    assert not formula_cells(text, separator), text


def test_the_export_command_neutralises_standard_output_too(diagnostic):
    out = io.StringIO()
    call_command("export_results", diagnostic.slug, "--format", "csv", "--live", stdout=out)
    assert "Good work;'=cmd" in out.getvalue()
    assert not formula_cells(out.getvalue(), ";"), out.getvalue()
