"""A partner on a phone keeps every word typed while the database is down or the network
is cut: autosave says so where they can see it, retries by itself until the server has
the text, and leaving the page asks first; without JavaScript "Save and continue"
answers 503 with the text kept in a form that saves it again."""

from __future__ import annotations

import re
import threading

import pytest
from django.db import OperationalError
from playwright.sync_api import Page, expect

from surveys.invitations import invitation_link
from surveys.models import Rating
from surveys.views import partner as partner_views

from ..factories import make_diagnostic, make_invitation, make_place, make_system
from .support import PHONE, path_of, run_axe

pytestmark = pytest.mark.browser


@pytest.fixture
def invitation(live_framework):
    place = make_place("Northbridge")
    system = make_system(place, "Homelessness and housing")
    return make_invitation(make_diagnostic(place, live_framework, systems=[system]))


@pytest.fixture
def database(monkeypatch):
    """``database.clear()`` stops the save's database work (every save answers 503, as
    with the database stopped); ``database.set()`` brings it back."""
    up = threading.Event()
    up.set()
    real = partner_views.partner_answer_save

    def save(**kwargs):
        if not up.is_set():
            raise OperationalError("connection to server failed: Connection refused")
        return real(**kwargs)

    monkeypatch.setattr(partner_views, "partner_answer_save", save)
    return up


def stored_evidence(invitation) -> str | None:
    rating = Rating.objects.filter(response__invitation=invitation, precondition__code="A").first()
    return rating.evidence if rating else None


def open_step_a(page: Page, invitation) -> None:
    page.goto(path_of(invitation_link(invitation)))
    system = invitation.systems.get()
    page.goto(f"/respond/{invitation.public_id}/{system.slug}/A/")


def test_autosave_keeps_trying_until_the_server_has_the_text(browsing, invitation, database):
    page = browsing.new_page(PHONE)
    open_step_a(page, invitation)
    status = page.locator(".app-autosave-status")

    # The database goes down while the partner rates and types.
    database.clear()
    page.locator("input[name=answer][value='4']").check()
    page.locator("textarea[name=evidence]").fill("Typed while the database was down")
    expect(status).to_contain_text("Not saved yet", timeout=8000)
    expect(status).to_contain_text("try again")
    # Where they are working, at the top of the step, the status is on screen.
    page.locator("input[name=answer][value='4']").scroll_into_view_if_needed()
    expect(status).to_be_in_viewport()
    run_axe(page, "partner step, autosave failing")

    # Leaving now would lose the text: the browser asks first.
    dialogs: list[str] = []

    def on_dialog(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.close(run_before_unload=True)
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert not page.is_closed()
    page.remove_listener("dialog", on_dialog)
    assert stored_evidence(invitation) is None

    # Back up: the next retry stores it, with nothing pressed.
    database.set()
    expect(status).to_contain_text("Saved at", timeout=15000)
    assert stored_evidence(invitation) == "Typed while the database was down"

    # The network is cut while typing: saved as soon as the browser is back online.
    page.context.set_offline(True)
    page.locator("textarea[name=evidence]").fill("Typed on a train in a tunnel")
    expect(status).to_contain_text("Not saved yet", timeout=8000)
    page.context.set_offline(False)
    expect(status).to_contain_text("Saved at", timeout=15000)
    assert stored_evidence(invitation) == "Typed on a train in a tunnel"
    # Everything is saved: leaving asks nothing.
    closing = page.context.new_page()  # a page to wait with while this one closes
    page.close(run_before_unload=True)
    closing.wait_for_timeout(500)
    assert page.is_closed()
    # The 503s above were the point of the test, not broken parts of a page.
    browsing.problems = [p for p in browsing.problems if not re.search(r"503 for .*autosave", p)]


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_save_and_continue_with_the_database_down_keeps_the_text(
    browsing, invitation, database, javascript
):
    page = browsing.new_page(PHONE, javascript=javascript)
    open_step_a(page, invitation)
    database.clear()
    page.locator("input[name=answer][value='2']").check()
    page.locator("textarea[name=evidence]").fill("Line one\nLine two, which I will not retype")
    page.locator("button[name=save_and_continue]").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("your answer was not saved")
    expect(page.locator("textarea[name=evidence]")).to_have_value(
        "Line one\nLine two, which I will not retype"
    )
    expect(page.locator("input[name=answer][value='2']")).to_be_checked()
    if javascript:
        run_axe(page, "partner step not saved (503)")
    assert stored_evidence(invitation) is None

    database.set()
    if javascript:
        # The page saves it by itself once the service is back.
        expect(page.locator(".app-autosave-status")).to_contain_text("Saved at", timeout=15000)
    page.locator("button[name=save_and_continue]").click()
    expect(page).to_have_url(re.compile(r"/B/$"))
    assert stored_evidence(invitation) == "Line one\nLine two, which I will not retype"
    browsing.problems = [p for p in browsing.problems if not re.search(r"503 for .*autosave", p)]
