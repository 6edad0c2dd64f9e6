"""``manage.py export_results``."""

from __future__ import annotations

import csv
import io
import json
from types import SimpleNamespace

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from reports import exports
from reports.exports import RATING_COLUMNS
from surveys.models import AuditEvent
from tests.factories import (
    make_diagnostic,
    make_invitation,
    make_organisation,
    make_place,
    make_response,
    make_responses,
    make_system,
)

FINDINGS = SimpleNamespace(
    strengths=[], gaps=[], contested=[], low_visibility=[], paragraphs=["A paragraph."]
)


@pytest.fixture(autouse=True)
def findings(monkeypatch):
    """Fixed findings, so these tests do not depend on the narrative's rules."""
    monkeypatch.setattr(exports, "system_findings", lambda system: FINDINGS)


@pytest.fixture
def diagnostic(framework):
    place = make_place()
    system = make_system(place, "Homelessness")
    diagnostic = make_diagnostic(place, framework, systems=[system], min_group_size=3)
    council = make_organisation(place, "public", name="Northtown Council")
    invitation = make_invitation(
        diagnostic, organisation=council, name="Pat Partner", email="pat@example.org"
    )
    make_response(diagnostic, system, {"A": 4}, organisation=council, invitation=invitation)
    make_responses(diagnostic, system, [{"A": 2}, {"A": None}], organisation=council)
    return diagnostic


def run(*args) -> str:
    out = io.StringIO()
    call_command("export_results", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_it_writes_json_to_standard_output(diagnostic):
    data = json.loads(run(diagnostic.slug, "--format", "json"))

    assert data["diagnostic"] == diagnostic.slug
    assert data["systems"][0]["preconditions"][0]["n"] == 2


def test_json_is_the_default_format(diagnostic):
    assert json.loads(run(diagnostic.slug))["min_group_size"] == 3


def test_it_writes_csv_to_standard_output_without_names(diagnostic):
    rows = list(csv.reader(io.StringIO(run(diagnostic.slug, "--format", "csv"))))

    assert rows[0] == list(RATING_COLUMNS)
    assert len(rows) == 1 + 3
    assert "Pat Partner" not in str(rows)


def test_it_adds_names_to_csv_only_when_asked(diagnostic):
    rows = list(csv.reader(io.StringIO(run(diagnostic.slug, "--format", "csv", "--include-names"))))

    assert rows[0][-2:] == ["respondent", "organisation"]
    assert ["Pat Partner", "Northtown Council"] in [row[-2:] for row in rows]
    assert "pat@example.org" not in str(rows)


def test_it_writes_csv_with_a_byte_order_mark_to_a_file(diagnostic, tmp_path):
    output = tmp_path / "results.csv"

    run(diagnostic.slug, "--format", "csv", "--output", str(output))

    assert output.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(output.read_text(encoding="utf-8-sig"))))
    assert rows[0] == list(RATING_COLUMNS)


def test_it_writes_excel_to_a_file(diagnostic, tmp_path):
    output = tmp_path / "results.xlsx"

    run(diagnostic.slug, "--format", "xlsx", "--output", str(output))

    workbook = openpyxl.load_workbook(output, read_only=True)
    assert workbook.sheetnames == ["Ratings", "Summary"]


def test_excel_needs_an_output_file(diagnostic):
    with pytest.raises(CommandError, match="--output"):
        run(diagnostic.slug, "--format", "xlsx")


def test_an_unknown_slug_is_named_in_the_error(db):
    with pytest.raises(CommandError, match="no-such-round"):
        run("no-such-round")


def test_every_export_is_recorded_in_the_audit_log(diagnostic):
    run(diagnostic.slug, "--format", "csv", "--include-names")

    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORTED)
    assert event.diagnostic == diagnostic
    assert event.detail["format"] == "csv"
    assert event.detail["include_names"] is True
