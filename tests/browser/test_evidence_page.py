"""Evidence at scale in a real browser: a steering member opens the first few excerpts of
a pre-condition on the report, follows "See all", searches and pages through the
evidence with the keyboard, on a phone and on a desktop, with and without JavaScript;
axe finds nothing at either size."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from demo.northbridge import CURRENT_TITLE, demo_seed
from surveys.models import Diagnostic

from .support import DESKTOP, PHONE, assert_reflows, enter_and_wait, run_axe, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(live_framework) -> Diagnostic:
    demo_seed()
    return Diagnostic.objects.get(title=CURRENT_TITLE)


@pytest.mark.parametrize(
    ("size", "scripts"), [(DESKTOP, True), (PHONE, False)], ids=["desktop-js", "phone-no-js"]
)
def test_a_steering_member_finds_every_excerpt_from_the_report(browsing, demo, size, scripts):
    page = browsing.new_page(size, scripts=scripts)
    sign_in(page, "steering", "demo-steering-pass")
    page.goto(f"/reports/{demo.slug}/")
    section = page.locator("section.app-report-section").first
    details = section.locator("details.app-evidence").first
    details.locator("summary").click()
    # Three excerpts, and the count of all of them.
    expect(details.locator("blockquote")).to_have_count(3)
    link = details.get_by_role("link", name=re.compile(r"^See all \d+ excerpts about [A-I]"))
    total = int(re.search(r"See all (\d+)", link.inner_text()).group(1))
    assert total > 3
    link.click()
    page.wait_for_url(re.compile(r"/evidence/\?code=[A-I]"))
    expect(page.get_by_role("heading", level=1)).to_have_text("What people said")
    expect(page.locator("#results")).to_contain_text(f"{total} excerpts")
    run_axe(page, "evidence page")
    if size is PHONE:
        assert_reflows(page, "evidence page")

    # Every pre-condition: more than one page; the next page by keyboard.
    page.get_by_label("Pre-condition").select_option("")
    page.get_by_label("Search the evidence").focus()
    enter_and_wait(page, re.compile(r"/evidence/\?"))
    expect(page.locator("#results")).to_contain_text("1 to 50 shown")
    next_link = page.get_by_role("link", name="Next page")
    next_link.focus()
    enter_and_wait(page, re.compile(r"page=2"))
    expect(page.locator("#results")).to_contain_text("51 to 100 shown")
    run_axe(page, "evidence page 2")

    # A search by keyboard: only the excerpts holding every word.
    word = page.locator("blockquote").first.inner_text().split()[0]
    search = page.get_by_label("Search the evidence")
    search.fill(word)
    search.focus()
    enter_and_wait(page, re.compile(r"q="))
    expect(page.locator("#results")).to_contain_text(re.compile(r"\d+ of \d+ excerpts? match"))
    for quote in page.locator("blockquote").all_inner_texts():
        assert word.casefold() in quote.casefold()
    run_axe(page, "evidence search")
