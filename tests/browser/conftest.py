"""Real-browser fixtures: Debian's Chromium driven by Playwright against ``live_server``.

- ``browser``: one headless Chromium for the browser tests (``/usr/bin/chromium``;
  Playwright's own browser downloads do not work here).
- ``page_desktop`` (1280×900) and ``page_phone`` (360×740, mobile, touch): a fresh page in
  its own context. ``browsing`` opens as many contexts as a journey needs (another
  partner, a second visit, the same pages at the other size) and closes them after.
- Every page opened here is watched: a Content Security Policy report in its console, an
  uncaught script error or a missing file (a stylesheet, script or image answering 4xx
  or 5xx) fails the test. A failed test leaves screenshots in
  test-artifacts/screenshots/failed-*.
- ``axe_check(page, label)`` runs axe-core with the WCAG 2.x A/AA rules and fails on any
  violation (at phone size it also fails a page that scrolls sideways: WCAG reflow);
  every check is counted and the run ends with a summary line.
- ``live_framework``: the framework fixture for live-server tests, whose transactional
  database is flushed after each test.
- ``demo``: the Northbridge demo (``demo.northbridge``) seeded into that database; its
  current round.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, Page, sync_playwright

from demo.northbridge import CURRENT_TITLE, demo_seed
from preconditions.models import Framework
from surveys.models import Diagnostic

from .support import (
    AXE_REGISTRY,
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    Browsing,
    run_axe,
)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    # Playwright's sync API runs an event loop in this thread; Django's ORM would
    # otherwise refuse to run here ("You cannot call this from an async context").
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """Signing in is not what these tests measure; the live server thread shares settings."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def live_framework(live_server) -> Framework:
    """The framework, loaded into the live server's transactional database (flushed after
    every test, so it is loaded again for each)."""
    call_command("loaddata", "framework", verbosity=0)
    return Framework.objects.get(slug="place-based-systems-change")


@pytest.fixture
def demo(live_framework) -> Diagnostic:
    """The Northbridge demo, seeded for this test: its current (open) round."""
    demo_seed()
    return Diagnostic.objects.get(title=CURRENT_TITLE)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_test_failed = report.failed
    return report


@pytest.fixture
def browsing(request, browser: Browser, live_server) -> Iterator[Browsing]:
    """Opens browser contexts for one test and closes them after; fails the test on a
    CSP violation or script error in any of its pages. A failed test leaves a screenshot
    of each page it had open in test-artifacts/screenshots/failed-*."""
    session = Browsing(browser, live_server.url)
    yield session
    if getattr(request.node, "browser_test_failed", False):
        session.screenshot_all(f"failed-{request.node.name}")
    session.close()
    session.assert_console_clean()


@pytest.fixture
def page_desktop(browsing: Browsing) -> Page:
    return browsing.new_page(DESKTOP)


@pytest.fixture
def page_phone(browsing: Browsing) -> Page:
    return browsing.new_page(PHONE)


@pytest.fixture
def axe_check():
    """``axe_check(page, label)``: 0 WCAG 2.x A/AA violations, or fail with a readable list."""
    return run_axe


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    summary = AXE_REGISTRY.summary()
    if summary:
        terminalreporter.write_sep("-", "accessibility")
        terminalreporter.write_line(summary)
