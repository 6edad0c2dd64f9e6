"""Journey 1: a facilitator signs in, sets up a place and a round, invites partners in bulk,
opens the round and watches the progress dashboard move when a partner submits.

Every page is checked with axe at desktop size as the journey goes, then visited again in a
phone-sized context with the same session.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import Page, expect

from surveys.models import Diagnostic, Invitation, Place, Response

from ..factories import make_user
from .support import DESKTOP, PHONE, path_of, run_axe, run_axe_both_sizes, screenshot

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"

# As pasted from a spreadsheet: a header line, then one person per line.
BULK_ROWS = "\n".join(
    [
        "name,email,organisation,sector,role,systems",
        "Asha Patel,asha@example.org,Eastport City Council,public,manager,Homelessness and housing",
        "Ben Okafor,ben@example.org,Eastport Housing Trust,voluntary,frontline,"
        "Homelessness and housing;Family support",
        "Cara Lewis,,Eastport Police,public,senior,Family support",
        "Dev Shah,dev@example.org,Harbour Residents Group,citizen,service user,"
        "Homelessness and housing",
    ]
)


def progress_cell(page: Page, caption: str, row: str, column: str) -> str:
    """One figure of a progress table, by its caption, row header and column header."""
    table = page.locator("table").filter(has=page.locator("caption", has_text=caption))
    headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
    cells = table.locator("tbody tr").filter(has=page.locator("th", has_text=row)).locator("td")
    return cells.nth(headers.index(column) - 1).inner_text().strip()


def answer_everything_with_the_mouse(page: Page, seen) -> None:
    """A partner answering all nine steps of their first system, then submitting; `seen`
    is called on each page."""
    page.locator("a.govuk-task-list__link").first.click()
    for step in range(1, 10):
        expect(page.locator(".govuk-caption-l")).to_contain_text(f"step {step} of 9")
        seen(f"partner step {step} (journey 1)")
        page.locator(f"input[name=answer][value='{1 + step % 5}']").check()
        page.get_by_label("Evidence and examples (optional)").fill(f"What I saw, step {step}.")
        page.get_by_role("button", name="Save and continue").click()
        if step < 9:
            page.wait_for_url(re.compile(r"/[A-I]/$"))
    page.wait_for_url(re.compile(r"/review/$"))
    seen("partner review (journey 1)")
    page.get_by_role("button", name="Submit").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("is submitted")


def test_facilitator_sets_up_invites_opens_and_follows_progress(live_framework, browsing):
    user = make_user("fran")
    user.user_permissions.add(Permission.objects.get(codename="add_place"))
    page = browsing.new_page()
    visited: list[tuple[str, str]] = []

    def check(label: str, *, shot: str | None = None) -> None:
        run_axe(page, label)
        visited.append((label, path_of(page.url)))
        if shot:
            screenshot(page, f"facilitator-{shot}")

    # Sign in: the dashboard sends a stranger to the login form and back again.
    page.goto("/manage/")
    page.wait_for_url(re.compile(r"/accounts/login/\?next=/manage/$"))
    run_axe(page, "login")
    screenshot(page, "facilitator-01-login")
    page.get_by_label("Username").fill("fran")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/manage/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your diagnostics")
    check("dashboard (no places)")

    # A place.
    page.get_by_role("link", name="Create a place").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create a place")
    check("create a place")
    page.get_by_label("Name of the place").fill("Eastport")
    page.get_by_label("Description (optional)").fill("A port town on the east coast.")
    page.get_by_role("button", name="Save place").click()
    page.wait_for_url(re.compile(r"/manage/places/eastport/$"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Created Eastport")
    check("place (new)")

    # Two systems, the second inside nothing.
    for name in ("Homelessness and housing", "Family support"):
        page.get_by_role("link", name="Add a system").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Add a system")
        if name == "Homelessness and housing":
            check("add a system")
        page.get_by_label("Name of the system").fill(name)
        page.get_by_role("button", name="Save system").click()
        page.wait_for_url(re.compile(r"/manage/places/eastport/$"))
        expect(page.locator(".govuk-summary-list")).to_contain_text(name)
    check("place with systems", shot="02-place")

    # A diagnostic covering both systems.
    page.get_by_role("link", name="Create a diagnostic").click()
    check("create a diagnostic")
    page.get_by_label("Title").fill("Eastport systems diagnostic 2026")
    page.get_by_label("Homelessness and housing").check()
    page.get_by_label("Family support").check()
    page.get_by_role("button", name="Save diagnostic").click()
    page.wait_for_url(re.compile(r"/manage/d/eastport-systems-diagnostic-2026-[0-9a-f]{6}/$"))
    diagnostic_url = path_of(page.url)
    expect(page.locator(".govuk-summary-list")).to_contain_text("Draft")
    check("diagnostic (draft)", shot="03-diagnostic-draft")

    # Invite partners in bulk, pasted from a spreadsheet: check, then create.
    page.get_by_role("link", name="Invite partners in bulk").first.click()
    check("invite in bulk")
    page.get_by_label("Paste invitations").fill(BULK_ROWS)
    page.get_by_role("button", name="Check invitations").click()
    expect(page.locator(".govuk-panel")).to_contain_text("Ready to create 4 invitations")
    expect(page.locator(".govuk-panel")).to_contain_text("Harbour Residents Group")
    run_axe_both_sizes(page, "invite in bulk: check")
    screenshot(page, "facilitator-04-bulk-check")
    page.get_by_role("button", name="Create 4 invitations").click()
    page.wait_for_url(re.compile(r"/invitations/$"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Created 4 invitations")
    expect(page.locator("tbody tr")).to_have_count(4)
    check("invitations", shot="05-invitations")

    # Open the round.
    page.goto(diagnostic_url)
    expect(page.locator("#progress + p")).to_have_text(
        "0 of 4 invited partners have submitted (0%)."
    )
    page.get_by_role("link", name="Open the round").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Open the round?")
    expect(page.locator("main")).to_contain_text("4 invitations, 0 of them e-mailed")
    check("open the round: confirm")
    page.get_by_role("button", name="Open the round").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The round is open")
    expect(page.get_by_role("link", name="Close the round")).to_be_visible()
    assert Diagnostic.objects.get().status == Diagnostic.Status.OPEN
    assert progress_cell(page, "By system", "Homelessness and housing", "Submitted") == "0"
    check("diagnostic (open)", shot="06-diagnostic-open")

    # Ben's personal link, from his invitation's page.
    page.goto(diagnostic_url + "invitations/")
    page.get_by_role("link", name="Ben Okafor").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ben Okafor")
    check("invitation")
    link = page.get_by_label("Link").input_value()
    assert re.search(r"/i/[\w-]+/$", link), link

    # Ben answers in another browser, on his phone, and submits his first system.
    partner = browsing.new_page(PHONE)
    partner.goto(path_of(link))
    expect(partner.get_by_role("heading", level=1)).to_have_text("Eastport systems diagnostic 2026")
    partner_visited: list[tuple[str, str]] = []

    def partner_seen(label: str) -> None:
        run_axe(partner, label)
        partner_visited.append((label, path_of(partner.url)))

    partner_seen("partner landing (journey 1)")
    answer_everything_with_the_mouse(partner, partner_seen)
    partner_seen("partner landing after submitting (journey 1)")
    screenshot(partner, "facilitator-07-partner-submitted")
    ben = Invitation.objects.get(name="Ben Okafor")
    assert Response.objects.get(invitation=ben).status == Response.Status.SUBMITTED

    # The facilitator's dashboard moves on reload.
    page.goto(diagnostic_url)
    expect(page.locator("#progress + p")).to_have_text(
        "1 of 4 invited partners have submitted (25%)."
    )
    system = Response.objects.get(invitation=ben).system.name
    assert progress_cell(page, "By system", system, "Submitted") == "1"
    assert progress_cell(page, "By system", system, "Started") == "1"
    assert progress_cell(page, "By sector", "Voluntary", "Submitted") == "1"
    assert progress_cell(page, "By organisation", "Eastport Housing Trust", "Opened") == "1"
    check("diagnostic (one submitted)", shot="08-progress")
    page.goto(diagnostic_url + "invitations/")
    expect(page.locator("tbody tr").filter(has_text="Ben Okafor")).to_contain_text("Submitted 1")

    assert Place.objects.get().facilitators.get() == user

    # The same pages on a phone, signed in as the same person; the login form signed out;
    # the partner's pages on a desktop.
    browsing.revisit(visited, PHONE, storage_state=page.context.storage_state())
    browsing.revisit(partner_visited, DESKTOP, storage_state=partner.context.storage_state())
    phone = browsing.revisit([("login", "/accounts/login/")], PHONE)
    screenshot(phone, "facilitator-01-login")
