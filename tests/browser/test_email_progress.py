"""A batch's progress ("84 of 150 sent") updates without a reload where JavaScript runs,
under the strict CSP (a static script polling the JSON endpoint), and is accessible."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from outbox.delivery import deliver_due
from outbox.models import Kind
from outbox.queueing import emails_queue

from ..factories import make_diagnostic, make_invitation, make_place, make_system, make_user
from .support import DESKTOP, sign_in

pytestmark = pytest.mark.browser


def test_the_progress_updates_without_a_reload(browsing, live_framework, axe_check):
    facilitator = make_user("fran", email="fran@example.org")
    place = make_place("Northbridge", facilitators=[facilitator])
    diagnostic = make_diagnostic(place, live_framework, systems=[make_system(place)])
    for n in range(5):
        make_invitation(diagnostic, email=f"p{n}@example.org")
    batch = emails_queue(diagnostic=diagnostic, kind=Kind.INVITATION, actor=facilitator).batch
    page = browsing.new_page(DESKTOP)
    sign_in(page, "fran", "correct horse battery staple")
    page.goto(reverse("outbox:batch", args=[diagnostic.slug, batch.public_id]))
    status = page.get_by_role("status")
    expect(status).to_contain_text("0 of 5 sent")
    expect(page.get_by_text("Reload to see the latest progress")).to_be_hidden()
    axe_check(page, "e-mail batch progress")
    deliver_due(limit=3)
    expect(status).to_contain_text("3 of 5 sent", timeout=10_000)
    deliver_due()
    expect(status).to_contain_text("5 of 5 sent. Finished.", timeout=10_000)
