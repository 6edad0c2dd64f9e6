"""Ways to the action plan: the facilitator's round page and dashboard, the steering
member's dashboard, and (once published) the partner summary from the partner's landing
page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from actions.models import ActionPlanSettings
from surveys.invitations import invitation_token

from .action_factories import make_plan_world
from .factories import make_invitation


@pytest.fixture
def world(framework):
    return make_plan_world(framework)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_round_page_and_the_dashboard_link_to_the_plan(world):
    plan = reverse("actions:plan", args=[world.diagnostic.slug])
    facilitator = signed_in(world.facilitator)
    detail = facilitator.get(reverse("surveys:diagnostic_detail", args=[world.diagnostic.slug]))
    assert f'href="{plan}"' in detail.content.decode()
    assert f'href="{plan}"' in facilitator.get(reverse("surveys:dashboard")).content.decode()
    steering = signed_in(world.steering).get(reverse("surveys:dashboard")).content.decode()
    assert f'href="{plan}"' in steering
    outsider = signed_in(world.outsider).get(reverse("surveys:dashboard")).content.decode()
    assert plan not in outsider


def partner_landing(world) -> tuple[str, str]:
    invitation = make_invitation(world.diagnostic, organisation=world.organisation)
    client = Client()
    assert client.get(f"/i/{invitation_token(invitation)}/").status_code == 302
    response = client.get(reverse("surveys:partner_landing", args=[invitation.public_id]))
    assert response.status_code == 200
    return response.content.decode(), reverse(
        "actions:partner_summary", args=[invitation.public_id]
    )


def test_partners_see_the_summary_link_only_once_it_is_published(world):
    content, summary = partner_landing(world)
    assert summary not in content and "What happens next" not in content

    ActionPlanSettings.objects.filter(diagnostic=world.diagnostic).update(
        partner_summary_published_at=timezone.now()
    )
    content, summary = partner_landing(world)
    assert f'href="{summary}"' in content


def test_a_round_without_plan_settings_shows_no_summary_link(world):
    ActionPlanSettings.objects.all().delete()
    content, summary = partner_landing(world)
    assert summary not in content
