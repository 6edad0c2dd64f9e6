"""Journey 2: a partner on a phone answers with the keyboard only, leaves, comes back in a
new browser, finishes, reviews and submits. Run twice: with JavaScript (answers also save
by themselves, autosave) and with JavaScript disabled (the step's buttons save).

No .click() or .fill() here: every answer is given with Tab, Shift+Tab, the arrow keys,
Space, typing and Enter, through ``page.keyboard``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from surveys.invitations import invitation_link
from surveys.models import Invitation, Rating, Response

from ..factories import make_diagnostic, make_invitation, make_organisation, make_place, make_system
from .support import (
    DESKTOP,
    PHONE,
    enter_and_wait,
    focused,
    path_of,
    run_axe,
    screenshot,
    tab_to,
)

pytestmark = pytest.mark.browser

DONT_KNOW = "dont_know"


@pytest.fixture
def invitation(live_framework) -> Invitation:
    place = make_place("Northbridge")
    homelessness = make_system(place, "Homelessness and housing")
    families = make_system(place, "Families with multiple needs")
    diagnostic = make_diagnostic(
        place,
        live_framework,
        systems=[homelessness, families],
        title="Northbridge systems diagnostic 2026",
    )
    shelter = make_organisation(place, "voluntary", "Northbridge Night Shelter")
    return make_invitation(
        diagnostic, organisation=shelter, role="frontline", name="Sam Rivers", email=""
    )


# --- the keyboard -------------------------------------------------------------------


def choose(page: Page, value: str) -> None:
    """With focus in the scale's radios, move with the arrow keys to `value`; Space selects
    the focused radio when none is selected yet (arrow keys select as they move)."""
    radios = page.locator("input[name=answer]")
    values = [radios.nth(i).get_attribute("value") for i in range(radios.count())]
    current = focused(page, "input[name=answer]")
    assert current.count(), "focus is not on the scale"
    start, target = values.index(current.get_attribute("value")), values.index(value)
    for _ in range(abs(target - start)):
        page.keyboard.press("ArrowDown" if target > start else "ArrowUp")
    if not focused(page, "input[name=answer]").is_checked():
        page.keyboard.press("Space")
    chosen = focused(page, "input[name=answer]")
    assert chosen.get_attribute("value") == value and chosen.is_checked()


def type_evidence(page: Page, text: str) -> None:
    """From the scale, Tab to the evidence box, replace what is there and type."""
    page.keyboard.press("Tab")
    assert focused(page, "textarea[name=evidence]").count()
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.press("Delete")
    page.keyboard.type(text)


def answer(
    page: Page,
    value: str,
    evidence: str = "",
    *,
    indicator: bool = False,
    change_mind_to: str | None = None,
    then: str = "save_and_continue",
    next_url: re.Pattern,
) -> None:
    """Answer the step on screen with the keyboard, then press one of its buttons."""
    tab_to(page, "input[name=answer]")
    choose(page, value)
    if evidence:
        type_evidence(page, evidence)
    if change_mind_to:
        # Back up to the scale with Shift+Tab and pick another point.
        tab_to(page, "input[name=answer]", backwards=True)
        choose(page, change_mind_to)
    if indicator:
        tab_to(page, "input[name=indicators_seen]")
        page.keyboard.press("Space")
        assert focused(page, "input[name=indicators_seen]").is_checked()
    tab_to(page, f"button[name={then}]")
    enter_and_wait(page, next_url)


def step_url(system_slug: str, code: str) -> re.Pattern:
    return re.compile(rf"/respond/\w+/{system_slug}/{code}/$")


# --- the journey --------------------------------------------------------------------


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_partner_answers_by_keyboard_on_a_phone_resumes_and_submits(
    invitation, browsing, javascript
):
    mode = "js" if javascript else "no-js"
    system = invitation.systems.get(name="Homelessness and housing")
    link = path_of(invitation_link(invitation))
    landing_url = re.compile(rf"/respond/{invitation.public_id}/$")
    visited: list[tuple[str, str]] = []

    def seen(page: Page, label: str, *, shot: str | None = None) -> None:
        # axe cannot run where JavaScript is disabled: those pages are checked afterwards,
        # in a context whose scripts are blocked (the same rendering).
        if javascript:
            run_axe(page, label)
        visited.append((f"{label} ({mode})", path_of(page.url)))
        if shot:
            screenshot(page, f"partner-{mode}-{shot}")

    # First visit, on a phone: the link leads to the landing page, without its token.
    page = browsing.new_page(PHONE, javascript=javascript)
    page.goto(link)
    expect(page).to_have_url(landing_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Northbridge systems diagnostic 2026")
    expect(page.locator(".govuk-task-list__item")).to_have_count(2)
    seen(page, "partner landing", shot="01-landing")

    tab_to(page, f"a.govuk-task-list__link[href*='/{system.slug}/']")
    enter_and_wait(page, step_url(system.slug, "A"))
    expect(page.locator(".govuk-caption-l")).to_contain_text("step 1 of 9")
    seen(page, "partner step A")
    answer(
        page,
        "4",
        "Hostel staff and the council's housing options team meet every week.",
        indicator=True,
        next_url=step_url(system.slug, "B"),
    )
    seen(page, "partner step B")
    answer(
        page,
        "2",
        "Most services still count their own outputs.",
        change_mind_to="3",
        next_url=step_url(system.slug, "C"),
    )
    screenshot(page, f"partner-{mode}-02-step")
    seen(page, "partner step C")

    # C: "I don't know". With JavaScript it saves by itself; without, the partner saves
    # and comes back later. Either way they then close the browser.
    if javascript:
        tab_to(page, "input[name=answer]")
        choose(page, DONT_KNOW)
        type_evidence(page, "I only see the night shelter.")
        expect(page.locator(".app-autosave-status")).to_contain_text("Saved at", timeout=8000)
    else:
        answer(
            page,
            DONT_KNOW,
            "I only see the night shelter.",
            then="save_and_exit",
            next_url=landing_url,
        )
        expect(page.locator(".govuk-notification-banner")).to_contain_text("answers are saved")
    page.context.close()

    response = Response.objects.get(invitation=invitation, system=system)
    ratings = {r.precondition.code: r for r in response.ratings.select_related("precondition")}
    assert sorted(ratings) == ["A", "B", "C"]
    assert (ratings["A"].score, ratings["A"].indicators_seen) == (4, [0])
    assert ratings["B"].score == 3
    assert ratings["C"].dont_know and ratings["C"].score is None
    assert response.status == Response.Status.DRAFT

    # Back the next day, in a new browser: the answers are still there.
    page = browsing.new_page(PHONE, javascript=javascript)
    page.goto(link)
    expect(page).to_have_url(landing_url)
    item = page.locator(".govuk-task-list__item").filter(has_text="Homelessness and housing")
    expect(item).to_contain_text("3 of 9 answered")
    expect(item).to_contain_text("In progress")
    seen(page, "partner landing (in progress)", shot="03-landing-in-progress")

    tab_to(page, f"a.govuk-task-list__link[href*='/{system.slug}/']")
    enter_and_wait(page, step_url(system.slug, "D"))  # the first unanswered pre-condition
    tab_to(page, "a.govuk-back-link")
    enter_and_wait(page, step_url(system.slug, "C"))
    expect(page.locator("input[name=answer][value=dont_know]")).to_be_checked()
    expect(page.locator("textarea[name=evidence]")).to_have_value("I only see the night shelter.")
    tab_to(page, "button[name=save_and_continue]")
    enter_and_wait(page, step_url(system.slug, "D"))

    for code, value, following in [
        ("D", "2", "E"),
        ("E", "5", "F"),
        ("F", "3", "G"),
        ("G", "1", "H"),
        ("H", DONT_KNOW, "I"),
        ("I", "2", None),
    ]:
        seen(page, f"partner step {code}")
        answer(
            page,
            value,
            f"Evidence for {code}." if value != DONT_KNOW else "",
            next_url=step_url(system.slug, following) if following else re.compile(r"/review/$"),
        )

    # Review: every answer, old and new, then submit.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    rows = page.locator(".govuk-summary-list__row")
    expect(rows).to_have_count(9)
    expect(rows.nth(0)).to_contain_text("4 Established")
    expect(rows.nth(0)).to_contain_text("Hostel staff and the council")
    expect(rows.nth(1)).to_contain_text("3 Developing")
    expect(rows.nth(2)).to_contain_text("I don't know")
    expect(rows.nth(8)).to_contain_text("2 Emerging")
    seen(page, "partner review", shot="04-review")
    tab_to(page, "button[name=submit]")
    enter_and_wait(page, landing_url)
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "your assessment of Homelessness and housing is submitted"
    )
    expect(item).to_contain_text("Submitted")
    other = page.locator(".govuk-task-list__item").filter(has_text="Families with multiple needs")
    expect(other).to_contain_text("Not started")
    seen(page, "partner landing (submitted)", shot="05-submitted")

    response.refresh_from_db()
    assert response.status == Response.Status.SUBMITTED
    assert Rating.objects.filter(response=response).count() == 9

    # Every page again at desktop size (and, for the run without JavaScript, both sizes,
    # with the scripts blocked so that axe can run).
    state = page.context.storage_state()
    browsing.revisit(visited, DESKTOP, storage_state=state, scripts=javascript)
    if not javascript:
        browsing.revisit(visited, PHONE, storage_state=state, scripts=False)
