"""Helpers for the browser tests: browser contexts, axe, keyboard, screenshots.

Shared by the fixtures in ``conftest.py`` and the journeys. Nothing here talks to the
database: tests build their data themselves.
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    Response,
    ViewportSize,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

# WCAG 2.0, 2.1 and 2.2, levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}

# What a page's console says when the Content Security Policy blocks something.
CSP_MESSAGE = re.compile(r"Content Security Policy|Refused to", re.IGNORECASE)


def size_of(page: Page) -> str:
    viewport = page.viewport_size or DESKTOP["viewport"]
    return "phone" if viewport["width"] < 600 else "desktop"


# --- axe ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AxeCheck:
    label: str
    size: str
    path: str
    rules: int
    violations: int


@dataclass
class AxeRegistry:
    """Every axe check of the run, for the summary printed at the end."""

    checks: list[AxeCheck] = field(default_factory=list)

    def record(self, check: AxeCheck) -> None:
        self.checks.append(check)

    def summary(self) -> str:
        if not self.checks:
            return ""
        sizes = Counter(check.size for check in self.checks)
        rules = sorted({check.rules for check in self.checks})
        rules_text = f"{rules[0]}" if len(rules) == 1 else f"{rules[0]}–{rules[-1]}"
        pages = {(check.path, check.size) for check in self.checks}
        violations = sum(check.violations for check in self.checks)
        return (
            f"axe: {len(self.checks)} page checks ({sizes['desktop']} desktop, "
            f"{sizes['phone']} phone; {len({p for p, _ in pages})} distinct URLs), "
            f"{violations} violations, {rules_text} rules each "
            f"(WCAG tags: {', '.join(WCAG_TAGS)}); every phone check also tested reflow"
        )


AXE_REGISTRY = AxeRegistry()


def _violation_text(violation: dict) -> str:
    lines = [
        f"- {violation['id']} [{violation.get('impact') or 'n/a'}]: {violation['help']}",
        f"    {violation.get('helpUrl', '')}",
    ]
    for node in violation["nodes"][:10]:
        target = " ".join(str(t) for t in node["target"])
        summary = (node.get("failureSummary") or "").replace("\n", " ")
        lines.append(f"    at {target}: {summary}")
    if len(violation["nodes"]) > 10:
        lines.append(f"    ... and {len(violation['nodes']) - 10} more elements")
    return "\n".join(lines)


def run_axe(page: Page, label: str) -> int:
    """Run axe's WCAG 2.x A/AA rules on the page as it is now; fail on any violation.

    Returns the number of rules run. axe-core (from axe-playwright-python's wheel) is
    evaluated in the page, not added as a script element, so the Content Security Policy
    does not get in its way.
    """
    assert not getattr(page.context, "javascript_disabled", False), (
        f"{label}: axe cannot run where JavaScript is disabled (Playwright would wait for "
        "ever); check the page in a context with scripts=False instead"
    )
    # axe-core once per document (it is half a megabyte), then run it there.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    results = page.evaluate("options => window.axe.run(document, options)", AXE_OPTIONS)
    violations = results["violations"]
    # A rule can pass on some elements and need review on others: count each rule once.
    kinds = ("violations", "passes", "incomplete", "inapplicable")
    rules = len({rule["id"] for kind in kinds for rule in results[kind]})
    size = size_of(page)
    AXE_REGISTRY.record(
        AxeCheck(
            label=label,
            size=size,
            path=path_of(page.url),
            rules=rules,
            violations=len(violations),
        )
    )
    assert not violations, (
        f"axe found {len(violations)} accessibility violation(s) on {label!r} ({size}, "
        f"{page.url}):\n" + "\n".join(_violation_text(v) for v in violations)
    )
    if size == "phone":
        assert_reflows(page, label)
    return rules


def assert_reflows(page: Page, label: str) -> None:
    """WCAG 1.4.10 (Reflow), which axe does not test: on a phone the page never scrolls
    sideways; a wide table scrolls inside its own (focusable) wrapper instead."""
    wide = page.evaluate(
        """() => {
          const root = document.documentElement;
          if (root.scrollWidth <= root.clientWidth + 1) return null;
          const culprits = Array.from(document.querySelectorAll("main *"))
            .filter(el => el.getBoundingClientRect().right > root.clientWidth + 1)
            .filter(el => !el.parentElement.closest(".app-table-wrapper"))
            .slice(0, 3)
            .map(el => el.outerHTML.slice(0, 100));
          return {width: root.scrollWidth, viewport: root.clientWidth, culprits};
        }"""
    )
    assert wide is None, f"{label!r} ({page.url}) is wider than the phone: {wide}"


def run_axe_both_sizes(page: Page, label: str) -> None:
    """axe at the page's own size and again at the other one, without reloading: for
    pages that are the answer to a POST and cannot simply be visited again."""
    own = page.viewport_size
    assert own is not None, "the page has no viewport size"  # Browsing's contexts all do
    run_axe(page, label)
    other = PHONE if size_of(page) == "desktop" else DESKTOP
    page.set_viewport_size(cast(ViewportSize, other["viewport"]))
    try:
        run_axe(page, label)
    finally:
        page.set_viewport_size(own)


# --- browser contexts ---------------------------------------------------------------


class Browsing:
    """The browser contexts of one test, each page's console watched."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.contexts: list[BrowserContext] = []
        self.problems: list[str] = []

    def new_context(
        self,
        size: dict = DESKTOP,
        *,
        javascript: bool = True,
        scripts: bool = True,
        storage_state=None,
    ) -> BrowserContext:
        """A new context: `javascript=False` disables JavaScript (axe cannot run there);
        `scripts=False` keeps it on but serves the app's scripts empty (axe can run)."""
        context = self.browser.new_context(
            **size,
            base_url=self.base_url,
            java_script_enabled=javascript,
            storage_state=storage_state,
            locale="en-GB",
            timezone_id="Europe/London",
            accept_downloads=True,
        )
        context.set_default_timeout(15_000)
        # Our own mark on Playwright's object (run_axe reads it), so no attribute in its types.
        context.javascript_disabled = not javascript  # type: ignore[attr-defined]
        context.on("page", self._watch)
        if not scripts:
            block_scripts(context)
        self.contexts.append(context)
        return context

    def new_page(self, size: dict = DESKTOP, **options) -> Page:
        return self.new_context(size, **options).new_page()

    def _watch(self, page: Page) -> None:
        def on_console(message: ConsoleMessage) -> None:
            if CSP_MESSAGE.search(message.text):
                self.problems.append(f"{page.url}: CSP: {message.text}")

        def on_response(response: Response) -> None:
            # The page itself may answer 400 or 404 on purpose; its parts never should.
            if response.status >= 400 and response.request.resource_type != "document":
                self.problems.append(f"{page.url}: {response.status} for {response.url}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: error: {error}"))
        page.on("response", on_response)

    def screenshot_all(self, name: str) -> None:
        for n, context in enumerate(self.contexts):
            for m, page in enumerate(context.pages):
                with contextlib.suppress(Exception):  # a best-effort aid to debugging
                    screenshot(page, f"{name}-{n}-{m}")

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts.clear()

    def assert_console_clean(self) -> None:
        assert not self.problems, "Problems in the browser console:\n" + "\n".join(self.problems)

    def revisit(
        self, pages: list[tuple[str, str]], size: dict, *, storage_state=None, scripts=True
    ) -> Page:
        """Visit each (label, url) again in a new context of another size, with the same
        cookies, and check it with axe. Returns the page, still open."""
        page = self.new_page(size, storage_state=storage_state, scripts=scripts)
        for label, url in pages:
            response = page.goto(url)
            assert response is not None and response.ok, f"{label}: {url} answered {response}"
            run_axe(page, label)
        return page


# --- pages ----------------------------------------------------------------------------


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{size_of(page)}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def sign_in(page: Page, username: str, password: str) -> None:
    """The login form, as a person uses it (mouse and typing)."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/manage/$"))


def path_of(url: str) -> str:
    """The path and query of an absolute link (links carry SITE_URL, not the live server)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# --- keyboard -------------------------------------------------------------------------
# Locators rather than page.evaluate: they also work in a context with JavaScript disabled.


def focused(page: Page, selector: str) -> Locator:
    """The element matching `selector` if it has the focus (a locator matching 0 or 1)."""
    return page.locator(selector).and_(page.locator(":focus"))


def describe_focus(page: Page) -> str:
    active = page.locator(":focus")
    if not active.count():
        return "nothing (the document)"
    active = active.first
    attributes = {name: active.get_attribute(name) for name in ("id", "class", "name", "href")}
    text = active.inner_text().strip()[:40]
    return " ".join(f"{k}={v!r}" for k, v in attributes.items() if v) + f" text={text!r}"


def tab_to(page: Page, selector: str, *, backwards: bool = False, limit: int = 80) -> int:
    """Press Tab (or Shift+Tab) until the focused element matches `selector`."""
    key = "Shift+Tab" if backwards else "Tab"
    for presses in range(1, limit + 1):
        page.keyboard.press(key)
        if focused(page, selector).count():
            return presses
    raise AssertionError(
        f"{key} x{limit} never reached {selector!r}; focus is on {describe_focus(page)}"
    )


def enter_and_wait(page: Page, url: str | re.Pattern) -> None:
    """Press Enter on the focused control and wait for the page it leads to."""
    with page.expect_navigation(url=url):
        page.keyboard.press("Enter")


def block_scripts(context: BrowserContext) -> None:
    """Serve every script empty: the page renders as it does with JavaScript disabled,
    while Playwright can still run axe in it (it cannot where JavaScript is disabled)."""
    context.route(
        re.compile(r"\.m?js(\?.*)?$"),
        lambda route: route.fulfill(status=200, body="", content_type="text/javascript"),
    )
