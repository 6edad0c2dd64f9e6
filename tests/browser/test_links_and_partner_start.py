"""Issue 17 in a real browser: links for people without e-mail (the printable sheet with
QR codes, the copy-link button, the CSV download) and what partners see around their
answers (the Start button, a header without Sign in, the ticked indicators on the
review, which link brings them back), and a steering member invited by e-mail setting a
password. Desktop and 360 px; JavaScript on and off where it changes anything (the copy
button, the partner's pages); axe 0 violations on every page."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import expect

from surveys.invitations import invitation_link
from surveys.models import AuditEvent

from ..factories import (
    make_diagnostic,
    make_invitation,
    make_organisation,
    make_place,
    make_system,
    make_user,
)
from .support import DESKTOP, PHONE, path_of, run_axe, screenshot, sign_in, tab_to

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery staple"


@pytest.fixture
def round_without_email(live_framework):
    facilitator = make_user("fran", email="fran@example.org")
    place = make_place("Northbridge", facilitators=[facilitator])
    system = make_system(place, "Homelessness and housing")
    diagnostic = make_diagnostic(
        place, live_framework, systems=[system], title="Northbridge diagnostic 2026"
    )
    shelter = make_organisation(place, "voluntary", "Northbridge Night Shelter")
    invitations = [
        make_invitation(diagnostic, organisation=shelter, role="citizen", name=name, email="")
        for name in ("Sam Rivers", "Ada Okafor")
    ]
    return diagnostic, invitations


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_sheet_of_links_prints_qr_codes_and_copies_a_link(browsing, round_without_email, size):
    diagnostic, invitations = round_without_email
    context = browsing.new_context(size)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    sign_in(page, "fran", PASSWORD)
    page.goto(f"/manage/d/{diagnostic.slug}/invitations/")
    run_axe(page, "invitation list with the links section")
    page.get_by_role("link", name="Print the links with QR codes").click()
    expect(page.get_by_role("heading", name="Links to print or hand out")).to_be_visible()
    expect(page.locator(".app-link-card svg")).to_have_count(2)
    link = invitation_link(invitations[0])
    expect(page.get_by_label("Link for Sam Rivers")).to_have_value(link)
    run_axe(page, "sheet of links")

    # The copy button, by keyboard: the link reaches the clipboard and is announced.
    tab_to(page, "button[data-copy-target]")
    page.keyboard.press("Enter")
    expect(page.locator("[data-copy-status]")).to_have_text("Link copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied in {link, invitation_link(invitations[1])}
    run_axe(page, "sheet of links after copying")

    # Printed: no buttons, no navigation, every card with its code and link.
    page.emulate_media(media="print")
    expect(page.locator("button[data-copy-target]").first).to_be_hidden()
    expect(page.locator(".app-link-card svg").first).to_be_visible()
    screenshot(page, "links-sheet-print")
    page.emulate_media(media="screen")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LINKS_EXPORTED).count() == 1


def test_without_javascript_the_link_is_plain_text_and_there_is_no_copy_button(
    browsing, round_without_email
):
    diagnostic, invitations = round_without_email
    page = browsing.new_page(PHONE, scripts=False)
    sign_in(page, "fran", PASSWORD)
    page.goto(f"/manage/d/{diagnostic.slug}/invitations/links/")
    expect(page.locator("button[data-copy-target]").first).to_be_hidden()
    expect(page.get_by_label("Link for Ada Okafor")).to_have_value(invitation_link(invitations[1]))
    run_axe(page, "sheet of links without scripts")
    # The detail page too.
    page.goto(f"/manage/d/{diagnostic.slug}/invitations/{invitations[0].public_id}/")
    expect(page.get_by_role("button", name="Copy link")).to_be_hidden()
    run_axe(page, "invitation detail without scripts")


def test_the_csv_of_links_downloads(browsing, round_without_email):
    diagnostic, invitations = round_without_email
    page = browsing.new_page(DESKTOP)
    sign_in(page, "fran", PASSWORD)
    page.goto(f"/manage/d/{diagnostic.slug}/invitations/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the links for a mail merge").click()
    download = download_info.value
    assert download.suggested_filename == f"{diagnostic.slug}-invitation-links.csv"
    with open(download.path(), encoding="utf-8-sig") as file:
        text = file.read()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["organisation", "name", "sector", "role", "link"]
    assert {row[4] for row in rows[1:]} == {invitation_link(i) for i in invitations}


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_partner_starts_sees_no_sign_in_and_reviews_their_ticks(
    browsing, round_without_email, size, javascript
):
    diagnostic, invitations = round_without_email
    diagnostic.status = "open"
    diagnostic.save()
    page = browsing.new_page(size, scripts=javascript)
    page.goto(path_of(invitation_link(invitations[0])))
    header = page.locator("header")
    expect(header.get_by_text("Sign in")).to_have_count(0)
    expect(header.get_by_role("link", name="Your systems")).to_be_visible()
    expect(page.get_by_text("open your personal invitation link again")).to_be_visible()
    run_axe(page, "partner landing with the Start button")

    start = page.get_by_role("button", name="Start now")
    expect(start).to_be_visible()
    tab_to(page, ".govuk-button--start")
    with page.expect_navigation(url="**/A/"):
        page.keyboard.press("Enter")
    expect(page.locator("header").get_by_text("Sign in")).to_have_count(0)
    page.locator("input[name=answer][value='3']").check()
    page.locator("input[name=indicators_seen][value='0']").check()
    page.get_by_role("button", name="Save and come back later").click()
    page.wait_for_url(f"**/respond/{invitations[0].public_id}/")
    expect(page.get_by_role("button", name="Continue")).to_be_visible()

    page.goto(f"/respond/{invitations[0].public_id}/{diagnostic.systems.get().slug}/review/")
    first_indicator = live_indicator(diagnostic)
    expect(page.get_by_text("You have seen:").first).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text=first_indicator)).to_be_visible()
    expect(page.get_by_text("open your personal invitation link again")).to_be_visible()
    run_axe(page, "partner review with ticked indicators")


def live_indicator(diagnostic) -> str:
    return diagnostic.framework.preconditions.get(code="A").plain_indicators[0]


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_steering_member_invited_by_email_sets_a_password(browsing, round_without_email, size):
    from django.core import mail

    from outbox.delivery import deliver_due

    diagnostic, _invitations = round_without_email
    page = browsing.new_page(size)
    sign_in(page, "fran", PASSWORD)
    page.goto(f"/manage/d/{diagnostic.slug}/access/")
    page.get_by_role("link", name="Invite a steering member by e-mail").click()
    run_axe(page, "steering invitation form")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()  # no address yet
    run_axe(page, "steering invitation form with an error")
    page.get_by_label("Their e-mail address").fill("sam@example.org")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("Invited: has not set a password yet")).to_be_visible()
    run_axe(page, "who has access, with a member invited")

    assert deliver_due().sent == 1
    link = next(word for word in mail.outbox[-1].body.split() if "/accounts/set-password/" in word)
    member = browsing.new_page(size)
    member.goto(path_of(link))
    expect(member.get_by_role("heading", name="Set your password")).to_be_visible()
    run_axe(member, "set your password")
    member.get_by_label("New password", exact=True).fill("short")
    member.get_by_label("New password confirmation").fill("short")
    member.get_by_role("button", name="Set password").click()
    expect(member.locator(".govuk-error-summary")).to_be_visible()
    run_axe(member, "set your password with an error")
    member.get_by_label("New password", exact=True).fill("a long and unusual passphrase 42")
    member.get_by_label("New password confirmation").fill("a long and unusual passphrase 42")
    member.get_by_role("button", name="Set password").click()
    expect(member.get_by_text("Your password is set and you are signed in.")).to_be_visible()
    expect(member.get_by_role("link", name=diagnostic.title).first).to_be_visible()
