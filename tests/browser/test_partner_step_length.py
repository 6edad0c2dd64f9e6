"""A step on a phone: the question comes early and the reading matter folds away, so a
step is a few screens, not five, and "More about" is met before the buttons, not after
them (issue 17). Measured at 360 x 740, with and without JavaScript."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from surveys.invitations import invitation_link
from surveys.models import Invitation

from ..factories import make_diagnostic, make_invitation, make_organisation, make_place, make_system
from .support import PHONE, path_of, run_axe

pytestmark = pytest.mark.browser

# Phone screens (740 px each) the longest step may take, header and footer included: the
# scale's six choices, the signs to tick and the evidence box are most of it. With the
# citizen's scenario open above the question and "More about" below the buttons, steps
# took 4.7 to 5.3 screens; folded and above the buttons, 3.8 to 4.1.
MOST_SCREENS = 4.3


@pytest.fixture
def invitation(live_framework) -> Invitation:
    place = make_place("Northbridge")
    system = make_system(place, "Homelessness and housing")
    diagnostic = make_diagnostic(place, live_framework, systems=[system])
    organisation = make_organisation(place, "voluntary", "Night Shelter")
    return make_invitation(diagnostic, organisation=organisation, email="")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_every_step_fits_a_few_phone_screens_with_the_reading_folded(
    browsing, invitation, javascript
):
    page = browsing.new_page(PHONE, javascript=javascript)
    page.goto(path_of(invitation_link(invitation)))
    system = invitation.diagnostic.systems.get()
    heights = {}
    for code in "ABCDEFGHI":
        page.goto(reverse("surveys:partner_step", args=[invitation.public_id, system.slug, code]))
        heights[code] = page.evaluate("document.documentElement.scrollHeight") / 740
        scenario = page.locator("details", has=page.locator("summary", has_text="point of view"))
        more = page.locator("details", has=page.locator("summary", has_text="More about"))
        button = page.get_by_role("button", name="Save and continue")
        # Both fold away, closed, and come before the question's buttons.
        for folded in (scenario, more):
            expect(folded).to_have_count(1)
            assert folded.get_attribute("open") is None
            assert folded.bounding_box()["y"] < button.bounding_box()["y"]
    print("phone screens per step:", {c: round(h, 1) for c, h in heights.items()})
    assert max(heights.values()) <= MOST_SCREENS, heights
    if javascript:
        run_axe(page, "a step, reading folded")
        # Open, the reading is there in full.
        page.locator("summary", has_text="point of view").click()
        expect(page.get_by_text("If it is in place, my experience is")).to_be_visible()
