"""Issue 13's journeys.

- From the action plan: a steering member proposes an action from the plan's "Propose an
  action" link beside a pre-condition, the facilitator accepts it and marks it in
  progress with a dated note, and creates one of their own through the GOV.UK date input
  (an error first, then corrected).
- From the report (the acceptance journey): a steering member reads a released report
  and proposes an action beside a question for the steering group, the facilitator
  accepts it and marks it in progress, a later round is released, and its report shows
  the action beside the change in median ("what we did, and what moved").

Every page is checked with axe as the journey goes.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from actions.models import Action, ActionEvent, ActionPlanSettings, Status
from actions.review import REVIEW_CAVEAT
from reports.models import Release
from reports.releases import release_publish
from surveys.diagnostics import diagnostic_close
from surveys.models import Diagnostic

from ..factories import (
    make_diagnostic,
    make_organisation,
    make_place,
    make_response,
    make_system,
    make_user,
)
from .support import run_axe, run_axe_both_sizes, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"


@pytest.fixture
def round_(live_framework) -> Diagnostic:
    facilitator = make_user("fran")
    steering = make_user("sam")
    place = make_place("Eastport", facilitators=[facilitator])
    system = make_system(place, "Homelessness and housing")
    make_organisation(place, "public", "Eastport City Council")
    make_organisation(place, "voluntary", "Eastport Night Shelter")
    diagnostic = make_diagnostic(
        place, live_framework, systems=[system], status="closed", title="Eastport 2026"
    )
    diagnostic.steering_members.add(steering)
    ActionPlanSettings.objects.create(diagnostic=diagnostic, steering_may_propose=True)
    return diagnostic


def fill_date(page: Page, day: str, month: str, year: str) -> None:
    group = page.get_by_role("group", name="Due date")
    group.get_by_label("Day").fill(day)
    group.get_by_label("Month").fill(month)
    group.get_by_label("Year").fill(year)


def test_steering_proposes_facilitator_accepts_and_starts(browsing, round_):
    slug = round_.slug

    # A steering member proposes an action beside H in homelessness.
    steering = browsing.new_page()
    sign_in(steering, "sam", PASSWORD)
    steering.goto(f"/actions/{slug}/")
    expect(steering.get_by_role("heading", name="Action plan", level=1)).to_be_visible()
    run_axe(steering, "action plan, empty (steering)")
    steering.get_by_role("link", name="Propose an action for H in Homelessness and housing").click()
    expect(steering.get_by_role("heading", name="Propose an action")).to_be_visible()
    expect(steering.get_by_label("Pre-condition")).to_have_value(
        str(round_.framework.preconditions.get(code="H").pk)
    )
    run_axe(steering, "propose an action")
    steering.get_by_label("Title").fill("A shared risk panel for hostel placements")
    steering.get_by_label("What will be done").fill(
        "Meet fortnightly to agree placements others have turned away."
    )
    steering.get_by_label("Lead organisation").select_option(label="Eastport Night Shelter")
    fill_date(steering, "30", "9", "2030")
    steering.get_by_role("button", name="Propose action").click()
    expect(
        steering.get_by_text("Proposed the action: a facilitator will review it.")
    ).to_be_visible()
    expect(steering.locator(".govuk-tag", has_text="Proposed")).to_be_visible()
    run_axe(steering, "proposed action (steering)")
    proposal = Action.objects.get()
    assert proposal.status == Status.PROPOSED

    # The facilitator accepts it and marks it in progress.
    facilitator = browsing.new_page()
    sign_in(facilitator, "fran", PASSWORD)
    facilitator.goto(f"/actions/{slug}/")
    summary = facilitator.locator(".app-action-summary")
    expect(summary).to_contain_text("Proposed, waiting for a facilitator")
    facilitator.get_by_role("link", name="A shared risk panel for hostel placements").click()
    facilitator.get_by_role("link", name="Accept onto the plan").click()
    run_axe(facilitator, "accept a proposal")
    facilitator.get_by_label("Note (optional)").fill("Agreed at the steering group.")
    facilitator.get_by_role("button", name="Accept onto the plan").click()
    expect(facilitator.locator(".govuk-tag", has_text="Planned")).to_be_visible()

    facilitator.get_by_role("link", name="Update the status").click()
    run_axe(facilitator, "update the status")
    facilitator.get_by_role("button", name="Save status").click()  # nothing chosen
    expect(facilitator.locator(".govuk-error-summary")).to_be_focused()
    expect(facilitator.locator(".govuk-error-summary")).to_contain_text("Select the new status")
    run_axe(facilitator, "update the status, with errors")
    facilitator.get_by_label("In progress").check()
    facilitator.get_by_label("Note").fill("First panel booked for 3 October.")
    facilitator.get_by_role("button", name="Save status").click()
    expect(facilitator.get_by_text("The action is now in progress.")).to_be_visible()
    expect(facilitator.locator(".app-action-history")).to_contain_text(
        "First panel booked for 3 October."
    )
    run_axe(facilitator, "action in progress (facilitator)")
    proposal.refresh_from_db()
    assert proposal.status == Status.IN_PROGRESS
    assert list(proposal.events.values_list("kind", flat=True)) == [
        "proposed",
        "accepted",
        "status_changed",
    ]

    # The steering member sees it in progress on the plan.
    steering.goto(f"/actions/{slug}/")
    row = steering.locator("tr", has_text="A shared risk panel for hostel placements")
    expect(row.locator(".govuk-tag")).to_have_text("In progress")

    # The facilitator plans one of their own; an impossible date is caught first.
    facilitator.goto(f"/actions/{slug}/")
    facilitator.get_by_role("link", name="Plan an action", exact=True).click()
    facilitator.get_by_label("System").select_option(label="Homelessness and housing")
    facilitator.get_by_label("Pre-condition").select_option(label="E. Trusted partners")
    facilitator.get_by_label("Title").fill("One contract with shared outcomes")
    facilitator.get_by_label("What will be done").fill("Commission the providers jointly.")
    facilitator.get_by_label("Lead organisation").select_option(label="Eastport City Council")
    fill_date(facilitator, "31", "2", "2030")
    facilitator.get_by_role("button", name="Add to the plan").click()
    error_summary = facilitator.locator(".govuk-error-summary")
    expect(error_summary).to_be_focused()
    expect(error_summary).to_contain_text("The due date must be a real date")
    run_axe(facilitator, "plan an action, with errors")
    fill_date(facilitator, "28", "2", "2030")
    facilitator.get_by_role("button", name="Add to the plan").click()
    facilitator.wait_for_url(re.compile(r"/actions/.+/a/\w+/$"))
    expect(facilitator.get_by_text("Added the action to the plan.")).to_be_visible()
    created = Action.objects.get(title="One contract with shared outcomes")
    assert created.status == Status.PLANNED and str(created.due_on) == "2030-02-28"
    assert ActionEvent.objects.filter(action=created, kind="created").exists()


def _rate(diagnostic, system, organisation, scores: dict[str, int], count: int = 6) -> None:
    for i in range(count):
        make_response(
            diagnostic,
            system,
            {code: scores.get(code, 3) for code in "ABCDEFGHI"},
            organisation=organisation,
            role=("manager", "frontline")[i % 2],
        )


def test_from_the_report_to_the_review_at_the_next_round(browsing, live_framework):
    facilitator_user, steering_user = make_user("fran"), make_user("sam")
    place = make_place("Eastport", facilitators=[facilitator_user])
    system = make_system(place, "Homelessness and housing")
    council = make_organisation(place, "public", "Eastport City Council")
    make_organisation(place, "voluntary", "Eastport Night Shelter")
    earlier = make_diagnostic(place, live_framework, systems=[system], title="Eastport 2025")
    earlier.steering_members.add(steering_user)
    ActionPlanSettings.objects.create(diagnostic=earlier, steering_may_propose=True)
    _rate(earlier, system, council, {"H": 1})  # risk: the weakest, so a question is asked
    diagnostic_close(diagnostic=earlier, actor=None)  # the final release

    # A steering member reads the released report and proposes an action beside the
    # question about H.
    steering = browsing.new_page()
    sign_in(steering, "sam", PASSWORD)
    steering.goto(f"/reports/{earlier.slug}/")
    expect(steering.get_by_role("heading", name="Questions for the steering group")).to_be_visible()
    run_axe_both_sizes(steering, "released report with Plan an action links (steering)")
    steering.get_by_role(
        "link", name="Propose an action on the questions about H for Homelessness and housing"
    ).click()
    expect(steering.get_by_role("heading", name="Propose an action")).to_be_visible()
    h = live_framework.preconditions.get(code="H")
    expect(steering.get_by_label("Pre-condition")).to_have_value(str(h.pk))
    expect(steering.get_by_label("Finding that prompted it (optional)")).to_have_value("question")
    steering.get_by_label("Title").fill("A shared risk panel for hostel placements")
    steering.get_by_label("What will be done").fill(
        "Meet fortnightly to agree placements others have turned away."
    )
    steering.get_by_label("Lead organisation").select_option(label="Eastport Night Shelter")
    fill_date(steering, "30", "9", "2030")
    steering.get_by_role("button", name="Propose action").click()
    expect(
        steering.get_by_text("Proposed the action: a facilitator will review it.")
    ).to_be_visible()
    proposal = Action.objects.get()
    assert (proposal.status, proposal.finding, proposal.precondition_id) == (
        Status.PROPOSED,
        "question",
        h.pk,
    )

    # The facilitator accepts it and marks it in progress.
    facilitator = browsing.new_page()
    sign_in(facilitator, "fran", PASSWORD)
    facilitator.goto(f"/actions/{earlier.slug}/a/{proposal.public_id}/")
    facilitator.get_by_role("link", name="Accept onto the plan").click()
    facilitator.get_by_role("button", name="Accept onto the plan").click()
    expect(facilitator.locator(".govuk-tag", has_text="Planned")).to_be_visible()
    facilitator.get_by_role("link", name="Update the status").click()
    facilitator.get_by_label("In progress").check()
    facilitator.get_by_label("Note").fill("First panel booked for 3 October.")
    facilitator.get_by_role("button", name="Save status").click()
    expect(facilitator.get_by_text("The action is now in progress.")).to_be_visible()

    # A later round is run and released.
    later = make_diagnostic(place, live_framework, systems=[system], title="Eastport 2026")
    later.steering_members.add(steering_user)
    _rate(later, system, council, {"H": 3})
    release_publish(diagnostic=later, kind=Release.Kind.INTERIM, actor=None)

    # Its report shows the action beside the change.
    steering.goto(f"/reports/{later.slug}/")
    review = steering.locator("section", has=steering.locator("h2#review"))
    expect(review.get_by_role("heading", name="What we did, and what moved")).to_be_visible()
    expect(review).to_contain_text(REVIEW_CAVEAT)
    row = review.locator("tr", has_text="A shared risk panel for hostel placements")
    expect(row).to_contain_text("1 then 3: up 2")
    expect(row).to_contain_text("in progress")
    expect(row).to_contain_text("Eastport Night Shelter")
    run_axe_both_sizes(steering, "later report with the review (steering)")
    steering.get_by_role("link", name="What we did, and what moved").click()
    expect(steering.locator("h2#review")).to_be_in_viewport()
