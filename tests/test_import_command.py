"""manage.py import_responses: the command-line import, all or nothing."""

from __future__ import annotations

import csv
import io
import random
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from surveys.importing import COLUMNS
from surveys.models import (
    EVIDENCE_MAX_LENGTH,
    AuditEvent,
    Diagnostic,
    Organisation,
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

SECTOR_SPELLINGS = {
    "public": ["public", "Public sector", "PUBLIC"],
    "private": ["private", "business"],
    "voluntary": ["VCSE", "Voluntary & community", "third sector"],
    "citizen": ["citizen", "Service user", "resident"],
}
ROLES = ["frontline", "Manager", "senior leader", "board member", "service_user", ""]


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    return path


def generated_rows(count: int, systems: list[str], seed: int = 2015) -> list[dict[str, str]]:
    """`count` rows as a facilitator might type them up: each respondent rates the nine
    pre-conditions for one or more systems, in assorted spellings, some as don't know."""
    rng = random.Random(seed)
    organisations = [(f"Organisation {n}", sector) for n, sector in enumerate(SECTOR_SPELLINGS)]
    organisations += [(f"Partner {n}", rng.choice(list(SECTOR_SPELLINGS))) for n in range(12)]
    rows: list[dict[str, str]] = []
    respondent = 0
    while len(rows) < count:
        respondent += 1
        name, sector = rng.choice(organisations)
        role = rng.choice(ROLES)
        for system in rng.sample(systems, rng.randint(1, len(systems))):
            for code in "ABCDEFGHI":
                rows.append(
                    {
                        "respondent": f"Respondent {respondent}",
                        "organisation": name,
                        "sector": rng.choice(SECTOR_SPELLINGS[sector]),
                        "role": role,
                        "system": system,
                        "precondition": rng.choice([code, code.lower()]),
                        "rating": rng.choice(["1", "2", "3", "4", "5", "3.0", ""]),
                        "evidence": rng.choice(["", "", "Partners share data weekly, é ✓."]),
                    }
                )
    return rows[:count]


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_responses", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(*args: str) -> tuple[str, str]:
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_responses", *args, stdout=io.StringIO(), stderr=err)
    return str(caught.value), err.getvalue()


@pytest.fixture
def diagnostic(framework):
    place = make_place("Coventry")
    systems = [make_system(place, "Homelessness and housing"), make_system(place, "Health")]
    # Attributed: respondent labels are kept and shown as written (anonymous rounds keep
    # pseudonyms, see tests/test_confidentiality.py).
    return make_diagnostic(place, framework, systems=systems, attribution="attributed")


def test_it_imports_exactly_the_responses_and_ratings_in_a_500_row_file(diagnostic, tmp_path):
    rows = generated_rows(500, ["Homelessness and housing", "Health"])
    path = write_csv(tmp_path / "round-one.csv", rows)

    started = time.monotonic()
    out, _ = run(str(path), "--diagnostic", diagnostic.slug)
    assert time.monotonic() - started < 5

    pairs = {(r["respondent"], r["system"]) for r in rows}
    dont_know = sum(1 for r in rows if not r["rating"])
    respondents = {r["respondent"] for r in rows}
    assert Response.objects.filter(diagnostic=diagnostic).count() == len(pairs)
    assert Rating.objects.filter(response__diagnostic=diagnostic).count() == 500
    assert Rating.objects.filter(dont_know=True, score=None).count() == dont_know
    assert f"Imported 500 ratings ({dont_know} don't know)" in out
    assert f"in {len(pairs)} responses from {len(respondents)} respondents" in out

    # Every row arrived as written: compare (respondent, system, code) -> (score, evidence).
    expected = {
        (r["respondent"], r["system"], r["precondition"].upper()): (
            int(float(r["rating"])) if r["rating"] else None,
            r["evidence"],
        )
        for r in rows
    }
    stored = {
        (rating.response.respondent_label, rating.response.system.name, rating.precondition.code): (
            rating.score,
            rating.evidence,
        )
        for rating in Rating.objects.select_related("response__system", "precondition").filter(
            response__diagnostic=diagnostic
        )
    }
    assert stored == expected
    assert not Response.objects.exclude(
        source=Response.Source.IMPORT, status=Response.Status.SUBMITTED
    ).exists()


def test_organisations_are_created_once_with_their_sector(diagnostic, tmp_path):
    rows = generated_rows(200, ["Health"])
    run(str(write_csv(tmp_path / "f.csv", rows)), "--diagnostic", diagnostic.slug)
    organisations = dict(Organisation.objects.values_list("name", "sector"))
    assert set(organisations) == {r["organisation"] for r in rows}
    assert organisations["Organisation 2"] == "voluntary"
    for response in Response.objects.select_related("organisation"):
        assert response.sector == response.organisation.sector


def test_create_diagnostic_creates_the_place_diagnostic_and_systems_and_prints_the_slug_last(
    framework, tmp_path
):
    rows = generated_rows(100, ["Homelessness and housing", "Health and care"])
    path = write_csv(tmp_path / "focus-group.csv", rows)
    out, _ = run(str(path), "--create-diagnostic", "Focus group, May 2025", "--place", "Coventry")

    slug = out.strip().splitlines()[-1]
    diagnostic = Diagnostic.objects.get(slug=slug)
    assert slug.startswith("focus-group-may-2025-")
    assert diagnostic.title == "Focus group, May 2025"
    assert diagnostic.status == Diagnostic.Status.OPEN
    assert diagnostic.opened_at is not None
    assert diagnostic.place.name == "Coventry"
    assert sorted(diagnostic.systems.values_list("name", flat=True)) == [
        "Health and care",
        "Homelessness and housing",
    ]
    assert Rating.objects.filter(response__diagnostic=diagnostic).count() == 100
    assert AuditEvent.objects.filter(
        diagnostic=diagnostic, action=AuditEvent.Action.IMPORTED
    ).exists()


def test_create_diagnostic_in_an_existing_place_reuses_its_systems(framework, tmp_path):
    place = make_place("Coventry")
    health = make_system(place, "Health")
    path = write_csv(tmp_path / "f.csv", [row(system="health")])
    out, _ = run(str(path), "--create-diagnostic", "Round 2", "--place", "coventry")
    diagnostic = Diagnostic.objects.get(slug=out.strip().splitlines()[-1])
    assert diagnostic.place == place
    assert list(diagnostic.systems.all()) == [health]
    assert System.objects.count() == 1


def test_create_diagnostic_names_the_places_facilitators(framework, tmp_path):
    ana = make_user("ana", email="ana@example.org")
    ben = make_user("ben", email="ben@example.org")
    path = write_csv(tmp_path / "f.csv", [row()])
    out, _ = run(
        str(path),
        "--create-diagnostic",
        "Round 1",
        "--place",
        "Coventry",
        "--facilitator",
        "ana",
        "--facilitator",
        "BEN@example.org",
    )
    diagnostic = Diagnostic.objects.get(slug=out.strip().splitlines()[-1])
    assert set(diagnostic.place.facilitators.all()) == {ana, ben}
    assert "Facilitators of Coventry now include: ana, ben." in out
    changes = AuditEvent.objects.filter(
        diagnostic=diagnostic, action=AuditEvent.Action.ROLE_CHANGED
    )
    assert sorted(e.detail["user"] for e in changes) == ["ana", "ben"]


def test_an_unknown_facilitator_stops_the_import_before_anything_is_made(framework, tmp_path):
    make_user("ana")
    path = write_csv(tmp_path / "f.csv", [row()])
    message, _ = run_failing(
        str(path),
        "--create-diagnostic",
        "Round 1",
        "--place",
        "Coventry",
        "--facilitator",
        "ana",
        "--facilitator",
        "nobody",
    )
    assert message == ("Nothing imported: no user with the username or e-mail address 'nobody'.")
    assert not Place.objects.exists()
    assert not Diagnostic.objects.exists()
    assert not Response.objects.exists()


def test_facilitator_goes_with_create_diagnostic_only(diagnostic, tmp_path):
    make_user("ana")
    path = write_csv(tmp_path / "f.csv", [row()])
    message, _ = run_failing(str(path), "--diagnostic", diagnostic.slug, "--facilitator", "ana")
    assert "--facilitator goes with --create-diagnostic" in message
    assert not Response.objects.exists()


def test_it_reads_an_excel_workbook(diagnostic, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([c.capitalize() for c in COLUMNS])
    sheet.append(["R1", "Council", "Public sector", "Manager", "Health", "A", 4, "Seen"])
    sheet.append(["R1", "Council", "Public sector", "Manager", "Health", "B", None, None])
    path = tmp_path / "paper-forms.xlsx"
    workbook.save(path)

    run(str(path), "--diagnostic", diagnostic.slug)
    scores = dict(Rating.objects.values_list("precondition__code", "score"))
    assert scores == {"A": 4, "B": None}


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        (row(sector="Goverment"), "Row 3, column sector: 'Goverment' is not a sector."),
        (row(precondition="J"), "Row 3, column precondition: 'J' is not a pre-condition."),
        (row(rating="7"), "Row 3, column rating: '7' is not on the scale."),
        (row(role="Chief"), "Row 3, column role: 'Chief' is not a role."),
        (row(respondent=""), "Row 3, column respondent: The respondent is empty."),
        (row(organisation=""), "Row 3, column organisation: The organisation is empty."),
        (row(system="Education"), "Row 3, column system: 'Education' is not one of"),
        (row(evidence="x" * (EVIDENCE_MAX_LENGTH + 1)), "Row 3, column evidence:"),
        (row(precondition="B", organisation="Other"), "Row 3, column organisation:"),
        (row(precondition="B", role="board"), "Row 3, column role:"),
        (row(rating="4"), "Row 3, column precondition: Respondent 'R1' rated A"),
        (
            row(respondent="R2", sector="private"),
            "Row 3, column sector: 'Coventry City Council' is public in row 2",
        ),
    ],
)
def test_every_kind_of_error_names_the_row_and_column_and_imports_nothing(
    diagnostic, tmp_path, bad, expected
):
    path = write_csv(tmp_path / "f.csv", [row(), bad, row(respondent="R3")])
    message, err = run_failing(str(path), "--diagnostic", diagnostic.slug)
    assert expected in err
    assert "Nothing imported" in message
    assert not Response.objects.exists()
    assert not Organisation.objects.exists()
    assert not AuditEvent.objects.exists()


def test_errors_are_printed_one_per_line(diagnostic, tmp_path):
    path = write_csv(tmp_path / "f.csv", [row(sector="?"), row(precondition="B", rating="0")])
    message, err = run_failing(str(path), "--diagnostic", diagnostic.slug)
    assert err.splitlines() == [
        "Row 2, column sector: '?' is not a sector. Use public, private, voluntary or citizen.",
        "Row 3, column rating: '0' is not on the scale. "
        "Use 1 to 5, or leave it empty for don't know.",
    ]
    assert message == "Nothing imported: the file has 2 problems."


def test_a_bad_file_creates_no_place_or_diagnostic(framework, tmp_path):
    path = write_csv(tmp_path / "f.csv", [row(), row(precondition="B", rating="six")])
    _, err = run_failing(str(path), "--create-diagnostic", "Round 1", "--place", "Coventry")
    assert "Row 3, column rating" in err
    assert not Place.objects.exists()
    assert not Diagnostic.objects.exists()
    assert not System.objects.exists()


def test_a_clash_with_an_existing_place_rolls_back_the_new_diagnostic(framework, tmp_path):
    place = make_place("Coventry")
    make_organisation(place, "voluntary", name="Coventry City Council")
    path = write_csv(tmp_path / "f.csv", [row(sector="public")])
    _, err = run_failing(str(path), "--create-diagnostic", "Round 2", "--place", "Coventry")
    assert "Row 2, column sector: 'Coventry City Council' is already recorded as voluntary" in err
    assert not Diagnostic.objects.exists()
    assert not System.objects.exists()
    assert not AuditEvent.objects.exists()


def test_importing_the_same_file_again_is_refused(diagnostic, tmp_path):
    path = write_csv(tmp_path / "f.csv", generated_rows(60, ["Health"]))
    run(str(path), "--diagnostic", diagnostic.slug)
    before = Rating.objects.count(), Response.objects.count()
    _, err = run_failing(str(path), "--diagnostic", diagnostic.slug)
    assert "column respondent: 'Respondent 1' has already been imported" in err
    assert (Rating.objects.count(), Response.objects.count()) == before


def test_a_dry_run_prints_counts_and_imports_nothing(diagnostic, tmp_path):
    path = write_csv(tmp_path / "f.csv", [row(), row(precondition="B", rating="")])
    out, _ = run(str(path), "--diagnostic", diagnostic.slug, "--dry-run")
    assert "Would import 2 ratings (1 don't know) in 1 responses from 1 respondents" in out
    assert not Response.objects.exists()


def test_a_file_without_a_required_column_is_refused_naming_it(diagnostic, tmp_path):
    path = tmp_path / "f.csv"
    path.write_text("respondent,organisation,sector,role,system,rating\nR1,O,public,,Health,3\n")
    message, _ = run_failing(str(path), "--diagnostic", diagnostic.slug)
    assert "no column called 'precondition'" in message


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--create-diagnostic", "Round 1"], "needs --place"),
        (["--diagnostic", "nope"], "no diagnostic with the slug 'nope'"),
        (["--diagnostic", "x", "--create-diagnostic", "y"], "not allowed with argument"),
        ([], "one of the arguments --diagnostic --create-diagnostic is required"),
    ],
)
def test_it_explains_wrong_options(framework, tmp_path, args, expected):
    path = write_csv(tmp_path / "f.csv", [row()])
    message, _ = run_failing(str(path), *args)
    assert expected in message


def test_a_missing_file_is_reported(diagnostic, tmp_path):
    message, _ = run_failing(str(tmp_path / "nowhere.csv"), "--diagnostic", diagnostic.slug)
    assert "Cannot read" in message
