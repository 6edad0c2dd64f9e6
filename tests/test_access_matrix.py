"""Every URL pattern, for every persona: who gets the page and who does not.

The matrix below must name every route the project has (the admin's own routes excepted:
they are covered by one check that only staff reach the admin). Adding a route without an
entry here fails `test_every_url_pattern_has_an_entry`.

Personas: anonymous; a partner of diagnostic X (arrived by their link); a phone that
joined a workshop of X (no account, no link: only its session); a steering member of X; a
facilitator of another place (Y); a facilitator of X. "Allowed" personas get the
expected success status; everyone else gets 403 or 404 — or, for an anonymous visitor on
a page that needs an account, a redirect to the sign-in page.
"""

from __future__ import annotations

import datetime
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import Permission
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from actions.models import Action, ActionPlanSettings, Status
from outbox.models import EmailBatch
from reports.releases import release_publish
from surveys.importing import parse_import_file
from surveys.invitations import invitation_token
from surveys.models import PendingImport
from workshops.models import Comment
from workshops.rules import Move, answer_record, participant_join, workshop_move, workshop_start

from .factories import (
    make_diagnostic,
    make_invitation,
    make_organisation,
    make_place,
    make_system,
    make_user,
)

PERSONAS = (
    "anonymous",
    "partner_x",
    "participant_x",
    "steering_x",
    "facilitator_y",
    "facilitator_x",
)
EVERYONE = set(PERSONAS)
SIGNED_IN = {"steering_x", "facilitator_y", "facilitator_x"}
FACILITATORS = {"facilitator_y", "facilitator_x"}
FACILITATOR_X = {"facilitator_x"}
READERS_X = {"steering_x", "facilitator_x"}
PARTNER_X = {"partner_x"}
PARTICIPANT_X = {"participant_x"}


@dataclass(frozen=True)
class Route:
    allowed: set[str]
    args: str = ""  # which world attributes fill the URL, e.g. "place_slug"
    method: str = "get"
    ok: int = 200
    data: dict = field(default_factory=dict)


# route name -> who may use it. POST-only actions are checked with POST (a successful
# action redirects, hence ok=302).
MATRIX: dict[str, Route] = {
    "home": Route(EVERYONE),
    "language": Route(EVERYONE, args="language", ok=302),
    "preconditions:list": Route(EVERYONE),
    "preconditions:detail": Route(EVERYONE, args="code"),
    # Accounts
    "login": Route(EVERYONE),
    "logout": Route(EVERYONE, method="post", ok=302),
    "password_reset": Route(EVERYONE),
    "password_reset_done": Route(EVERYONE),
    "password_reset_confirm": Route(EVERYONE, args="reset"),  # says the link is invalid
    "password_reset_complete": Route(EVERYONE),
    "steering_set_password": Route(EVERYONE, args="reset"),  # says the link is invalid
    "password_change": Route(SIGNED_IN),
    "password_change_done": Route(SIGNED_IN),
    # Facilitators: places
    "surveys:dashboard": Route(SIGNED_IN),
    "surveys:place_create": Route(FACILITATORS),
    "surveys:place_detail": Route(FACILITATOR_X, args="place"),
    "surveys:place_edit": Route(FACILITATOR_X, args="place"),
    "surveys:system_create": Route(FACILITATOR_X, args="place"),
    "surveys:system_edit": Route(FACILITATOR_X, args="place,system"),
    "surveys:system_bulk": Route(FACILITATOR_X, args="place"),
    "surveys:organisation_create": Route(FACILITATOR_X, args="place"),
    "surveys:organisation_edit": Route(FACILITATOR_X, args="place,organisation"),
    "surveys:organisation_bulk": Route(FACILITATOR_X, args="place"),
    "surveys:diagnostic_create": Route(FACILITATOR_X, args="place"),
    # Facilitators: one diagnostic
    "surveys:diagnostic_detail": Route(FACILITATOR_X, args="diagnostic"),
    "surveys:diagnostic_edit": Route(FACILITATOR_X, args="diagnostic"),
    "surveys:diagnostic_open": Route(FACILITATOR_X, args="diagnostic", method="post", ok=302),
    "surveys:diagnostic_close": Route(FACILITATOR_X, args="diagnostic", method="post", ok=302),
    "surveys:diagnostic_access": Route(FACILITATOR_X, args="diagnostic"),
    "surveys:diagnostic_audit": Route(FACILITATOR_X, args="diagnostic"),
    "surveys:diagnostic_erase": Route(FACILITATOR_X, args="diagnostic"),
    "surveys:invitation_list": Route(FACILITATOR_X, args="diagnostic"),
    "surveys:invitation_create": Route(FACILITATOR_X, args="diagnostic"),
    "surveys:invitation_bulk": Route(FACILITATOR_X, args="diagnostic"),
    "surveys:invitation_detail": Route(FACILITATOR_X, args="diagnostic,invitation"),
    "surveys:invitation_links_csv": Route(FACILITATOR_X, args="diagnostic"),
    "surveys:invitation_links_sheet": Route(FACILITATOR_X, args="diagnostic"),
    "surveys:invitation_answers": Route(FACILITATOR_X, args="attributed,attributed_invitation"),
    "surveys:invitation_renew": Route(
        FACILITATOR_X, args="diagnostic,invitation", method="post", ok=302
    ),
    "surveys:invitation_revoke": Route(
        FACILITATOR_X, args="diagnostic,invitation", method="post", ok=302
    ),
    "surveys:import_upload": Route(FACILITATOR_X, args="diagnostic"),
    # Facilitators: e-mail (the outbox app)
    "outbox:send": Route(FACILITATOR_X, args="diagnostic"),
    "outbox:remind": Route(FACILITATOR_X, args="diagnostic"),
    "outbox:schedule": Route(FACILITATOR_X, args="diagnostic"),
    "outbox:steering_invite": Route(FACILITATOR_X, args="diagnostic"),
    "outbox:batch": Route(FACILITATOR_X, args="diagnostic,email_batch"),
    "outbox:batch_status": Route(FACILITATOR_X, args="diagnostic,email_batch"),
    "surveys:import_preview": Route(FACILITATOR_X, args="diagnostic,pending_import"),
    # Partners: the link is public (it is the credential); the rest needs the link first.
    "surveys:invitation_start": Route(EVERYONE, args="token", ok=302),
    "surveys:partner_landing": Route(PARTNER_X, args="invitation"),
    "surveys:partner_withdraw": Route(PARTNER_X, args="invitation", method="post"),
    "surveys:partner_review": Route(PARTNER_X, args="invitation,system"),
    "surveys:partner_step": Route(PARTNER_X, args="invitation,system,code"),
    "surveys:partner_autosave": Route(
        PARTNER_X, args="invitation,system,code", method="post", data={"answer": "3"}
    ),
    # Reports
    "reports:index": Route(SIGNED_IN),
    "reports:diagnostic": Route(READERS_X, args="diagnostic"),
    "reports:system": Route(READERS_X, args="diagnostic,system"),
    "reports:system_evidence": Route(READERS_X, args="diagnostic,system"),
    "reports:pdf": Route(READERS_X, args="diagnostic"),
    "reports:export": Route(READERS_X, args="diagnostic,format"),
    "reports:evidence": Route(FACILITATOR_X, args="diagnostic"),
    "reports:release_publish": Route(FACILITATOR_X, args="diagnostic", method="post", ok=302),
    # Action plans (the world's round lets steering members propose and update status,
    # and has published its partner summary; tests/test_action_views.py covers the rest).
    "actions:plan": Route(READERS_X, args="diagnostic"),
    "actions:print": Route(READERS_X, args="diagnostic"),
    "actions:csv": Route(READERS_X, args="diagnostic"),
    "actions:settings": Route(FACILITATOR_X, args="diagnostic"),
    "actions:create": Route(READERS_X, args="diagnostic"),
    "actions:detail": Route(READERS_X, args="diagnostic,action"),
    "actions:edit": Route(FACILITATOR_X, args="diagnostic,action"),
    "actions:accept": Route(FACILITATOR_X, args="diagnostic,proposed_action"),
    "actions:status": Route(READERS_X, args="diagnostic,action"),
    "actions:partner_summary": Route(PARTNER_X, args="invitation"),
    # Workshops: joining is public (the code is the credential, rate-limited); a phone
    # then reaches only its own workshop's pages, and never the facilitator's.
    "workshops:join": Route(EVERYONE),
    "workshops:join_code": Route(EVERYONE, args="workshop_code"),
    "workshops:answer": Route(PARTICIPANT_X, args="workshop"),
    "workshops:state": Route(PARTICIPANT_X, args="workshop"),
    "workshops:list": Route(FACILITATOR_X, args="diagnostic"),
    "workshops:control": Route(FACILITATOR_X, args="workshop"),
    "workshops:projector": Route(FACILITATOR_X, args="workshop"),
    "workshops:room": Route(FACILITATOR_X, args="workshop"),
    "workshops:move": Route(FACILITATOR_X, args="workshop", method="post", ok=302),
    "workshops:results": Route(
        FACILITATOR_X, args="workshop", method="post", ok=302, data={"held": "0"}
    ),
    "workshops:comment": Route(
        FACILITATOR_X,
        args="workshop,workshop_comment",
        method="post",
        ok=302,
        data={"approve": "1"},
    ),
    "workshops:end": Route(FACILITATOR_X, args="workshop"),
}


def _route_names(patterns, namespace: str | None = None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _route_names(pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern):
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_url_pattern_has_an_entry():
    names = {n for n in _route_names(get_resolver().url_patterns) if not n.startswith("admin:")}
    assert names - MATRIX.keys() == set(), "add these routes to the access matrix"
    assert MATRIX.keys() - names == set(), "these matrix entries name no route"


@pytest.fixture
def world(framework):
    facilitator_x = make_user("fx")
    facilitator_y = make_user("fy")
    steering_x = make_user("sx")
    for user in (facilitator_x, facilitator_y):
        user.user_permissions.add(Permission.objects.get(codename="add_place"))
    place_x = make_place("X", facilitators=[facilitator_x])
    make_place("Y", facilitators=[facilitator_y])
    system = make_system(place_x, "Homelessness")
    organisation = make_organisation(place_x, "public")
    diagnostic = make_diagnostic(place_x, framework, systems=[system], status="open")
    diagnostic.steering_members.add(steering_x)
    release_publish(diagnostic=diagnostic, kind="interim", actor=facilitator_x)
    invitation = make_invitation(diagnostic, organisation=organisation, email="p@example.org")
    # An attributed round, for the pages that exist only there.
    attributed = make_diagnostic(
        place_x, framework, systems=[system], status="open", attribution="attributed"
    )
    attributed.steering_members.add(steering_x)
    attributed_invitation = make_invitation(attributed, organisation=organisation)
    pending = PendingImport.objects.create(
        diagnostic=diagnostic,
        uploaded_by=facilitator_x,
        filename="f.csv",
        rows=parse_import_file(
            "f.csv",
            b"respondent,organisation,sector,role,system,precondition,rating,evidence\n"
            b"R1,Council,public,manager,Homelessness,A,3,\n",
        ),
    )
    ActionPlanSettings.objects.create(
        diagnostic=diagnostic,
        steering_may_propose=True,
        steering_may_update_status=True,
        partner_summary_published_at=diagnostic.created_at,
    )
    action, proposed_action = (
        Action.objects.create(
            diagnostic=diagnostic,
            system=system,
            precondition=diagnostic.framework.preconditions.get(code="H"),
            title=title,
            description="Run a shared risk workshop.",
            lead_organisation=organisation,
            due_on=datetime.date(2030, 1, 1),
            status=status,
        )
        for title, status in (("Risk workshop", Status.PLANNED), ("Pilot", Status.PROPOSED))
    )
    batch = EmailBatch.objects.create(diagnostic=diagnostic, kind="invitation")
    # A workshop of X under way, at pre-condition A, with one phone's comment.
    workshop = workshop_move(
        workshop=workshop_start(diagnostic=diagnostic, system=system, actor=facilitator_x),
        move=Move.NEXT,
    )
    commenter = participant_join(workshop=workshop, sector="public", role="")
    commenter.workshop = workshop
    answer_record(participant=commenter, code="A", score=3, dont_know=False, comment="Yes")
    return {
        "workshop": workshop.public_id,
        "workshop_code": workshop.join_code,
        "workshop_comment": Comment.objects.get(workshop=workshop).pk,
        "action": action.public_id,
        "proposed_action": proposed_action.public_id,
        "email_batch": batch.public_id,
        "users": {
            "steering_x": steering_x,
            "facilitator_y": facilitator_y,
            "facilitator_x": facilitator_x,
        },
        "place": place_x.slug,
        "system": system.slug,
        "organisation": organisation.pk,
        "diagnostic": diagnostic.slug,
        "invitation": invitation.public_id,
        "token": invitation_token(invitation),
        "pending_import": pending.public_id,
        "attributed": attributed.slug,
        "attributed_invitation": attributed_invitation.public_id,
        "code": "H",
        "language": "cy",
        "format": "json",
        "reset": ["MQ", "set-password"],
    }


def _client_for(persona: str, world) -> Client:
    client = Client()
    if persona in world["users"]:
        client.force_login(world["users"][persona])
    elif persona == "partner_x":
        assert client.get(f"/i/{world['token']}/").status_code == 302
    elif persona == "participant_x":
        joined = client.post(
            reverse("workshops:join"),
            {"code": world["workshop_code"], "sector": "voluntary", "role": "frontline"},
        )
        assert joined.status_code == 302
    return client


def _url(name: str, route: Route, world) -> str:
    args = []
    for key in filter(None, route.args.split(",")):
        value = world[key]
        args.extend(value if isinstance(value, list) else [value])
    return reverse(name, args=args)


@contextmanager
def rolled_back():
    """One persona's visit in a savepoint, undone afterwards: the world is built once per
    route and every persona finds it as it was built (a POST by one cannot change what the
    next one sees). The database cache (rate limits) is rolled back with it."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _access_problem(name: str, persona: str, world) -> str | None:
    """What is wrong with this persona's visit to this route, or None."""
    route = MATRIX[name]
    url = _url(name, route, world)
    response = getattr(_client_for(persona, world), route.method)(url, route.data)
    status = response.status_code
    if persona in route.allowed:
        if status != route.ok:
            return f"{persona} should reach {url} ({route.ok}), got {status}"
        if (
            status == 302
            and name != "surveys:invitation_start"
            and "/accounts/login/" in response["Location"]
        ):
            return f"{persona} was sent to sign in at {url}"
    elif persona in ("anonymous", "partner_x", "participant_x") and status == 302:
        if not response["Location"].startswith(reverse("login")):
            return f"{persona} was redirected to {response['Location']} from {url}"
    elif status not in (403, 404):
        return f"{persona} got {status} at {url}"
    # Whatever it answers (a page, a redirect, a download, a 403 or 404): a shared
    # browser's cache or a proxy must not keep a response to someone signed in or with a
    # partner's or a workshop's session (config.middleware).
    if persona != "anonymous" and "no-store" not in response.get("Cache-Control", ""):
        return f"{persona}'s response at {url} may be stored"
    return None


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_access(name, world):
    """Every persona at this route: the allowed get the expected status, everyone else
    403, 404 or the sign-in page; nobody but the anonymous visitor gets a storable answer."""
    problems = []
    for persona in PERSONAS:
        with rolled_back():
            problems.append(_access_problem(name, persona, world))
    assert [problem for problem in problems if problem] == []


# The report's "Plan an action" links (issue 13) are actions:create with a query string
# (actions.links.plan_action_url): the query must not open the form to anyone else.
REPORT_LINK_QUERIES = [
    {"system": "{system}", "precondition": "H"},
    {"system": "{system}", "precondition": "H", "finding": "question"},
    {"system": "{system}", "precondition": "A", "finding": "gap"},
]


@pytest.mark.parametrize("query", REPORT_LINK_QUERIES, ids=lambda q: q.get("finding", "none"))
@pytest.mark.parametrize("persona", PERSONAS)
def test_the_reports_plan_an_action_links_obey_the_same_access(query, persona, world):
    url = reverse("actions:create", args=[world["diagnostic"]])
    data = {key: value.format(system=world["system"]) for key, value in query.items()}
    response = _client_for(persona, world).get(url, data)
    if persona in MATRIX["actions:create"].allowed:
        assert response.status_code == 200, persona
    elif persona in ("anonymous", "partner_x", "participant_x") and response.status_code == 302:
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code in (403, 404), persona


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_staff_reach_the_admin(persona, world):
    response = _client_for(persona, world).get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_ids_of_other_places_objects_cannot_be_probed(world, framework):
    """Organisation ids are sequential, so they are always checked against the place."""
    client = _client_for("facilitator_x", world)
    other = make_organisation(make_place("Z"), "public")
    url = reverse("surveys:organisation_edit", args=[world["place"], other.pk])
    assert client.get(url).status_code == 404


def test_public_pages_without_a_session_may_be_cached(world):
    assert "no-store" not in Client().get(reverse("preconditions:list")).get("Cache-Control", "")
