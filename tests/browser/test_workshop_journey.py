"""Workshop mode (issue 14): a facilitator runs a workshop with a projector page and ten
phones that join by code, answer A to C; the spread appears on the projector only once
k people have scored, a comment only once approved; the round's report then counts the
ten workshop responses. Two of the phones have JavaScript off and follow the facilitator
with the page's own link; the others follow by polling."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from surveys.models import Response

from ..factories import make_diagnostic, make_place, make_system, make_user
from .support import DESKTOP, PHONE, run_axe, screenshot, sign_in

pytestmark = pytest.mark.browser

PHONES = 10
K = 5
NO_JAVASCRIPT = {8, 9}


def answer(phone: Page, index: int, code: str, value: str, comment: str = "") -> None:
    if index in NO_JAVASCRIPT:
        # Without JavaScript the phone follows the screen with its own link.
        follow = re.compile("Check for the (next|first) pre-condition")
        phone.get_by_role("link", name=follow).click()
    expect(phone.locator("h1 .app-code")).to_have_text(code)
    phone.locator(f"input[name=answer][value='{value}']").check()
    if comment:
        phone.get_by_label("A short comment (optional)").fill(comment)
    phone.get_by_role("button", name=re.compile("my answer")).click()
    expect(phone.locator(".govuk-notification-banner--success")).to_contain_text(
        f"Your answer to {code} is saved"
    )


def test_a_room_answers_on_phones_and_the_round_counts_it(live_framework, browsing):
    user = make_user("fran")
    place = make_place("Eastport", facilitators=[user])
    system = make_system(place, "Homelessness and housing")
    diagnostic = make_diagnostic(
        place, live_framework, systems=[system], min_group_size=K, title="Eastport 2026"
    )

    # The facilitator starts a workshop from the round's page.
    control = browsing.new_page(DESKTOP)
    sign_in(control, "fran", "correct horse battery staple")
    control.goto(f"/manage/d/{diagnostic.slug}/")
    control.get_by_role("link", name="Run a workshop").click()
    run_axe(control, "workshops of a round")
    control.get_by_label("Name of the session (optional)").fill("Partnership board")
    control.get_by_role("button", name="Start the workshop").click()
    expect(control.get_by_role("heading", level=1)).to_contain_text("Run the workshop")
    run_axe(control, "workshop control")
    workshop_path = re.sub(r"^https?://[^/]+", "", control.url)

    # The projector, in its own window: the code, the QR code, the short address.
    projector = control.context.new_page()
    projector.goto(workshop_path + "projector/")
    code = projector.locator(".app-join-code--large").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{6}", code)
    expect(projector.locator(".app-join__qr svg")).to_be_visible()
    expect(projector.locator(".app-projector")).to_contain_text(f"/w/{code}/")
    run_axe(projector, "projector (waiting)")

    # Ten phones join: the QR code's address, then sector and role (one prefers not to say).
    phones: list[Page] = []
    sectors = ["public", "private", "voluntary", "citizen", "public"] * 2
    for index in range(PHONES):
        phone = browsing.new_page(PHONE, javascript=index not in NO_JAVASCRIPT)
        phone.goto(f"/w/{code}/")
        phone.locator(f"input[name=sector][value='{sectors[index]}']").check()
        role = "prefer_not" if index == 0 else "frontline"
        phone.locator(f"input[name=role][value='{role}']").check()
        if index == 0:
            run_axe(phone, "join a workshop")
        phone.get_by_role("button", name="Join").click()
        expect(phone.get_by_role("heading", level=1)).to_have_text("You have joined")
        phones.append(phone)
    expect(projector.locator("#room-joined")).to_have_count(0)  # nothing shown yet

    # The facilitator reveals results and begins: the projector and the phones follow.
    control.get_by_role("button", name="Reveal results").click()
    control.get_by_role("button", name="Begin with the first pre-condition").click()
    expect(projector.locator("h1 .app-code")).to_have_text("A")
    expect(projector.locator("#room-joined")).to_have_text(str(PHONES))
    expect(phones[0].locator("h1 .app-code")).to_have_text("A")  # followed by polling
    run_axe(phones[0], "phone: answer A")

    # A: the spread stays hidden below k scores, then appears.
    values = ["1", "2", "3", "3", "4", "4", "4", "5", "dont_know", "2"]
    for index in range(K - 1):
        comment = "Housing and health now meet monthly." if index == 0 else ""
        answer(phones[index], index, "A", values[index], comment)
    expect(projector.locator("#room-answered")).to_have_text(str(K - 1))
    expect(projector.locator("#room-spread")).to_contain_text(f"at least {K} people")
    expect(projector.locator(".app-spread")).to_have_count(0)
    answer(phones[K - 1], K - 1, "A", values[K - 1])
    expect(projector.locator(".app-spread")).to_be_visible()
    expect(projector.locator("#room-answered")).to_have_text(str(K))
    for index in range(K, PHONES):
        answer(phones[index], index, "A", values[index])
    expect(projector.locator("#room-answered")).to_have_text(str(PHONES))
    expect(projector.locator(".app-spread tbody tr").nth(3)).to_contain_text("3")  # 4: three
    run_axe(projector, "projector (spread)")

    # The comment reaches the projector only once approved.
    expect(projector.locator("#room-comments")).not_to_contain_text("meet monthly")
    control.reload()
    expect(control.locator("#comments ~ ul")).to_contain_text("Housing and health now meet")
    control.get_by_role("button", name=re.compile("^Approve")).click()
    expect(projector.locator("#room-comments")).to_contain_text("Housing and health now meet")
    expect(projector.locator("#room-comments")).not_to_contain_text("public")
    screenshot(projector, "workshop-projector-A")

    # B and C.
    for code_shown in ("B", "C"):
        control.get_by_role("button", name="Next pre-condition").click()
        expect(projector.locator("h1 .app-code")).to_have_text(code_shown)
        for index, phone in enumerate(phones):
            answer(phone, index, code_shown, values[(index + 3) % PHONES])
        expect(projector.locator("#room-answered")).to_have_text(str(PHONES))

    # The end: the answers become the round's responses, marked as from a workshop.
    control.get_by_role("link", name="End the workshop").click()
    run_axe(control, "end the workshop")
    control.get_by_role("button", name="End the workshop").click()
    expect(control.locator(".govuk-notification-banner")).to_contain_text(
        f"{PHONES} responses added to the round"
    )
    expect(phones[1].get_by_role("heading", level=1)).to_have_text("The workshop has ended")
    submitted = Response.objects.filter(diagnostic=diagnostic, status="submitted")
    assert submitted.filter(source="workshop").count() == PHONES

    # The round's report (after a release) counts them, and says they came from workshops.
    control.goto(f"/manage/d/{diagnostic.slug}/")
    expect(control.locator("#progress ~ p").first).to_contain_text(
        f"{PHONES} responses came from workshops"
    )
    control.goto(f"/reports/{diagnostic.slug}/")
    control.get_by_role("button", name="Publish an interim release").click()
    expect(control.locator(".app-release")).to_contain_text(f"{PHONES} respondents")
    expect(control.locator("#workshop-responses")).to_contain_text(
        f"{PHONES} of the responses in these figures came from workshops"
    )
