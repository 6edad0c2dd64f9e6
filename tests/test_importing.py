"""The import service: reading files, validating rows, applying the plan."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import Workbook

from surveys.importing import (
    COLUMNS,
    MAX_ROWS,
    ROW_KEY,
    ImportFileError,
    diagnostic_create_for_import,
    import_apply,
    parse_import_file,
    pending_import_confirm,
    pending_import_create,
    validate_import,
)
from surveys.models import (
    EVIDENCE_MAX_LENGTH,
    AuditEvent,
    Diagnostic,
    Organisation,
    PendingImport,
    Place,
    Rating,
    Response,
    System,
)
from tests.factories import import_row as row
from tests.factories import (
    make_diagnostic,
    make_organisation,
    make_place,
    make_system,
    make_user,
)


def csv_bytes(rows: list[dict[str, str]], *, columns=COLUMNS, delimiter=",") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def xlsx_bytes(table: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for values in table:
        sheet.append(values)
    workbook.create_sheet("Notes").append(["not", "read"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def setting(framework):
    facilitator = make_user("facilitator")
    place = make_place("Coventry", facilitators=[facilitator])
    housing = make_system(place, "Homelessness and housing")
    health = make_system(place, "Health and care")
    diagnostic = make_diagnostic(place, framework, systems=[housing, health])
    diagnostic = Diagnostic.objects.select_related("place", "framework").get(pk=diagnostic.pk)
    return diagnostic, facilitator


def plan_for(rows, diagnostic, *, allow_new_systems=False):
    return validate_import(
        rows,
        diagnostic=diagnostic,
        framework=diagnostic.framework,
        allow_new_systems=allow_new_systems,
    )


def messages(plan) -> list[str]:
    return [str(error) for error in plan.errors]


# Reading files.


def test_it_reads_csv_headers_in_any_case_and_ignores_extra_columns():
    content = b" Respondent ,ORGANISATION,Sector,Role,System,Precondition,Rating,Evidence,Notes\r\n"
    content += b"R1,Council,public,manager,Health,a,3,Seen it,ignore me\r\n"
    rows = parse_import_file("offline.csv", content)
    assert rows == [
        {
            "respondent": "R1",
            "organisation": "Council",
            "sector": "public",
            "role": "manager",
            "system": "Health",
            "precondition": "a",
            "rating": "3",
            "evidence": "Seen it",
            ROW_KEY: "2",
        }
    ]


def test_it_reads_utf8_with_a_byte_order_mark():
    content = "\ufeff".encode() + csv_bytes([row(organisation="Café Société")])
    rows = parse_import_file("offline.csv", content)
    assert rows[0]["respondent"] == "R1"
    assert rows[0]["organisation"] == "Café Société"


def test_it_falls_back_to_windows_1252_when_the_file_is_not_utf8():
    content = csv_bytes([row(evidence="It’s working – mostly")]).decode().encode("cp1252")
    rows = parse_import_file("offline.csv", content)
    assert rows[0]["evidence"] == "It’s working – mostly"


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_it_detects_commas_semicolons_and_tabs(delimiter):
    content = csv_bytes([row(evidence="one, two; three")], delimiter=delimiter)
    rows = parse_import_file("offline.csv", content)
    assert rows[0]["system"] == "Homelessness and housing"
    assert rows[0]["evidence"] == "one, two; three"


def test_a_quoted_cell_over_several_lines_is_still_one_row():
    content = csv_bytes([row(evidence="line one\nline two"), row(precondition="B")])
    rows = parse_import_file("offline.csv", content)
    assert [r[ROW_KEY] for r in rows] == ["2", "3"]
    assert rows[0]["evidence"] == "line one\nline two"


def test_it_skips_blank_rows_but_keeps_the_row_numbers_the_user_sees():
    header = ",".join(COLUMNS)
    content = f"{header}\nR1,Org,public,,Health,A,1,\n,,,,,,,\n\nR2,Org,public,,Health,A,2,\n"
    rows = parse_import_file("offline.csv", content.encode())
    assert [(r["respondent"], r[ROW_KEY]) for r in rows] == [("R1", "2"), ("R2", "5")]


def test_it_reads_the_first_sheet_of_a_workbook_with_whole_numbers_as_text():
    content = xlsx_bytes(
        [
            [c.title() for c in COLUMNS],
            ["R1", "Council", "public", "manager", "Health", "B", 3.0, None],
            [None] * 8,
            [7, "Council", "public", "manager", "Health", "C", 4, "Seen"],
        ]
    )
    rows = parse_import_file("offline.xlsx", content)
    assert [(r["respondent"], r["rating"], r["evidence"], r[ROW_KEY]) for r in rows] == [
        ("R1", "3", "", "2"),
        ("7", "4", "Seen", "4"),
    ]


def test_a_missing_column_is_named_in_the_error():
    content = (
        b"respondent,organisation,sector,role,system,precondition,evidence\nR1,O,public,,S,A,\n"
    )
    with pytest.raises(ImportFileError, match="no column called 'rating'"):
        parse_import_file("offline.csv", content)


def test_the_role_and_evidence_columns_may_be_left_out():
    columns = ("respondent", "organisation", "sector", "system", "precondition", "rating")
    rows = parse_import_file(
        "offline.csv", csv_bytes([{c: row()[c] for c in columns}], columns=columns)
    )
    assert rows[0]["rating"] == "3"
    assert "role" not in rows[0]


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("offline.pdf", b"%PDF-1.4", "must be a CSV file or an Excel file"),
        ("offline.xls", b"\xd0\xcf\x11\xe0", "old Excel format"),
        ("offline.xlsx", b"not a zip file", "could not be read as an Excel workbook"),
        ("offline.csv", b"PK\x03\x04rest", "is an Excel workbook"),
        ("offline.csv", b"", "The file is empty"),
        ("offline.csv", b"\n \n", "The file is empty"),
        ("offline.csv", ",".join(COLUMNS).encode(), "no rows of ratings"),
    ],
)
def test_files_that_cannot_be_read_are_refused_with_a_reason(filename, content, message):
    with pytest.raises(ImportFileError, match=message):
        parse_import_file(filename, content)


def test_more_than_the_maximum_number_of_rows_is_refused():
    line = b"R,O,public,,S,A,3,\n"
    content = ",".join(COLUMNS).encode() + b"\n" + line * (MAX_ROWS + 1)
    with pytest.raises(ImportFileError, match="more than 20,000 rows"):
        parse_import_file("offline.csv", content)
    assert len(parse_import_file("offline.csv", content[: -len(line)])) == MAX_ROWS


def test_a_file_of_mostly_blank_rows_is_refused_before_it_is_read_to_the_end(monkeypatch):
    monkeypatch.setattr("surveys.importing.read.MAX_ROWS_READ", 10)
    content = csv_bytes([row()]) + b",,,,,,,\n" * 20
    with pytest.raises(ImportFileError, match="more than 10 rows, counting blank ones"):
        parse_import_file("offline.csv", content)


def test_a_workbook_that_unzips_to_something_huge_is_refused(monkeypatch):
    monkeypatch.setattr("surveys.importing.read.MAX_XLSX_UNZIPPED_SIZE", 1000)
    content = xlsx_bytes([list(COLUMNS), ["R1", "O", "public", "", "S", "A", 3, "x" * 2000]])
    with pytest.raises(ImportFileError, match="too large once unpacked"):
        parse_import_file("offline.xlsx", content)


# Validating rows.


def test_a_valid_file_is_planned_as_one_response_per_respondent_and_system(setting):
    diagnostic, _ = setting
    rows = [
        row(precondition="A", rating="1"),
        row(precondition="B", rating=""),
        row(system="Health and care", precondition="A", rating="5"),
        row(respondent="R2", organisation="Shelter", sector="voluntary", role=""),
    ]
    plan = plan_for(rows, diagnostic)
    assert plan.errors == []
    assert plan.respondent_count == 2
    assert plan.response_count == 3
    assert plan.rating_count == 4
    assert plan.dont_know_count == 1
    assert [o.name for o in plan.new_organisations] == ["Coventry City Council", "Shelter"]
    assert plan.new_systems == []
    assert [(p.row, p.precondition, p.score) for p in plan.preview] == [
        (2, "A", 1),
        (3, "B", None),
        (4, "A", 5),
        (5, "A", 3),
    ]


@pytest.mark.parametrize(
    ("spelling", "sector"),
    [
        ("public", "public"),
        ("Public sector", "public"),
        ("PUBLIC", "public"),
        ("private", "private"),
        ("Private sector", "private"),
        ("business", "private"),
        ("voluntary", "voluntary"),
        ("VCSE", "voluntary"),
        ("Voluntary & community", "voluntary"),
        ("voluntary and community", "voluntary"),
        ("Voluntary and community sector (VCSE)", "voluntary"),
        ("third sector", "voluntary"),
        ("citizen", "citizen"),
        ("Citizen or service user", "citizen"),
        ("service user", "citizen"),
        ("Service users", "citizen"),
        ("resident", "citizen"),
    ],
)
def test_sectors_are_accepted_as_codes_or_labels_in_any_case(setting, spelling, sector):
    diagnostic, _ = setting
    plan = plan_for([row(sector=spelling)], diagnostic)
    assert plan.errors == []
    assert plan.responses[0].sector == sector


@pytest.mark.parametrize(
    ("spelling", "role"),
    [
        ("frontline", "frontline"),
        ("Frontline worker", "frontline"),
        ("manager", "manager"),
        ("senior", "senior"),
        ("Senior leader", "senior"),
        ("board", "board"),
        ("Board member", "board"),
        ("elected member", "board"),
        ("service user", "service_user"),
        ("service_user", "service_user"),
        ("", ""),
        ("  ", ""),
    ],
)
def test_roles_are_accepted_as_codes_or_labels_or_left_empty(setting, spelling, role):
    diagnostic, _ = setting
    plan = plan_for([row(role=spelling)], diagnostic)
    assert plan.errors == []
    assert plan.responses[0].role == role


def test_an_unknown_sector_names_the_row_and_column(setting):
    diagnostic, _ = setting
    plan = plan_for([row(), row(precondition="B", sector="Goverment")], diagnostic)
    assert messages(plan) == [
        "Row 3, column sector: 'Goverment' is not a sector. "
        "Use public, private, voluntary or citizen."
    ]
    assert plan.responses == []


def test_a_rating_off_the_scale_names_the_row_and_column(setting):
    diagnostic, _ = setting
    rows = [row(precondition=code) for code in "ABCDEFG"] + [row(precondition="H", rating="7")]
    plan = plan_for(rows, diagnostic)
    assert messages(plan) == [
        "Row 9, column rating: '7' is not on the scale. "
        "Use 1 to 5, or leave it empty for don't know."
    ]


@pytest.mark.parametrize(("rating", "score"), [("1", 1), ("5", 5), ("3.0", 3), (" ", None)])
def test_ratings_are_one_to_five_or_empty_for_dont_know(setting, rating, score):
    diagnostic, _ = setting
    plan = plan_for([row(rating=rating)], diagnostic)
    assert plan.errors == []
    assert plan.responses[0].ratings[0].score == score


@pytest.mark.parametrize("rating", ["0", "6", "2.5", "-1", "three", "3/5"])
def test_anything_else_in_the_rating_column_is_an_error(setting, rating):
    diagnostic, _ = setting
    plan = plan_for([row(rating=rating)], diagnostic)
    assert [(e.row, e.column) for e in plan.errors] == [(2, "rating")]


@pytest.mark.parametrize("code", ["H", "h", "H.", " h. "])
def test_precondition_codes_are_letters_in_any_case(setting, code):
    diagnostic, _ = setting
    plan = plan_for([row(precondition=code)], diagnostic)
    assert plan.errors == []
    assert plan.preview[0].precondition == "H"


@pytest.mark.parametrize("code", ["J", "", "AB", "1"])
def test_an_unknown_precondition_code_is_an_error(setting, code):
    diagnostic, _ = setting
    plan = plan_for([row(precondition=code)], diagnostic)
    assert [(e.row, e.column) for e in plan.errors] == [(2, "precondition")]
    assert "Use a letter from A to I." in plan.errors[0].message


@pytest.mark.parametrize("column", ["respondent", "organisation", "sector", "system"])
def test_the_respondent_organisation_sector_and_system_must_not_be_empty(setting, column):
    diagnostic, _ = setting
    plan = plan_for([row(**{column: " "})], diagnostic)
    assert [(e.row, e.column) for e in plan.errors] == [(2, column)]
    assert f"The {column} is empty." in plan.errors[0].message


def test_an_unknown_role_is_an_error(setting):
    diagnostic, _ = setting
    plan = plan_for([row(role="Chief")], diagnostic)
    assert messages(plan) == [
        "Row 2, column role: 'Chief' is not a role. "
        "Use frontline, manager, senior, board or service user, or leave it empty."
    ]


def test_systems_match_the_diagnostics_systems_by_name_in_any_case_or_by_slug(setting):
    diagnostic, _ = setting
    housing = diagnostic.systems.get(name="Homelessness and housing")
    rows = [
        row(system="homelessness AND housing", precondition="A"),
        row(system=housing.slug, precondition="B"),
    ]
    plan = plan_for(rows, diagnostic)
    assert plan.errors == []
    assert [(r.system_id, len(r.ratings)) for r in plan.responses] == [(housing.pk, 2)]


def test_a_system_not_in_the_diagnostic_is_an_error_unless_new_systems_are_allowed(setting):
    diagnostic, _ = setting
    plan = plan_for([row(system="Education")], diagnostic)
    assert [(e.row, e.column) for e in plan.errors] == [(2, "system")]
    assert "'Education' is not one of this diagnostic's systems" in plan.errors[0].message
    assert "Health and care, Homelessness and housing" in plan.errors[0].message

    plan = plan_for([row(system="Education")], diagnostic, allow_new_systems=True)
    assert plan.errors == []
    assert plan.new_systems == ["Education"]


def test_a_system_of_the_place_outside_the_diagnostic_is_linked_not_created(setting):
    diagnostic, _ = setting
    education = make_system(diagnostic.place, "Education")
    plan = plan_for([row(system="education")], diagnostic, allow_new_systems=True)
    assert plan.new_systems == []
    assert plan.linked_system_ids == [education.pk]
    assert plan_for([row(system="education")], diagnostic).errors  # not without permission


def test_evidence_longer_than_the_maximum_is_an_error(setting):
    diagnostic, _ = setting
    ok = plan_for([row(evidence="x" * EVIDENCE_MAX_LENGTH)], diagnostic)
    too_long = plan_for([row(evidence="x" * (EVIDENCE_MAX_LENGTH + 1))], diagnostic)
    assert ok.errors == []
    assert [(e.row, e.column) for e in too_long.errors] == [(2, "evidence")]


def test_a_repeated_rating_names_both_rows(setting):
    diagnostic, _ = setting
    rows = [row(precondition="A"), row(precondition="B"), row(precondition="a", rating="4")]
    plan = plan_for(rows, diagnostic)
    assert [(e.row, e.column) for e in plan.errors] == [(4, "precondition")]
    assert "row 2" in plan.errors[0].message
    assert "rows 2 and 4" in plan.errors[0].message


def test_an_organisation_with_two_sectors_in_the_file_is_an_error(setting):
    diagnostic, _ = setting
    rows = [row(), row(respondent="R2", organisation="coventry city council", sector="private")]
    plan = plan_for(rows, diagnostic)
    assert [(e.row, e.column) for e in plan.errors] == [(3, "sector")]
    assert "public in row 2 but private here" in plan.errors[0].message


def test_a_sector_conflicting_with_an_existing_organisation_is_an_error(setting):
    diagnostic, _ = setting
    make_organisation(diagnostic.place, "public", name="Coventry City Council")
    plan = plan_for([row(sector="voluntary")], diagnostic)
    assert [(e.row, e.column) for e in plan.errors] == [(2, "sector")]
    assert "already recorded as public in Coventry" in plan.errors[0].message


def test_a_respondent_with_two_organisations_is_an_error(setting):
    diagnostic, _ = setting
    plan = plan_for([row(), row(precondition="B", organisation="Shelter")], diagnostic)
    assert [(e.row, e.column) for e in plan.errors] == [(3, "organisation")]


def test_existing_organisations_are_matched_in_any_case_and_not_created_again(setting):
    diagnostic, _ = setting
    council = make_organisation(diagnostic.place, "public", name="Coventry City Council")
    plan = plan_for([row(organisation="COVENTRY CITY COUNCIL")], diagnostic)
    assert plan.new_organisations == []
    assert plan.responses[0].organisation_id == council.pk


def test_every_problem_in_the_file_is_reported_at_once(setting):
    diagnostic, _ = setting
    rows = [row(sector="nope", rating="9"), row(respondent="", precondition="Z")]
    plan = plan_for(rows, diagnostic)
    assert [(e.row, e.column) for e in plan.errors] == [
        (2, "sector"),
        (2, "rating"),
        (3, "respondent"),
        (3, "precondition"),
    ]


def test_control_characters_are_stripped_from_text_but_line_breaks_kept(setting):
    diagnostic, _ = setting
    plan = plan_for(
        [row(respondent="R\x001", evidence="first\x07 line\r\nsecond\tline\x1b")], diagnostic
    )
    assert plan.responses[0].respondent == "R1"
    assert plan.responses[0].ratings[0].evidence == "first line\nsecond\tline"


def test_validation_needs_the_same_few_queries_for_any_size_of_file(
    setting, django_assert_num_queries
):
    diagnostic, _ = setting
    small = [row(respondent="R1", precondition=code) for code in "ABC"]
    large = [
        row(respondent=f"R{n}", organisation=f"Org {n % 7}", precondition=code)
        for n in range(60)
        for code in "ABCDEFGHI"
    ]
    with django_assert_num_queries(5):
        plan_for(small, diagnostic)
    with django_assert_num_queries(5):
        assert plan_for(large, diagnostic).rating_count == 540


def test_a_new_diagnostic_checks_the_file_on_its_own(framework):
    plan = validate_import(
        [row(), row(system="Education", rating="x")],
        diagnostic=None,
        framework=framework,
        allow_new_systems=True,
    )
    assert [(e.row, e.column) for e in plan.errors] == [(3, "rating")]


# Applying the plan.


def test_applying_creates_submitted_imported_responses_and_their_ratings(setting):
    diagnostic, facilitator = setting
    # Attributed, so the labels are kept as written (anonymous rounds keep pseudonyms:
    # tests/test_confidentiality.py).
    Diagnostic.objects.filter(pk=diagnostic.pk).update(attribution="attributed")
    diagnostic.refresh_from_db()
    rows = [
        row(precondition="A", rating="2", evidence="Partners meet monthly."),
        row(precondition="B", rating=""),
        row(respondent="R2", organisation="Shelter", sector="VCSE", role="", rating="4"),
    ]
    result = import_apply(
        plan_for(rows, diagnostic), diagnostic=diagnostic, actor=facilitator, filename="a.csv"
    )
    assert (result.responses, result.ratings, result.organisations_created) == (2, 3, 2)

    responses = Response.objects.filter(diagnostic=diagnostic).order_by("respondent_label")
    first, second = responses
    assert first.respondent_label == "R1"
    assert first.source == Response.Source.IMPORT
    assert first.status == Response.Status.SUBMITTED
    assert first.submitted_at is not None
    assert first.invitation is None
    assert (first.organisation.name, first.sector, first.role) == (
        "Coventry City Council",
        "public",
        "manager",
    )
    assert (second.organisation.sector, second.sector, second.role) == (
        "voluntary",
        "voluntary",
        "",
    )
    ratings = {
        r.precondition.code: (r.score, r.dont_know, r.evidence)
        for r in Rating.objects.filter(response=first)
    }
    assert ratings == {"A": (2, False, "Partners meet monthly."), "B": (None, True, "")}


def test_applying_records_counts_in_the_audit_but_never_evidence(setting):
    diagnostic, facilitator = setting
    plan = plan_for([row(evidence="Secret story about a named person.")], diagnostic)
    import_apply(plan, diagnostic=diagnostic, actor=facilitator, filename="focus-group.csv")
    event = AuditEvent.objects.get(action=AuditEvent.Action.IMPORTED)
    assert event.actor == facilitator
    assert event.diagnostic == diagnostic
    assert event.detail["responses"] == 1
    assert event.detail["ratings"] == 1
    assert event.detail["filename"] == "focus-group.csv"
    assert "Secret" not in str(event.detail)
    assert "R1" not in str(event.detail)


def test_new_systems_get_unique_slugs_and_join_the_diagnostic(setting):
    diagnostic, facilitator = setting
    make_system(diagnostic.place, "Older")  # not in the diagnostic
    System.objects.filter(name="Older").update(slug="education-skills")
    plan = plan_for([row(system="Education & skills")], diagnostic, allow_new_systems=True)
    result = import_apply(plan, diagnostic=diagnostic, actor=facilitator)
    assert result.systems_created == 1
    education = System.objects.get(place=diagnostic.place, name="Education & skills")
    assert education.slug == "education-skills-2"
    assert diagnostic.systems.filter(pk=education.pk).exists()


def test_a_plan_with_errors_or_for_another_diagnostic_cannot_be_applied(setting, framework):
    diagnostic, facilitator = setting
    with pytest.raises(ValueError, match="errors"):
        import_apply(plan_for([row(rating="9")], diagnostic), diagnostic=diagnostic, actor=None)
    other = make_diagnostic(diagnostic.place, framework)
    with pytest.raises(ValueError, match="different diagnostic"):
        import_apply(plan_for([row()], diagnostic), diagnostic=other, actor=None)


def test_importing_the_same_respondents_again_is_refused(setting):
    diagnostic, facilitator = setting
    rows = [row(precondition=code) for code in "ABC"] + [row(respondent="R2")]
    import_apply(plan_for(rows, diagnostic), diagnostic=diagnostic, actor=facilitator)
    again = plan_for(rows, diagnostic)
    # Once for each respondent and system, not on every row.
    assert [(e.row, e.column) for e in again.errors] == [(2, "respondent"), (5, "respondent")]
    assert "'R1' has already been imported" in again.errors[0].message
    # A different system for the same respondent is new information, so it is allowed.
    assert plan_for([row(system="Health and care")], diagnostic).errors == []


def test_applying_is_all_or_nothing(setting, monkeypatch):
    diagnostic, facilitator = setting
    plan = plan_for([row(), row(respondent="R2", organisation="Shelter")], diagnostic)

    def fail(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Rating.objects, "bulk_create", fail)
    with pytest.raises(RuntimeError):
        import_apply(plan, diagnostic=diagnostic, actor=facilitator)
    assert not Response.objects.exists()
    assert not Organisation.objects.exists()
    assert not AuditEvent.objects.exists()


def test_applying_inserts_in_batches_rather_than_row_by_row(setting):
    diagnostic, facilitator = setting
    large = [
        row(respondent=f"R{n}", organisation=f"Org {n % 7}", precondition=code)
        for n in range(60)
        for code in "ABCDEFGHI"
    ]
    plan = plan_for(large, diagnostic)
    with CaptureQueriesContext(connection) as queries:
        import_apply(plan, diagnostic=diagnostic, actor=facilitator)
    assert Rating.objects.count() == 540
    rating_inserts = [q for q in queries if 'INSERT INTO "surveys_rating"' in q["sql"]]
    # SQLite limits the parameters of one statement, so its batches are smaller.
    assert len(rating_inserts) <= 540 // 100
    assert len(queries) - len(rating_inserts) <= 8


# Uploads waiting for confirmation.


def test_a_new_upload_replaces_the_users_earlier_one_and_clears_abandoned_ones(setting):
    diagnostic, facilitator = setting
    other = make_user()
    content = csv_bytes([row()])
    first = pending_import_create(
        diagnostic=diagnostic, user=facilitator, filename="a.csv", content=content
    )
    others = pending_import_create(
        diagnostic=diagnostic, user=other, filename="b.csv", content=content
    )
    abandoned = pending_import_create(
        diagnostic=make_diagnostic(diagnostic.place, diagnostic.framework),
        user=other,
        filename="c.csv",
        content=content,
    )
    PendingImport.objects.filter(pk=abandoned.pk).update(
        created_at=timezone.now() - timedelta(days=2)
    )
    second = pending_import_create(
        diagnostic=diagnostic, user=facilitator, filename="d.csv", content=content
    )
    assert set(PendingImport.objects.values_list("pk", flat=True)) == {others.pk, second.pk}
    assert first.pk != second.pk


def test_an_unreadable_upload_is_not_kept(setting):
    diagnostic, facilitator = setting
    with pytest.raises(ImportFileError):
        pending_import_create(
            diagnostic=diagnostic, user=facilitator, filename="a.csv", content=b"nonsense\n1\n"
        )
    assert not PendingImport.objects.exists()


def test_confirming_imports_once_and_a_second_confirmation_finds_nothing(setting):
    diagnostic, facilitator = setting
    pending = pending_import_create(
        diagnostic=diagnostic, user=facilitator, filename="a.csv", content=csv_bytes([row()])
    )
    plan, result = pending_import_confirm(pending=pending, diagnostic=diagnostic, actor=facilitator)
    assert result is not None and result.ratings == 1
    assert not PendingImport.objects.exists()
    with pytest.raises(PendingImport.DoesNotExist):
        pending_import_confirm(pending=pending, diagnostic=diagnostic, actor=facilitator)
    assert Rating.objects.count() == 1


# A diagnostic for the command line.


def test_a_diagnostic_for_import_is_open_in_a_new_or_existing_place(framework):
    first = diagnostic_create_for_import(
        title="Focus group, May", place_name="Coventry", framework=framework
    )
    assert first.status == Diagnostic.Status.OPEN
    assert first.opened_at is not None
    assert first.place.name == "Coventry"
    assert first.slug.startswith("focus-group-may-")
    assert len(first.slug) == len("focus-group-may-") + 6

    second = diagnostic_create_for_import(
        title="Focus group, May", place_name="coventry", framework=framework
    )
    assert second.place == first.place
    assert second.slug != first.slug
    assert Place.objects.count() == 1


def test_a_new_place_gets_a_slug_no_other_place_has(framework):
    make_place("Elsewhere").__class__.objects.update(slug="coventry")
    diagnostic = diagnostic_create_for_import(
        title="Round 1", place_name="Coventry", framework=framework
    )
    assert diagnostic.place.slug == "coventry-2"
