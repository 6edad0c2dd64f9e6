from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from reports.models import Release
from reports.releases import release_publish
from surveys.models import AuditEvent, Diagnostic
from tests.factories import (
    make_diagnostic,
    make_organisation,
    make_report_personas,
    make_response,
)

CODES = "ABCDEFGHI"


def add_responses(diagnostic, system, count: int, *, evidence: str = "") -> None:
    """`count` respondents spread over three sectors and two roles, with varied scores."""
    organisations = [
        make_organisation(diagnostic.place, sector) for sector in ("public", "voluntary", "private")
    ]
    for i in range(count):
        scores: dict[str, int | None] = {code: (i + n) % 5 + 1 for n, code in enumerate(CODES)}
        scores["C"] = None if i % 4 == 0 else scores["C"]  # some "don't know"
        make_response(
            diagnostic,
            system,
            scores,
            organisation=organisations[i % 3],
            role=("manager", "frontline")[i % 2],
            evidence={"A": evidence} if evidence else None,
        )


def publish(diagnostic) -> Release:
    """Readers see released figures only: release what is there now (interim)."""
    return release_publish(diagnostic=diagnostic, kind=Release.Kind.INTERIM, actor=None)


@pytest.fixture
def personas(framework):
    return make_report_personas(framework)


@pytest.fixture
def report(personas):
    add_responses(personas["diagnostic"], personas["housing"], 12, evidence="Hostels share data")
    add_responses(personas["diagnostic"], personas["youth"], 7)
    publish(personas["diagnostic"])
    return personas


def urls(diagnostic, system) -> list[str]:
    return [
        reverse("reports:index"),
        reverse("reports:diagnostic", args=[diagnostic.slug]),
        reverse("reports:system", args=[diagnostic.slug, system.slug]),
        reverse("reports:pdf", args=[diagnostic.slug]),
        reverse("reports:export", args=[diagnostic.slug, "json"]),
    ]


# --- who may read ---------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["facilitator", "steering"])
def test_facilitators_and_steering_members_can_read_every_report_page(client, report, persona):
    client.force_login(report[persona])
    for url in urls(report["diagnostic"], report["housing"]):
        response = client.get(url)
        assert response.status_code == 200, url


def test_anonymous_visitors_are_sent_to_sign_in(client, report):
    for url in urls(report["diagnostic"], report["housing"]):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))


def test_a_facilitator_of_another_place_gets_not_found(client, report):
    client.force_login(report["outsider"])
    for url in urls(report["diagnostic"], report["housing"])[1:]:
        assert client.get(url).status_code == 404, url
    index = client.get(reverse("reports:index")).content.decode()
    assert "Round 2" not in index


def test_the_index_lists_the_diagnostics_the_user_may_read(client, report):
    client.force_login(report["steering"])
    content = client.get(reverse("reports:index")).content.decode()
    assert reverse("reports:diagnostic", args=[report["diagnostic"].slug]) in content


def test_a_system_outside_the_diagnostic_is_not_found(client, report):
    client.force_login(report["facilitator"])
    url = reverse("reports:system", args=[report["diagnostic"].slug, "no-such-system"])
    assert client.get(url).status_code == 404


def test_report_pages_are_never_cached(client, report):
    client.force_login(report["facilitator"])
    pages = urls(report["diagnostic"], report["housing"]) + [
        reverse("reports:export", args=[report["diagnostic"].slug, "csv"])
    ]
    for url in pages:
        assert "no-store" in client.get(url)["Cache-Control"], url


# --- queries --------------------------------------------------------------------------


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(context.captured_queries)


def test_the_number_of_queries_does_not_grow_with_the_number_of_responses(client, personas):
    diagnostic, housing = personas["diagnostic"], personas["housing"]
    client.force_login(personas["facilitator"])
    pages = [
        reverse("reports:index"),
        reverse("reports:diagnostic", args=[diagnostic.slug]),
        reverse("reports:system", args=[diagnostic.slug, housing.slug]),
        reverse("reports:pdf", args=[diagnostic.slug]),
        reverse("reports:export", args=[diagnostic.slug, "json"]),
    ]
    add_responses(diagnostic, housing, 6)
    add_responses(diagnostic, personas["youth"], 6)
    publish(diagnostic)
    small = [count_queries(client, url) for url in pages]
    add_responses(diagnostic, housing, 30)
    add_responses(diagnostic, personas["youth"], 30)
    publish(diagnostic)
    large = [count_queries(client, url) for url in pages]
    assert small == large


# --- the pages ------------------------------------------------------------------------


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict] = []
        self.charts: list[dict] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.add(attributes["id"])
        if tag == "script":
            self.scripts.append(attributes)
        if "app-chart" in (attributes.get("class") or "").split():
            self.charts.append(attributes)


def parse(content: str) -> _Scripts:
    parser = _Scripts()
    parser.feed(content)
    return parser


def test_charts_are_embedded_as_json_with_no_inline_script(client, report):
    client.force_login(report["facilitator"])
    for url in urls(report["diagnostic"], report["housing"])[1:3]:
        content = client.get(url).content.decode()
        page = parse(content)
        for script in page.scripts:
            assert script.get("src") or script.get("type") == "application/json", script
        assert page.charts
        for chart in page.charts:
            assert chart["data-figure"] in page.ids
            assert "role" not in chart
        assert "/static/vendor/plotly/plotly.min.js" in content
        assert "/static/reports/charts.js" in content
        figure_id = page.charts[0]["data-figure"]
        raw = re.search(
            rf'<script id="{figure_id}" type="application/json">(.*?)</script>', content
        )
        figure = json.loads(raw.group(1))
        assert {"data", "layout"} <= set(figure)


def test_the_report_has_each_system_its_table_findings_and_questions(client, report):
    client.force_login(report["steering"])
    content = client.get(reverse("reports:diagnostic", args=[report["diagnostic"].slug]))
    text = content.content.decode()
    assert "Homelessness and housing" in text and "Youth" in text
    assert text.count('class="govuk-table app-stats-table"') >= 2
    assert (
        '<th scope="col" class="govuk-table__header govuk-table__header--numeric">Median</th>'
        in text
    )
    assert "Questions for the steering group" in text
    assert "Hostels share data" in text  # evidence, unattributed
    assert not re.search(r"\b\d\s*(out of|/)\s*9\b", text)
    assert "overall score" not in text.lower()


def test_the_chart_switcher_works_without_javascript(client, report):
    client.force_login(report["facilitator"])
    url = reverse("reports:diagnostic", args=[report["diagnostic"].slug])
    content = client.get(url, {"view": "sectors", "system": report["youth"].slug}).content
    text = content.decode()
    visible = re.findall(r'data-chart-panel="([^"]+)" id="[^"]+">', text)
    assert visible == [f"sectors:{report['youth'].slug}"]
    assert 'value="sectors" checked' in text
    # Nonsense falls back to the systems overlay.
    text = client.get(url, {"view": "<x>", "system": "nope"}).content.decode()
    assert re.findall(r'data-chart-panel="([^"]+)" id="[^"]+">', text) == ["systems"]


def test_evidence_stays_out_when_the_round_promised_ratings_only(client, report):
    diagnostic = report["diagnostic"]
    diagnostic.confidentiality = Diagnostic.Confidentiality.RATINGS_ONLY
    diagnostic.save()
    client.force_login(report["steering"])
    for url in urls(diagnostic, report["housing"])[1:3]:
        assert "Hostels share data" not in client.get(url).content.decode()


def test_a_round_with_no_responses_yet_still_renders(client, personas, framework):
    empty = make_diagnostic(personas["diagnostic"].place, framework, systems=[])
    publish(empty)
    publish(personas["diagnostic"])
    client.force_login(personas["facilitator"])
    pages = urls(personas["diagnostic"], personas["housing"])[1:]
    pages += [
        reverse("reports:diagnostic", args=[empty.slug]),
        reverse("reports:pdf", args=[empty.slug]),
        reverse("reports:export", args=[empty.slug, "json"]),
    ]
    for url in pages:
        assert client.get(url).status_code == 200, url


def test_a_small_system_is_hidden_and_says_why(client, personas):
    add_responses(personas["diagnostic"], personas["housing"], 12)
    add_responses(personas["diagnostic"], personas["youth"], 3)
    publish(personas["diagnostic"])
    client.force_login(personas["facilitator"])
    text = client.get(reverse("reports:diagnostic", args=[personas["diagnostic"].slug]))
    text = text.content.decode()
    assert "Too few people responded about this system" in text
    assert "at least 5 people" in text
    page = client.get(
        reverse("reports:system", args=[personas["diagnostic"].slug, personas["youth"].slug])
    ).content.decode()
    assert "Too few people responded" in page
    assert "app-chart" not in page


def test_the_system_page_shows_distributions_and_hides_small_groups(client, personas):
    diagnostic, housing = personas["diagnostic"], personas["housing"]
    add_responses(diagnostic, housing, 10)  # public, voluntary, private: 4, 3, 3
    publish(diagnostic)
    client.force_login(personas["steering"])
    text = client.get(reverse("reports:system", args=[diagnostic.slug, housing.slug]))
    text = text.content.decode()
    assert text.count('data-figure="chart-distribution-') == 9
    assert "Don&#x27;t know" in text or "Don't know" in text
    assert "Hidden (fewer than 5)" in text


def test_hostile_system_names_are_escaped_everywhere(client, personas):
    system = personas["youth"]
    system.name = '"><img src=x onerror=alert(1)><script>alert(1)</script>'
    system.save()
    add_responses(personas["diagnostic"], system, 6)
    publish(personas["diagnostic"])
    client.force_login(personas["facilitator"])
    for url in urls(personas["diagnostic"], system)[1:3]:
        text = client.get(url).content.decode()
        assert "<img src=x" not in text and "<script>alert(1)" not in text
        assert "&lt;script&gt;" in text or "\\u003Cscript\\u003E" in text


# --- the PDF --------------------------------------------------------------------------


def test_the_pdf_is_a_downloadable_pdf(client, report):
    client.force_login(report["steering"])
    response = client.get(reverse("reports:pdf", args=[report["diagnostic"].slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert response.content.startswith(b"%PDF")


def test_the_pdf_inlines_svg_radars_and_fetches_nothing(client, report, monkeypatch):
    import weasyprint

    captured = {}
    real_html = weasyprint.HTML

    def spy(**kwargs):
        captured.update(kwargs)
        return real_html(**kwargs)

    monkeypatch.setattr(weasyprint, "HTML", spy)
    client.force_login(report["facilitator"])
    assert client.get(reverse("reports:pdf", args=[report["diagnostic"].slug])).status_code == 200
    html = captured["string"]
    # Two systems' radars and the dot plot of the systems side by side.
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="app-radar-svg"') == 3
    assert html.count("Radar chart: ") == 2 and "Median ratings by system</title>" in html
    assert captured["base_url"] is None
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<link" not in html and "<script" not in html
    assert "Questions for the steering group" in html


# --- exports --------------------------------------------------------------------------


def export(client, diagnostic, fmt: str, **params):
    return client.get(reverse("reports:export", args=[diagnostic.slug, fmt]), params)


def test_a_facilitator_can_download_every_format_and_each_download_is_recorded(client, report):
    diagnostic = report["diagnostic"]
    client.force_login(report["facilitator"])

    response = export(client, diagnostic, "json")
    assert response["Content-Disposition"].startswith("attachment")
    assert {s["slug"] for s in json.loads(response.content)["systems"]} == {
        report["housing"].slug,
        report["youth"].slug,
    }
    rows = list(
        csv.reader(
            io.StringIO(
                b"".join(export(client, diagnostic, "csv").streaming_content).decode("utf-8-sig")
            )
        )
    )
    assert "respondent" not in rows[0] and len(rows) > 1
    workbook = load_workbook(io.BytesIO(export(client, diagnostic, "xlsx").content))
    assert "Ratings" in workbook.sheetnames

    events = AuditEvent.objects.filter(diagnostic=diagnostic, action=AuditEvent.Action.EXPORTED)
    assert sorted(e.detail["format"] for e in events) == ["csv", "json", "xlsx"]
    assert {e.actor for e in events} == {report["facilitator"]}


def test_names_only_when_a_facilitator_asks_for_them(client, report):
    report["diagnostic"].attribution = Diagnostic.Attribution.ATTRIBUTED
    report["diagnostic"].save()
    client.force_login(report["facilitator"])
    response = export(client, report["diagnostic"], "csv", include_names="1")
    header = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()[0]
    assert "respondent" in header and "organisation" in header


def test_steering_members_never_get_names_or_row_by_row_files(client, report):
    diagnostic = report["diagnostic"]
    client.force_login(report["steering"])
    response = export(client, diagnostic, "csv", include_names="1")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:5] == ["system", "code", "title", "breakdown", "group"]
    assert "respondent" not in rows[0] and "evidence" not in rows[0]
    # One row per system, pre-condition and group: all, four sectors, five roles.
    assert len(rows) == 1 + 2 * 9 * (1 + 4 + 5)
    workbook = load_workbook(io.BytesIO(export(client, diagnostic, "xlsx").content))
    assert workbook.sheetnames == ["Board summary", "Summary", "Evidence"]
    everything = json.dumps(
        [list(r) for name in ("Board summary", "Summary") for r in workbook[name].values]
    )
    assert "Organisation" not in everything
    response = export(client, diagnostic, "json", include_names="1")
    assert response.status_code == 200
    assert "Organisation" not in response.content.decode()
    kinds = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORTED).values_list(
        "detail__kind", "detail__names"
    )
    assert set(kinds) == {("summary", False)}


def test_steering_exports_hide_the_groups_the_page_hides(client, report):
    """Housing: 12 respondents over three sectors of 4 each, k = 5: every sector hidden."""
    client.force_login(report["steering"])
    response = export(client, report["diagnostic"], "csv")
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    )
    housing = [r for r in rows if r["system"] == "Homelessness and housing"]
    overall = [r for r in housing if r["breakdown"] == "all"]
    sectors = [r for r in housing if r["breakdown"] == "sector"]
    assert all(r["n"] for r in overall)
    assert sectors and all(r["n"] == "" and r["mean"] == "" for r in sectors)


def test_unknown_export_formats_are_not_found(client, report):
    client.force_login(report["facilitator"])
    assert client.get(f"/reports/{report['diagnostic'].slug}/export.exe").status_code == 404
