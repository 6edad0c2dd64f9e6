"""JSON, CSV and Excel exports: their shape, round trips, names and formula injection."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

import openpyxl
import pandas as pd
import pytest

from preconditions.csvsafe import csv_cell, safe_cell
from reports import exports
from reports.aggregate import SECTORS, diagnostic_summary
from reports.exports import (
    RATING_COLUMNS,
    SUMMARY_COLUMNS,
    csv_streaming_response,
    export_csv_rows,
    export_json,
    export_xlsx,
)
from tests.factories import (
    make_diagnostic,
    make_invitation,
    make_organisation,
    make_place,
    make_response,
    make_responses,
    make_system,
)

INJECTIONS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1:A2)"]


@dataclass(frozen=True)
class FakeFindings:
    strengths: list[str]
    gaps: list[str]
    contested: list[str]
    low_visibility: list[str]
    paragraphs: list[str]


@pytest.fixture
def findings(monkeypatch):
    """Fixed findings, so these tests do not depend on the narrative's rules."""

    def fake_findings(system, **_):
        if system.suppressed:
            return FakeFindings([], [], [], [], ["Too few people responded."])
        return FakeFindings(["A"], ["E"], [], ["B"], [f"About {system.name}."])

    monkeypatch.setattr(exports, "system_findings", fake_findings)


@pytest.fixture
def diagnostic(framework):
    """Homelessness: 7 people from two sectors (k = 3). Care: 2 people, so hidden."""
    place = make_place()
    homelessness = make_system(place, "Homelessness")
    care = make_system(place, "Adult social care")
    diagnostic = make_diagnostic(place, framework, systems=[homelessness, care], min_group_size=3)
    council = make_organisation(place, "public", name="Northtown Council")
    invitation = make_invitation(
        diagnostic,
        organisation=council,
        systems=[homelessness],
        name="Pat Partner",
        email="pat@example.org",
    )
    make_response(
        diagnostic,
        homelessness,
        {"A": 4, "B": 2, "E": None},
        organisation=council,
        invitation=invitation,
        evidence={"A": INJECTIONS[0], "B": INJECTIONS[1], "E": "Plain words, café"},
    )
    make_responses(
        diagnostic,
        homelessness,
        [{"A": 5, "B": 3, "E": 1}, {"A": 3, "B": None, "E": 2}, {"A": 4, "B": 2, "E": 2}],
        organisation=council,
    )
    make_responses(
        diagnostic,
        homelessness,
        [{"A": 2, "B": 4, "E": 5}, {"A": 1, "B": 4, "E": 4}, {"A": 2, "B": 5, "E": None}],
        sector="citizen",
        role="service_user",
    )
    make_response(diagnostic, homelessness, {"A": 3}, submitted=False)  # a draft: left out
    make_responses(diagnostic, care, [{"A": 5}, {"A": 1}], sector="private")
    tricky = make_organisation(place, "voluntary", name="=cmd|'/c calc'!A0")
    make_response(
        diagnostic,
        homelessness,
        {"I": 3},
        organisation=tricky,
        evidence={"I": INJECTIONS[2] + "\n" + INJECTIONS[3]},
    )
    make_response(diagnostic, homelessness, {"I": 4}, evidence={"I": INJECTIONS[3]})
    return diagnostic


def csv_text(diagnostic, **options) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(export_csv_rows(diagnostic, **options))
    return buffer.getvalue()


def read_csv(diagnostic, **options) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(csv_text(diagnostic, **options)), keep_default_na=False)


# --- safe_cell -----------------------------------------------------------------------


@pytest.mark.parametrize("text", [*INJECTIONS, "\tindented", "\rreturn"])
def test_text_a_spreadsheet_would_run_gets_a_leading_apostrophe(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Plain words", "", "3 = three", 3, -2, 2.5, None, True])
def test_other_cells_are_left_alone(value):
    assert safe_cell(value) == value


# --- JSON ----------------------------------------------------------------------------


def test_json_has_exactly_the_documented_keys(diagnostic, findings):
    data = export_json(diagnostic)

    assert set(data) == {"diagnostic", "min_group_size", "release", "previous_round", "systems"}
    assert data["release"] is None  # live figures: exports of a release name it
    assert (data["diagnostic"], data["min_group_size"]) == (diagnostic.slug, 3)
    for system in data["systems"]:
        assert set(system) == {
            "name",
            "slug",
            "respondents",
            "preconditions",
            "strengths",
            "gaps",
            "contested",
            "low_visibility",
            "narrative",
            "actions",
        }
        assert system["actions"] == []  # documented: every system has the key
        for p in system["preconditions"]:
            assert set(p) == {
                "code",
                "title",
                "n",
                "dont_know",
                "mean",
                "median",
                "sd",
                "q1",
                "q3",
                "counts",
                "by_sector",
            }
            assert list(p["counts"]) == ["1", "2", "3", "4", "5"]
            assert list(p["by_sector"]) == list(SECTORS)
            for cell in p["by_sector"].values():
                assert cell is None or set(cell) == {"n", "mean", "median"}
    json.dumps(data)  # plain JSON types only


def test_json_numbers_are_the_summary_numbers(diagnostic, findings):
    data = export_json(diagnostic)
    homelessness = next(s for s in data["systems"] if s["name"] == "Homelessness")
    a = homelessness["preconditions"][0]

    # A: 4 5 3 4 from the council, 2 1 2 from citizens. 9 people: 7 rated A, 2 only I.
    assert homelessness["respondents"] == 9
    assert (a["code"], a["n"], a["dont_know"]) == ("A", 7, 0)
    assert (a["mean"], a["median"], a["q1"], a["q3"]) == (3.0, 3.0, 2.0, 4.0)
    assert a["sd"] == 1.41  # statistics.stdev([4, 5, 3, 4, 2, 1, 2]) = 1.414...
    assert a["counts"] == {"1": 1, "2": 2, "3": 1, "4": 2, "5": 1}
    assert a["by_sector"]["public"] == {"n": 4, "mean": 4.0, "median": 4.0}
    assert a["by_sector"]["citizen"] == {"n": 3, "mean": 1.67, "median": 2.0}
    assert homelessness["strengths"] == ["A"]
    assert homelessness["narrative"] == ["About Homelessness."]


def test_a_suppressed_breakdown_is_null_in_json(diagnostic, findings):
    homelessness = next(
        s for s in export_json(diagnostic)["systems"] if s["name"] == "Homelessness"
    )
    i = next(p for p in homelessness["preconditions"] if p["code"] == "I")

    # I: one voluntary and one public rating, each below k.
    assert i["n"] == 2
    assert i["by_sector"] == dict.fromkeys(SECTORS)


def test_a_suppressed_system_keeps_its_keys_with_null_numbers(diagnostic, findings):
    care = next(s for s in export_json(diagnostic)["systems"] if s["name"] == "Adult social care")

    assert care["respondents"] == 2
    assert care["narrative"] == ["Too few people responded."]
    for p in care["preconditions"]:
        numbers = [p[key] for key in ("n", "dont_know", "mean", "median", "sd", "q1", "q3")]
        assert numbers == [None] * 7
        assert p["counts"] == dict.fromkeys(["1", "2", "3", "4", "5"])
        assert p["by_sector"] == dict.fromkeys(SECTORS)


def test_json_uses_the_narratives_findings(diagnostic):
    pytest.importorskip("reports.narrative")

    data = export_json(diagnostic)

    for system in data["systems"]:
        for key in ("strengths", "gaps", "contested", "low_visibility", "narrative"):
            assert isinstance(system[key], list)
        assert all(isinstance(paragraph, str) for paragraph in system["narrative"])


def test_json_never_holds_names_emails_or_evidence(diagnostic, findings):
    text = json.dumps(export_json(diagnostic))

    for private in ("Pat Partner", "pat@example.org", "Northtown Council", "Plain words"):
        assert private not in text


# --- CSV -----------------------------------------------------------------------------


def test_csv_has_the_documented_header_and_one_row_per_rating(diagnostic):
    rows = list(export_csv_rows(diagnostic))

    assert rows[0] == list(RATING_COLUMNS)
    # Homelessness 7 x 3 ratings + 2 for I; care 2; not the draft.
    assert len(rows) - 1 == 7 * 3 + 2 + 2
    assert all(isinstance(cell, str) for row in rows for cell in row)


def test_csv_reads_back_to_the_summary_numbers(diagnostic):
    frame = read_csv(diagnostic)
    summary = diagnostic_summary(diagnostic)
    homelessness = next(s for s in summary.systems if s.name == "Homelessness")

    for p in homelessness.preconditions:
        rows = frame[(frame["system"] == "Homelessness") & (frame["precondition"] == p.code)]
        scores = pd.to_numeric(rows["score"], errors="coerce").dropna()
        assert len(scores) == p.overall.n
        assert int(rows["dont_know"].sum()) == p.overall.dont_know
        if p.overall.n:
            assert round(scores.mean(), 2) == p.overall.mean
            assert round(scores.median(), 2) == p.overall.median


def test_csv_leaves_the_score_empty_for_dont_know(diagnostic):
    frame = read_csv(diagnostic)

    dont_know = frame[frame["dont_know"]]
    assert len(dont_know) == 3
    assert (dont_know["score"] == "").all()


def test_csv_neutralises_formulas_in_every_text_cell(diagnostic):
    rows = list(export_csv_rows(diagnostic, include_names=True))

    cells = [cell for row in rows[1:] for cell in row]
    for injection in INJECTIONS:
        assert injection not in cells
    assert "'" + INJECTIONS[0] in cells
    assert "'" + INJECTIONS[1] in cells
    assert "'" + INJECTIONS[2] + "\n" + INJECTIONS[3] in cells
    assert "'" + INJECTIONS[3] in cells
    assert "'=cmd|'/c calc'!A0" in cells
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]


def test_csv_has_no_names_unless_asked(diagnostic):
    text = csv_text(diagnostic)

    assert "respondent" not in text.splitlines()[0]
    for private in ("Pat Partner", "pat@example.org", "Northtown Council"):
        assert private not in text


def test_csv_adds_respondent_and_organisation_when_asked_but_never_emails(diagnostic):
    frame = read_csv(diagnostic, include_names=True)

    assert list(frame.columns) == [*RATING_COLUMNS, "respondent", "organisation"]
    assert "Pat Partner" in set(frame["respondent"])
    assert "Northtown Council" in set(frame["organisation"])
    assert "pat@example.org" not in csv_text(diagnostic, include_names=True)


def test_the_streaming_response_is_utf8_with_a_byte_order_mark(diagnostic):
    response = csv_streaming_response(export_csv_rows(diagnostic), "results.csv")

    body = b"".join(response.streaming_content)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="results.csv"'
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(RATING_COLUMNS)
    assert "café" in text
    # The writer also neutralises formulas after a separator inside a cell (csv_cell).
    assert list(csv.reader(io.StringIO(text))) == [
        [csv_cell(value) for value in row] for row in export_csv_rows(diagnostic)
    ]


# --- Excel ---------------------------------------------------------------------------


def test_excel_ratings_read_back_to_the_csv(diagnostic):
    workbook = io.BytesIO(export_xlsx(diagnostic))
    ratings = pd.read_excel(workbook, sheet_name="Ratings")
    from_csv = read_csv(diagnostic)

    assert list(ratings.columns) == list(RATING_COLUMNS)
    assert len(ratings) == len(from_csv)
    assert ratings["score"].tolist() == pytest.approx(
        pd.to_numeric(from_csv["score"], errors="coerce").tolist(), nan_ok=True
    )
    assert ratings["dont_know"].tolist() == from_csv["dont_know"].tolist()
    assert ratings["evidence"].fillna("").tolist() == from_csv["evidence"].tolist()


def test_excel_summary_reads_back_to_the_summary_numbers(diagnostic):
    workbook = io.BytesIO(export_xlsx(diagnostic))
    sheet = pd.read_excel(workbook, sheet_name="Summary", skiprows=1)
    summary = diagnostic_summary(diagnostic)

    assert list(sheet.columns) == list(SUMMARY_COLUMNS)
    assert len(sheet) == 2 * 9
    for system in summary.systems:
        for p in system.preconditions:
            row = sheet[(sheet["system"] == system.name) & (sheet["code"] == p.code)].iloc[0]
            if p.overall is None:
                assert row[list(SUMMARY_COLUMNS[3:])].isna().all()
                continue
            assert row["n"] == p.overall.n
            assert row["dont_know"] == p.overall.dont_know
            for column in ("mean", "median", "sd", "q1", "q3", "min", "max"):
                expected = getattr(p.overall, column)
                assert (pd.isna(row[column]) and expected is None) or row[column] == expected
            for point, count in p.overall.counts.items():
                assert row[f"count_{point}"] == count


def test_excel_summary_starts_with_a_note_on_hidden_groups(diagnostic):
    workbook = openpyxl.load_workbook(io.BytesIO(export_xlsx(diagnostic)), read_only=True)

    note = next(workbook["Summary"].iter_rows(max_row=1, values_only=True))[0]
    assert "fewer than 3" in note
    assert "hidden" in note


def test_excel_neutralises_formulas_in_every_text_cell(diagnostic):
    workbook = openpyxl.load_workbook(
        io.BytesIO(export_xlsx(diagnostic, include_names=True)), read_only=True
    )

    cells = [
        cell
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if isinstance(cell, str)
    ]
    assert "'" + INJECTIONS[0] in cells
    assert "'=cmd|'/c calc'!A0" in cells
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]
    # No cell was stored as a formula either.
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            assert all(getattr(cell, "data_type", "s") != "f" for cell in row)


def test_excel_has_no_names_unless_asked(diagnostic):
    workbook = openpyxl.load_workbook(io.BytesIO(export_xlsx(diagnostic)), read_only=True)

    cells = {
        cell
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
    }
    for private in ("Pat Partner", "pat@example.org", "Northtown Council"):
        assert private not in cells
    assert next(workbook["Ratings"].iter_rows(max_row=1, values_only=True)) == RATING_COLUMNS


def test_excel_drops_control_characters_the_format_forbids(framework):
    place = make_place()
    system = make_system(place)
    diagnostic = make_diagnostic(place, framework, systems=[system], min_group_size=3)
    make_response(diagnostic, system, {"A": 3}, evidence={"A": "bell\x07 and\x1b escape"})

    ratings = pd.read_excel(io.BytesIO(export_xlsx(diagnostic)), sheet_name="Ratings")

    assert ratings["evidence"].tolist() == ["bell and escape"]
