"""Journey 3: a steering-group member signs in, reads the narrative report of the
Northbridge demo, switches the comparison chart between systems, sectors and rounds,
reads one system in depth and downloads the CSV and Excel summaries.

Charts must really render (plotly draws ``.main-svg`` into each chart's div) under the
Content Security Policy: any CSP report in the console fails the test. Every chart has a
text alternative and a table of the same numbers.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.utils.text import slugify
from playwright.sync_api import Page, expect

from demo.northbridge import CURRENT_TITLE, PREVIOUS_TITLE
from surveys.models import AuditEvent

from .support import PHONE, path_of, run_axe, screenshot, sign_in

pytestmark = pytest.mark.browser

SYSTEMS = ["Homelessness and housing", "Families with multiple needs", "Mental health crisis care"]
SYSTEMS_SLUGS = [slugify(name) for name in SYSTEMS]


def assert_charts_drawn(page: Page) -> int:
    """Every chart on show has been drawn by plotly; hidden ones are left for later."""
    charts = page.locator(".app-chart:visible")
    count = charts.count()
    assert count, "no chart on show"
    for i in range(count):
        expect(charts.nth(i).locator(".main-svg").first).to_be_attached()
    return count


def assert_charts_explained(page: Page) -> int:
    """Each chart (drawn or not) has a title, a text alternative and a table of its numbers."""
    found = page.evaluate(
        """() => Array.from(document.querySelectorAll(".app-chart")).map(chart => {
          const box = chart.closest("figure, [data-chart-panel]");
          const titleId = box.getAttribute("aria-labelledby") ||
            (box.querySelector("h2, h3") || {}).id;
          const title = titleId ? document.getElementById(titleId) : null;
          const summary = box.querySelector(".app-figure__summary");
          // The table follows the chart: in its panel, or just after its figure.
          let table = box.querySelector("table");
          if (!table) {
            let next = box.nextElementSibling;
            table = next && (next.matches("table") ? next : next.querySelector("table"));
          }
          return {
            id: chart.id,
            title: title ? title.textContent.trim() : "",
            summary: summary ? summary.textContent.trim() : "",
            caption: table && table.caption ? table.caption.textContent.trim() : "",
            rows: table ? table.tBodies[0].rows.length : 0,
            roleImg: chart.getAttribute("role"),
          };
        })"""
    )
    assert found
    for chart in found:
        assert chart["title"], f"{chart['id']} has no title"
        assert len(chart["summary"]) > 40, f"{chart['id']} has no text alternative: {chart}"
        assert chart["caption"] and chart["rows"] >= 5, f"{chart['id']} has no data table"
        assert chart["roleImg"] is None  # axe: nested-interactive with plotly's controls
    return len(found)


def shown_panel(page: Page):
    panels = page.locator("[data-chart-panel]:visible")
    expect(panels).to_have_count(1)
    return panels.first


def test_steering_member_reads_switches_charts_and_downloads(demo, browsing):
    page = browsing.new_page()
    visited: list[tuple[str, str]] = []

    def check(label: str, *, shot: str | None = None) -> None:
        run_axe(page, label)
        visited.append((label, path_of(page.url)))
        if shot:
            screenshot(page, f"steering-{shot}")

    sign_in(page, "steering", "demo-steering-pass")
    steered = page.locator("h2:has-text('steering-group member') + ul")
    expect(steered.locator("li")).to_have_count(2)
    check("steering dashboard", shot="01-dashboard")

    # The narrative report.
    steered.get_by_role("link", name=CURRENT_TITLE).click()
    page.wait_for_url(re.compile(rf"/reports/{demo.slug}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(CURRENT_TITLE)
    expect(page.locator("main")).to_contain_text(
        f"Compared with the previous round: {PREVIOUS_TITLE}"
    )
    for name in SYSTEMS:
        expect(page.get_by_role("heading", level=2, name=name)).to_be_visible()
    expect(page.get_by_role("heading", name="Questions for the steering group")).to_be_visible()
    assert page.locator("section.app-report-section p.govuk-body").count() > 6
    assert assert_charts_drawn(page) == 4  # one radar per system, and the comparison
    assert assert_charts_explained(page) >= 4
    check("report", shot="02-report")

    # Switch the comparison: sectors within a system, another system, then rounds.
    switcher = page.locator("#chart-switcher").locator("..")
    expect(shown_panel(page)).to_have_attribute("data-chart-panel", "systems")
    chosen = page.get_by_label("System (for sectors and rounds)").input_value()
    assert chosen == SYSTEMS_SLUGS[1]  # the first in alphabetical order
    page.get_by_label("Sectors within one system").check()
    panel = shown_panel(page)
    expect(panel).to_have_attribute("data-chart-panel", f"sectors:{chosen}")
    expect(panel.locator(".main-svg").first).to_be_attached()
    expect(page.locator("[data-chart-status]")).to_contain_text("Showing:")
    assert "view=sectors" in page.url

    page.get_by_label("System (for sectors and rounds)").select_option(label=SYSTEMS[2])
    panel = shown_panel(page)
    expect(panel).to_have_attribute("data-chart-panel", f"sectors:{SYSTEMS_SLUGS[2]}")
    expect(panel.locator(".main-svg").first).to_be_attached()
    expect(panel.locator("thead th")).to_contain_text(["Code", "Pre-condition"])
    run_axe(page, "report: sectors")

    page.get_by_label("This round and the previous one, for one system").check()
    panel = shown_panel(page)
    expect(panel).to_have_attribute("data-chart-panel", f"rounds:{SYSTEMS_SLUGS[2]}")
    expect(panel.locator(".main-svg").first).to_be_attached()
    expect(panel.locator("thead th")).to_contain_text(["Previous round", "This round"])
    assert re.search(r"\?view=rounds&system=mental-health-crisis-care#chart-switcher$", page.url)
    switcher.scroll_into_view_if_needed()
    run_axe(page, "report: rounds")
    screenshot(page, "steering-03-rounds", full_page=False)

    page.get_by_label("Systems side by side").check()
    expect(shown_panel(page)).to_have_attribute("data-chart-panel", "systems")
    assert assert_charts_explained(page) >= 4

    # Downloads: the summaries a steering member may have, which must open.
    with page.expect_download() as csv_download:
        page.get_by_role(
            "link", name=re.compile(r"Summary by system, sector and role \(CSV\)")
        ).click()
    # The demo's current round has an interim release, named in the file.
    assert csv_download.value.suggested_filename == f"{demo.slug}-interim-1-summary.csv"
    text = Path(csv_download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and {"system", "code", "breakdown", "group", "n", "median"} <= set(rows[0])
    assert {row["system"] for row in rows} == set(SYSTEMS)

    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name=re.compile(r"\(Excel\)")).click()
    assert xlsx_download.value.suggested_filename == f"{demo.slug}-interim-1-summary.xlsx"
    content = Path(xlsx_download.value.path()).read_bytes()
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    # A sheet a board can read first, the analyst's sheets after it.
    assert workbook.sheetnames[:2] == ["Board summary", "Summary"]
    board = [row[0] for row in workbook["Board summary"].iter_rows(values_only=True) if row]
    assert "Notes" in board and any(str(cell).startswith(SYSTEMS[0]) for cell in board)
    sheet_rows = list(workbook["Summary"].iter_rows(values_only=True))
    assert sheet_rows[1][:3] == ("system", "code", "title")
    assert len(sheet_rows) == len(rows) + 2
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORTED).count() == 2

    # One system in depth: its profile, every pre-condition's spread, sectors and roles.
    page.get_by_role("link", name=re.compile(r"See Homelessness and housing in depth")).click()
    page.wait_for_url(re.compile(rf"/reports/{demo.slug}/{SYSTEMS_SLUGS[0]}/(\?release=\d+)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(SYSTEMS[0])
    assert assert_charts_drawn(page) == 10  # the radar and nine distributions
    assert assert_charts_explained(page) == 10
    expect(page.get_by_role("table", name="Median rating by sector")).to_be_visible()
    check("system report", shot="04-system")

    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
    expect(page.locator("tbody tr")).to_have_count(2)
    check("reports index")

    # The previous round's report too.
    page.get_by_role("link", name=PREVIOUS_TITLE, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(PREVIOUS_TITLE)
    assert_charts_drawn(page)
    check("report (previous round)")

    # Every page on a phone, signed in as the same person; charts drawn at that size too,
    # and the switcher's choice made by the server from the address (no JavaScript needed).
    visited += [
        ("report: sectors", f"/reports/{demo.slug}/?view=sectors&system={SYSTEMS_SLUGS[1]}"),
        ("report: rounds", f"/reports/{demo.slug}/?view=rounds&system={SYSTEMS_SLUGS[0]}"),
    ]
    phone = browsing.new_page(PHONE, storage_state=page.context.storage_state())
    for label, url in visited:
        phone.goto(url)
        if "/reports/" in url and phone.locator(".app-chart").count():
            assert_charts_drawn(phone)
        run_axe(phone, label)
    expect(shown_panel(phone)).to_have_attribute("data-chart-panel", f"rounds:{SYSTEMS_SLUGS[0]}")
    shown_panel(phone).evaluate("panel => panel.scrollIntoView()")
    screenshot(phone, "steering-05-rounds", full_page=False)
    phone.goto(f"/reports/{demo.slug}/")
    screenshot(phone, "steering-02-report")

    browsing.assert_console_clean()  # no CSP report, no script error, no missing file
