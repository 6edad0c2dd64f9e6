"""Keyboard focus and form errors, on the Northbridge demo.

- Focus is always visible: Tab through whole pages; every element that takes focus must
  look different focused (outline, shadow, background, colour, underline or border of the
  element, its label or its content) and have a size on screen.
- Every form error is announced: submit each form empty or wrong; the GOV.UK error summary
  takes the focus, each of its links points at a field that exists, and following a link
  puts the focus on that field. Each error page passes axe at both sizes.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from surveys.invitations import invitation_link
from surveys.models import Diagnostic, Invitation, Response

from .support import path_of, run_axe, run_axe_both_sizes, sign_in

pytestmark = pytest.mark.browser


def unstarted_invitation(diagnostic: Diagnostic) -> Invitation:
    started = Response.objects.filter(invitation__isnull=False).values("invitation")
    return diagnostic.invitations.exclude(pk__in=started).earliest("pk")


# --- focus --------------------------------------------------------------------------

# Computed styles that show focus. An outline counts only if it can be seen: GOV.UK uses
# a transparent one (for Windows high contrast mode) next to a yellow background.
_FOCUS_SETUP = """() => {
  const PROPS = ["background-color", "box-shadow", "color", "text-decoration-line",
    "border-top-color", "border-top-width", "border-bottom-color", "border-bottom-width"];
  const outline = cs => {
    const width = parseFloat(cs.outlineWidth), colour = cs.outlineColor;
    const invisible = cs.outlineStyle === "none" || !width || colour === "transparent"
      || /rgba\\(.*,\\s*0\\)$/.test(colour);
    return invisible ? "none" : `${width} ${cs.outlineStyle} ${colour}`;
  };
  const one = (el, pseudo) => {
    const cs = getComputedStyle(el, pseudo);
    return PROPS.map(p => cs.getPropertyValue(p)).join("|") + "|" + outline(cs);
  };
  // The element, a few of its descendants (a summary styles its text) and its labels (a
  // GOV.UK radio or checkbox shows focus on its label's ::before).
  window.__focusStyle = el => [el, ...Array.from(el.querySelectorAll("*")).slice(0, 5),
      ...Array.from(el.labels || [])]
    .flatMap(n => [one(n, null), one(n, "::before"), one(n, "::after")]).join("#");
  window.__unfocused = new Map();
  window.__focusCount = 0;
  // Start from the top of the page with nothing focused (the login form focuses its
  // first field by itself).
  const start = document.createElement("span");
  start.tabIndex = -1;
  start.id = "focus-walk-start";
  document.body.prepend(start);
  start.focus();
  for (const el of document.querySelectorAll(
    "a[href], button, input, select, textarea, summary, [tabindex]")) {
    window.__unfocused.set(el, window.__focusStyle(el));
  }
}"""

_FOCUS_NOW = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el.id === "focus-walk-start") return {done: true};
  if (el.dataset.focusWalk) return {done: true};  // round again
  el.dataset.focusWalk = String(++window.__focusCount);
  const focused = window.__focusStyle(el);
  let unfocused = window.__unfocused.get(el);
  if (unfocused === undefined) {  // added after the page loaded: compare it blurred
    el.blur();
    unfocused = window.__focusStyle(el);
    el.focus();
  }
  const box = el.getBoundingClientRect();
  const text = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim();
  return {
    done: false,
    what: `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}` +
      `${el.className ? "." + String(el.className).trim().replace(/\\s+/g, ".") : ""} ` +
      JSON.stringify(text.slice(0, 50)),
    visible: focused !== unfocused,
    sized: box.width > 0 && box.height > 0,
  };
}"""


def tab_through(page: Page, limit: int = 400) -> list[str]:
    """Tab from the top of the page to the end; return the problems found."""
    page.evaluate(_FOCUS_SETUP)
    problems, reached = [], 0
    for _ in range(limit):
        page.keyboard.press("Tab")
        state = page.evaluate(_FOCUS_NOW)
        if state["done"]:
            break
        reached += 1
        if not state["visible"]:
            problems.append(f"no visible focus: {state['what']}")
        if not state["sized"]:
            problems.append(f"focused but not on screen: {state['what']}")
    else:
        problems.append(f"still tabbing after {limit} presses")
    assert reached > 3, f"{page.url}: only {reached} elements took focus"
    return problems


def assert_focus_visible(page: Page, urls: list[str], *, axe: bool = False) -> None:
    problems = []
    for url in urls:
        page.goto(url)
        if axe:  # pages that no journey visits
            run_axe_both_sizes(page, url)
            # axe resized the page to the phone's width and back: the header's script
            # may still be undoing that, so walk the keys on a fresh load.
            page.goto(url)
        problems += [f"{url}: {problem}" for problem in tab_through(page)]
    assert not problems, "Keyboard focus problems:\n" + "\n".join(problems)


def test_focus_is_visible_for_visitors_and_partners(demo, page_desktop, page_phone):
    assert_focus_visible(page_desktop, ["/", "/preconditions/", "/preconditions/E/"], axe=True)
    assert_focus_visible(page_desktop, ["/accounts/login/"])
    invitation = unstarted_invitation(demo)
    system = invitation.systems.order_by("name").first()
    page_phone.goto(path_of(invitation_link(invitation)))
    landing = path_of(page_phone.url)
    assert_focus_visible(
        page_phone,
        [
            landing,
            reverse("surveys:partner_step", args=[invitation.public_id, system.slug, "A"]),
            reverse("surveys:partner_review", args=[invitation.public_id, system.slug]),
        ],
    )


def test_focus_is_visible_for_facilitators_and_steering_members(demo, browsing):
    page = browsing.new_page()
    sign_in(page, "facilitator", "demo-facilitator-pass")
    assert_focus_visible(
        page,
        [
            "/manage/",
            reverse("surveys:place_detail", args=[demo.place.slug]),
            reverse("surveys:diagnostic_detail", args=[demo.slug]),
            reverse("surveys:diagnostic_create", args=[demo.place.slug]),
            reverse("surveys:invitation_create", args=[demo.slug]),
            reverse("surveys:diagnostic_access", args=[demo.slug]),
        ],
    )
    steering = browsing.new_page()
    sign_in(steering, "steering", "demo-steering-pass")
    system = demo.systems.order_by("name").first()
    assert_focus_visible(
        steering,
        [
            reverse("reports:index"),
            reverse("reports:diagnostic", args=[demo.slug]),
            reverse("reports:system", args=[demo.slug, system.slug]),
        ],
    )


# --- form errors ----------------------------------------------------------------------


def assert_errors_announced(
    page: Page, label: str, expected: int, *, at_field: bool = True
) -> list[str]:
    """The error summary has the focus and lists `expected` errors, each linking to a
    field that exists (and, `at_field`, shown there too); following each link focuses its
    field. Returns the field ids."""
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    assert page.evaluate("() => !!document.activeElement.closest('.govuk-error-summary')"), (
        f"{label}: the error summary does not have the focus"
    )
    links = summary.locator(".govuk-error-summary__list a")
    expect(links).to_have_count(expected)
    ids = []
    for i in range(expected):
        href = links.nth(i).get_attribute("href")
        assert href is not None and href.startswith("#"), (
            f"{label}: {href} is not a link to a field"
        )
        ids.append(href[1:])
        assert page.locator(f"[id='{href[1:]}']").count() == 1, f"{label}: no field {href}"
        if not at_field:
            continue
        # Each field shows its own message too: in its form group (for a date, the
        # group around its day, month and year boxes, each of which has a group of its own).
        group = page.locator(f"[id='{href[1:]}']").locator(
            "xpath=ancestor::*[contains(@class, 'govuk-form-group')]"
            "[not(contains(@class, 'govuk-date-input__item'))]"
            "[not(parent::*[contains(@class, 'govuk-date-input__item')])][1]"
        )
        expect(group.locator(".govuk-error-message").first).to_be_visible()
    for i, field_id in enumerate(ids):
        links.nth(i).click()
        assert page.evaluate("() => document.activeElement.id") == field_id, (
            f"{label}: following the link to #{field_id} focused "
            f"{page.evaluate('() => document.activeElement.outerHTML.slice(0, 120)')}"
        )
    run_axe_both_sizes(page, f"{label} (errors)")
    return ids


def submit(page: Page, button: str) -> None:
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state()


def test_form_errors_are_announced_and_lead_to_their_fields(demo, page_desktop):
    page = page_desktop

    # Signed out: the login and password reset forms.
    page.goto("/accounts/login/")
    submit(page, "Sign in")
    assert assert_errors_announced(page, "login", 2) == ["id_username", "id_password"]
    page.goto("/accounts/password_reset/")
    submit(page, "Send me a reset link")
    assert assert_errors_announced(page, "password reset", 1) == ["id_email"]

    sign_in(page, "facilitator", "demo-facilitator-pass")
    place, slug = demo.place.slug, demo.slug

    page.goto(reverse("surveys:place_create"))
    submit(page, "Save place")
    assert assert_errors_announced(page, "create a place", 1) == ["id_name"]

    page.goto(reverse("surveys:system_create", args=[place]))
    page.get_by_label("Name of the system").fill("Mental health crisis care")
    submit(page, "Save system")
    assert assert_errors_announced(page, "add a system", 1) == ["id_name"]
    expect(page.locator("#id_name")).to_have_value("Mental health crisis care")

    page.goto(reverse("surveys:organisation_create", args=[place]))
    submit(page, "Save")
    assert assert_errors_announced(page, "add an organisation", 2) == ["id_name", "id_sector"]

    page.goto(reverse("surveys:diagnostic_create", args=[place]))
    # GOV.UK date inputs: day, month and year boxes.
    for field, (day, month, year) in (
        ("opens_on", ("1", "5", "2026")),
        ("closes_on", ("1", "4", "2026")),
    ):
        page.locator(f"#id_{field}_0").fill(day)
        page.locator(f"#id_{field}_1").fill(month)
        page.locator(f"#id_{field}_2").fill(year)
    page.get_by_label("Smallest group shown in any breakdown").fill("2")
    submit(page, "Save diagnostic")
    assert assert_errors_announced(page, "create a diagnostic", 4) == [
        "id_title",
        "id_systems",
        "id_closes_on_0",
        "id_min_group_size",
    ]

    page.goto(reverse("surveys:invitation_create", args=[slug]))
    submit(page, "Create invitation")
    assert assert_errors_announced(page, "invite a partner", 3) == [
        "id_organisation",
        "id_role",
        "id_systems",
    ]

    page.goto(reverse("surveys:invitation_bulk", args=[slug]))
    submit(page, "Check invitations")
    assert assert_errors_announced(page, "invite in bulk", 1) == ["id_rows"]
    page.get_by_label("Paste invitations").fill(
        "name,email,organisation,sector,role,systems\n"
        "Eve,not-an-email,Northbridge Foodbank,charity,volunteer,Parks\n"
    )
    submit(page, "Check invitations")
    # The lines' problems are listed in the summary only (not again under the box).
    assert assert_errors_announced(page, "invite in bulk: a bad line", 1, at_field=False) == [
        "id_rows"
    ]
    expect(page.locator(".govuk-error-summary")).to_contain_text("Line 2:")

    page.goto(reverse("surveys:diagnostic_access", args=[slug]))
    page.get_by_label("Username or email address").fill("nobody-here")
    submit(page, "Add")
    assert assert_errors_announced(page, "who has access", 1) == ["id_identifier"]


def test_partner_submitting_too_soon_is_told_what_is_missing(demo, page_phone):
    invitation = unstarted_invitation(demo)
    system = invitation.systems.order_by("name").first()
    page = page_phone
    page.goto(path_of(invitation_link(invitation)))
    page.goto(reverse("surveys:partner_review", args=[invitation.public_id, system.slug]))
    submit(page, "Submit")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Error: "))
    assert page.evaluate("() => !!document.activeElement.closest('.govuk-error-summary')")
    links = summary.locator("a")
    expect(links).to_have_count(9)
    run_axe_both_sizes(page, "partner review (nothing answered)")
    # Each link leads to the step to answer, whose scale is then the first thing to fill.
    links.nth(4).click()
    page.wait_for_url(re.compile(rf"/{system.slug}/E/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Trusted partners")
    run_axe(page, "partner step E (from the error summary)")
