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
from reports.models import Release
from reports.releases import release_publish
from surveys.models import AuditEvent, Diagnostic
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
    monkeypatch.setattr(exports, "system_findings", lambda system, **_: FINDINGS)


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
    release_publish(diagnostic=diagnostic, kind=Release.Kind.INTERIM, actor=None)
    return diagnostic


@pytest.fixture
def attributed(diagnostic):
    diagnostic.attribution = Diagnostic.Attribution.ATTRIBUTED
    diagnostic.save()
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

    assert rows[0] == [*RATING_COLUMNS, "release"]
    assert len(rows) == 1 + 3
    assert rows[1][-1].startswith("Interim release 1, ")
    assert "Pat Partner" not in str(rows)
    assert "Northtown Council" not in str(rows)


def test_it_adds_names_to_csv_only_when_asked(attributed):
    diagnostic = attributed
    rows = list(
        csv.reader(
            io.StringIO(run(diagnostic.slug, "--format", "csv", "--live", "--include-names"))
        )
    )

    assert rows[0][-2:] == ["respondent", "organisation"]
    assert ["Pat Partner", "Northtown Council"] in [row[-2:] for row in rows]
    assert "pat@example.org" not in str(rows)


def test_it_writes_csv_with_a_byte_order_mark_to_a_file(diagnostic, tmp_path):
    output = tmp_path / "results.csv"

    run(diagnostic.slug, "--format", "csv", "--output", str(output))

    assert output.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(output.read_text(encoding="utf-8-sig"))))
    assert rows[0] == [*RATING_COLUMNS, "release"]


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


def test_every_export_is_recorded_in_the_audit_log(attributed):
    diagnostic = attributed
    run(diagnostic.slug, "--format", "csv", "--live", "--include-names")

    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORTED)
    assert event.diagnostic == diagnostic
    assert event.detail["format"] == "csv"
    assert event.detail["include_names"] is True


# --- releases: the command exports what a facilitator may read --------------------------


def test_it_exports_the_latest_release_and_later_answers_change_nothing(diagnostic):
    before = run(diagnostic.slug)
    make_responses(diagnostic, diagnostic.systems.get(), [{"A": 5}], sector="private")

    assert run(diagnostic.slug) == before
    assert json.loads(before)["release"]["number"] == 1
    assert json.loads(before)["release"]["kind"] == "interim"


def test_it_exports_an_earlier_release_when_asked(diagnostic):
    make_responses(diagnostic, diagnostic.systems.get(), [{"A": 5}] * 3, sector="private")
    release_publish(diagnostic=diagnostic, kind=Release.Kind.INTERIM, actor=None)

    assert json.loads(run(diagnostic.slug))["release"]["number"] == 2
    assert json.loads(run(diagnostic.slug, "--release", "1"))["release"]["number"] == 1
    with pytest.raises(CommandError, match="no release 7"):
        run(diagnostic.slug, "--release", "7")


def test_an_anonymous_round_has_no_live_figures_or_names(diagnostic):
    for flags in (["--live"], ["--live", "--include-names"], ["--include-names"]):
        with pytest.raises(CommandError, match="anonymous"):
            run(diagnostic.slug, "--format", "csv", *flags)


def test_names_need_live_figures(attributed):
    with pytest.raises(CommandError, match="--live"):
        run(attributed.slug, "--format", "csv", "--include-names")


def test_the_attributed_mode_exports_live_figures_only_when_asked(attributed):
    make_responses(attributed, attributed.systems.get(), [{"A": 5}], sector="private")

    assert json.loads(run(attributed.slug))["systems"][0]["respondents"] == 3
    live = json.loads(run(attributed.slug, "--live"))
    assert live["release"] is None
    assert live["systems"][0]["respondents"] == 4


def test_a_round_with_no_release_is_refused(framework):
    place = make_place()
    system = make_system(place)
    diagnostic = make_diagnostic(place, framework, systems=[system], min_group_size=3)

    with pytest.raises(CommandError, match="has no release yet"):
        run(diagnostic.slug)
