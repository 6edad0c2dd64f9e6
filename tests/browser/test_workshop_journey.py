"""Workshop mode (issue 14): a facilitator runs a workshop with a projector page and ten
phones that join by code, answer A to C; the spread appears on the projector only once
k people have scored, a comment only once approved; the round's report then counts the
ten workshop responses. Two phones follow the facilitator by polling (JavaScript); the
other eight have JavaScript off and follow with the page's own link.

The live server shares one SQLite connection between its request threads, so a write
while another request reads the same table fails ("database table is locked"; PostgreSQL
would wait). The projector and the polling phones are therefore left open only while
what they watch changes once (the first pre-condition, the k-th score, the approval), and
otherwise sent to a blank page while the room writes."""

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
POLLING = {0, 1}
BLANK = "about:blank"


def answer(phone: Page, index: int, path: str, code: str, value: str, comment: str = "") -> None:
    if index in POLLING:
        if phone.url == BLANK:
            phone.goto(path)
    else:
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
    if index in POLLING:
        phone.goto(BLANK)


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
    code = control.locator(".app-join-code").first.inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{6}", code)
    phone_path = workshop_path.replace("/manage/workshops/", "/workshop/")

    # Ten phones join: the QR code's address, then sector and role (one prefers not to say).
    phones: list[Page] = []
    sectors = ["public", "private", "voluntary", "citizen", "public"] * 2
    for index in range(PHONES):
        phone = browsing.new_page(PHONE, javascript=index in POLLING)
        phone.goto(f"/w/{code}/")
        phone.locator(f"input[name=sector][value='{sectors[index]}']").check()
        role = "prefer_not" if index == 0 else "frontline"
        phone.locator(f"input[name=role][value='{role}']").check()
        if index == 0:
            run_axe(phone, "join a workshop")
        phone.get_by_role("button", name="Join").click()
        expect(phone.get_by_role("heading", level=1)).to_have_text("You have joined")
        phones.append(phone)

    # Results are held back by default: the facilitator chooses to reveal them.
    control.get_by_role("button", name="Reveal results").click()

    # The projector, in its own window: the code, the QR code, the short address.
    projector = control.context.new_page()
    projector_path = workshop_path + "projector/"
    projector.goto(projector_path)
    expect(projector.locator(".app-join-code--large")).to_have_text(code)
    expect(projector.locator(".app-join__qr svg")).to_be_visible()
    expect(projector.locator(".app-projector")).to_contain_text(f"/w/{code}/")
    run_axe(projector, "projector (waiting)")

    # The facilitator begins: the projector and the polling phones follow.
    control.get_by_role("button", name="Begin with the first pre-condition").click()
    expect(projector.locator("h1 .app-code")).to_have_text("A")  # followed by polling
    expect(projector.locator("#room-joined")).to_have_text(str(PHONES))
    for index in POLLING:
        expect(phones[index].locator("h1 .app-code")).to_have_text("A")  # polling too
    run_axe(phones[0], "phone: answer A")
    projector.goto(BLANK)

    # A: the spread stays hidden below k scores, then appears.
    values = ["1", "2", "3", "3", "4", "4", "4", "5", "dont_know", "2"]
    for index in range(K - 1):
        comment = "Housing and health now meet monthly." if index == 0 else ""
        answer(phones[index], index, phone_path, "A", values[index], comment)
    projector.goto(projector_path)
    expect(projector.locator("#room-answered")).to_have_text(str(K - 1))
    expect(projector.locator("#room-spread")).to_contain_text(f"at least {K} people")
    expect(projector.locator(".app-spread")).to_have_count(0)
    answer(phones[K - 1], K - 1, phone_path, "A", values[K - 1])
    expect(projector.locator(".app-spread")).to_be_visible()  # the projector's refresh
    expect(projector.locator("#room-answered")).to_have_text(str(K))
    projector.goto(BLANK)
    for index in range(K, PHONES):
        answer(phones[index], index, phone_path, "A", values[index])
    projector.goto(projector_path)
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
    projector.goto(BLANK)

    # B and C.
    for code_shown in ("B", "C"):
        control.get_by_role("button", name="Next pre-condition").click()
        for index, phone in enumerate(phones):
            answer(phone, index, phone_path, code_shown, values[(index + 3) % PHONES])
        projector.goto(projector_path)
        expect(projector.locator("h1 .app-code")).to_have_text(code_shown)
        expect(projector.locator("#room-answered")).to_have_text(str(PHONES))
        projector.goto(BLANK)

    # The end: the answers become the round's responses, marked as from a workshop.
    control.get_by_role("link", name="End the workshop").click()
    run_axe(control, "end the workshop")
    control.get_by_role("button", name="End the workshop").click()
    expect(control.locator(".govuk-notification-banner")).to_contain_text(
        f"{PHONES} responses added to the round"
    )
    phones[2].get_by_role("link", name="Check for the next pre-condition").click()
    expect(phones[2].get_by_role("heading", level=1)).to_have_text("The workshop has ended")
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
