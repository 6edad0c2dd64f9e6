"""``manage.py seed_demo``: the Northbridge demo, its accounts and its designed signals.

The signals are recomputed here from the stored ratings with the statistics module, not
with the builder's own code, so a mistake in one cannot hide a mistake in the other.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.utils.text import slugify

from demo.northbridge import (
    CURRENT_TITLE,
    DEMO_ACCOUNTS,
    DEMO_EXPECTATIONS,
    PREVIOUS_TITLE,
    _shown_groups,
)
from reports.aggregate import SECTORS
from surveys.models import Diagnostic, Invitation, Organisation, Place, Rating, Response, System

# The narrative report's thresholds, restated independently of demo/northbridge.py.
STRENGTH_MEAN = 3.5
GAP_MEAN = 2.5
CONTESTED_SD = 1.2
CONTESTED_SPREAD = 1.5
LOW_VISIBILITY = 0.3

HH, FMN, MH = (
    "homelessness-and-housing",
    "families-with-multiple-needs",
    "mental-health-crisis-care",
)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def place(framework) -> Place:
    seed()
    return Place.objects.get(name="Northbridge")


@pytest.fixture
def current(place) -> Diagnostic:
    return Diagnostic.objects.get(place=place, title=CURRENT_TITLE)


def counts() -> dict[str, int]:
    return {
        "places": Place.objects.count(),
        "systems": System.objects.count(),
        "organisations": Organisation.objects.count(),
        "diagnostics": Diagnostic.objects.count(),
        "invitations": Invitation.objects.count(),
        "responses": Response.objects.count(),
        "ratings": Rating.objects.count(),
        "users": get_user_model().objects.count(),
    }


def fingerprint() -> list[tuple]:
    """Everything that should come out the same on every run, without ids or times."""
    return sorted(
        Rating.objects.values_list(
            "response__diagnostic__title",
            "response__invitation__name",
            "response__organisation__name",
            "response__role",
            "response__system__slug",
            "response__status",
            "precondition__code",
            "score",
            "dont_know",
            "evidence",
        ),
        key=repr,
    )


def login(client, username: str, password: str) -> bool:
    # django-axes needs the request to authenticate against.
    request = RequestFactory().get("/")
    return client.login(request=request, username=username, password=password)


# --- Running it -----------------------------------------------------------------------


def test_it_refuses_to_run_before_the_framework_is_loaded(db):
    with pytest.raises(CommandError, match="Run manage.py loaddata framework first"):
        call_command("seed_demo", stdout=StringIO())
    assert not Place.objects.exists()


@pytest.mark.smoke  # the bulk writes of the whole demo, on PostgreSQL too
def test_running_it_twice_leaves_exactly_the_same_data(framework):
    first_output = seed()
    after_first = counts()
    first = fingerprint()
    second_output = seed()

    assert counts() == after_first
    assert fingerprint() == first
    assert "Created the Northbridge demo" in first_output
    assert "Demo data already present" in second_output


def test_it_builds_the_same_data_every_time(place):
    first = fingerprint()
    Diagnostic.objects.filter(place=place).delete()
    place.delete()

    seed()

    assert fingerprint() == first


def test_it_writes_in_bulk(framework, django_assert_max_num_queries):
    # About six queries per invitation (invitation_create); ratings and responses in bulk.
    with django_assert_max_num_queries(1300):
        seed()


def test_it_prints_the_demo_accounts_the_address_and_a_warning(framework):
    for output in (seed(), seed()):
        assert "http://127.0.0.1:8000/" in output
        for account in DEMO_ACCOUNTS:
            assert f"{account.username} / {account.password}" in output
        assert "demo accounts" in output.lower()
        assert "never on a site others can reach" in output


# --- The place ------------------------------------------------------------------------


def test_it_creates_about_forty_organisations_in_all_four_sectors(place):
    organisations = Organisation.objects.filter(place=place)
    assert 38 <= organisations.count() <= 46
    sectors = defaultdict(int)
    for sector in organisations.values_list("sector", flat=True):
        sectors[sector] += 1
    assert set(sectors) == {"public", "private", "voluntary", "citizen"}
    assert min(sectors.values()) >= 4
    assert organisations.filter(name="Service users (individual)", sector="citizen").exists()
    assert not organisations.filter(name__icontains="Coventry").exists()


def test_the_current_round_covers_three_systems_but_not_the_wider_one(place, current):
    assert current.status == Diagnostic.Status.OPEN
    assert current.min_group_size == 5
    assert current.confidentiality == Diagnostic.Confidentiality.UNATTRIBUTED
    in_scope = set(current.systems.values_list("slug", flat=True))
    assert in_scope == set(DEMO_EXPECTATIONS) == {HH, FMN, MH}
    for system in System.objects.filter(place=place):
        assert system.slug == slugify(system.name)
    wider = System.objects.get(place=place, name="Housing and growth")
    assert System.objects.get(place=place, slug=HH).parent == wider
    assert wider.slug not in in_scope


def test_the_earlier_round_is_closed_and_is_the_previous_round(place, current):
    previous = Diagnostic.objects.get(place=place, title=PREVIOUS_TITLE)
    assert previous.status == Diagnostic.Status.CLOSED
    assert current.previous_round() == previous
    assert 360 <= (current.created_at - previous.created_at).days <= 370
    assert set(previous.systems.values_list("slug", flat=True)) == {HH, FMN, MH}


# --- Accounts -------------------------------------------------------------------------


@pytest.mark.parametrize("account", DEMO_ACCOUNTS, ids=lambda a: a.username)
def test_each_demo_account_can_sign_in(place, client, account):
    assert login(client, account.username, account.password)


def test_running_it_again_resets_the_demo_passwords(place, client):
    user = get_user_model().objects.get(username="facilitator")
    user.set_password("something else entirely")
    user.save()

    seed()

    assert login(client, "facilitator", "demo-facilitator-pass")


def test_the_facilitator_and_steering_member_have_their_roles(place, current):
    users = get_user_model().objects
    facilitator = users.get(username="facilitator")
    steering = users.get(username="steering")
    admin = users.get(username="admin")
    previous = Diagnostic.objects.get(place=place, title=PREVIOUS_TITLE)

    assert place.facilitators.filter(pk=facilitator.pk).exists()
    assert not facilitator.is_staff
    assert not place.facilitators.filter(pk=steering.pk).exists()
    assert set(Diagnostic.objects.filter(steering_members=steering)) == {current, previous}
    assert admin.is_superuser and admin.is_staff


# --- Invitations and responses ----------------------------------------------------------


def test_each_system_has_enough_respondents_in_every_sector_but_one(current):
    for slug in (HH, FMN, MH):
        submitted = Response.objects.filter(
            diagnostic=current, system__slug=slug, status=Response.Status.SUBMITTED
        )
        assert 25 <= submitted.count() <= 40
        by_sector = defaultdict(int)
        for sector in submitted.values_list("sector", flat=True):
            by_sector[sector] += 1
        for sector in ("public", "private", "voluntary", "citizen"):
            if slug == MH and sector == "private":
                # Fewer than the group minimum, so the report's suppression shows.
                assert 2 <= by_sector[sector] <= 3
            else:
                assert by_sector[sector] >= 5
        roles = set(submitted.values_list("role", flat=True))
        assert roles == {"frontline", "manager", "senior", "board", "service_user"}
        assert set(submitted.filter(role="service_user").values_list("sector", flat=True)) == {
            "citizen"
        }


def test_most_invitees_have_submitted_some_are_drafting_and_some_have_not_started(current):
    invitations = Invitation.objects.filter(diagnostic=current)
    responses = Response.objects.filter(diagnostic=current)
    assert responses.filter(status=Response.Status.DRAFT).count() >= 3
    assert responses.filter(status=Response.Status.SUBMITTED).count() > 0.9 * responses.count()
    assert invitations.filter(responses__isnull=True).count() >= 3
    for invitation in invitations:
        assert invitation.token_hash
        assert invitation.email.endswith("@example.org")
        assert invitation.name
    for response in responses.select_related("invitation", "organisation"):
        assert response.sector == response.organisation.sector
        assert response.role == response.invitation.role
        assert response.source == Response.Source.ONLINE
        assert (response.submitted_at is not None) == response.is_submitted


def test_submitted_responses_rate_all_nine_and_about_half_carry_evidence(current):
    ratings = Rating.objects.filter(
        response__diagnostic=current, response__status=Response.Status.SUBMITTED
    )
    submitted = Response.objects.filter(diagnostic=current, status=Response.Status.SUBMITTED)
    assert ratings.count() == 9 * submitted.count()
    for score, dont_know in ratings.values_list("score", "dont_know"):
        assert (score is None and dont_know) or (1 <= score <= 5 and not dont_know)

    evidence = [e for e in ratings.values_list("evidence", flat=True) if e]
    assert 0.4 <= len(evidence) / ratings.count() <= 0.6
    assert len(set(evidence)) >= 0.85 * len(evidence)
    assert not any("lorem" in e.lower() for e in evidence)


# --- The designed signals -----------------------------------------------------------------


def spread(values) -> float:
    values = list(values)
    return max(values) - min(values) if len(values) >= 2 else 0.0


def stats_by_code(diagnostic: Diagnostic, slug: str) -> dict[str, dict]:
    rows = Rating.objects.filter(
        response__diagnostic=diagnostic,
        response__status=Response.Status.SUBMITTED,
        response__system__slug=slug,
    ).values_list("precondition__code", "score", "dont_know", "response__sector", "response__role")
    answers = defaultdict(list)
    for code, score, dont_know, sector, role in rows:
        answers[code].append((None if dont_know else score, sector, role))
    stats = {}
    for code, rows_for_code in answers.items():
        scores = [s for s, _, _ in rows_for_code if s is not None]
        by_sector, by_role = defaultdict(list), defaultdict(list)
        for score, sector, role in rows_for_code:
            if score is not None:
                by_sector[sector].append(score)
                by_role[role].append(score)
        stats[code] = {
            "mean": statistics.fmean(scores),
            "sd": statistics.stdev(scores),
            "dont_know": 1 - len(scores) / len(rows_for_code),
            "sector_medians": {s: statistics.median(v) for s, v in by_sector.items()},
            "role_medians": {r: statistics.median(v) for r, v in by_role.items()},
        }
    return stats


def findings(stats: dict[str, dict]) -> dict:
    means = {code: s["mean"] for code, s in stats.items()}
    ranked = sorted(means, key=lambda code: means[code])
    contested = [
        code
        for code, s in stats.items()
        if s["sd"] >= CONTESTED_SD
        or spread(s["sector_medians"].values()) >= CONTESTED_SPREAD
        or spread(s["role_medians"].values()) >= CONTESTED_SPREAD
    ]
    return {
        "strongest": ranked[-1],
        "weakest": ranked[0],
        "contested": sorted(contested),
        "low_visibility": sorted(c for c, s in stats.items() if s["dont_know"] >= LOW_VISIBILITY),
        "strengths": [c for c in reversed(ranked) if means[c] >= STRENGTH_MEAN][:3],
        "gaps": [c for c in ranked if means[c] <= GAP_MEAN][:3],
    }


@pytest.mark.parametrize("slug", [HH, FMN, MH])
def test_the_thresholds_find_what_the_demo_promises(current, slug):
    stats = stats_by_code(current, slug)
    assert sorted(stats) == list("ABCDEFGHI")
    assert findings(stats) == DEMO_EXPECTATIONS[slug]


@pytest.mark.parametrize("slug", [HH, FMN, MH])
def test_every_other_precondition_sits_quietly_in_the_middle(current, slug):
    expected = DEMO_EXPECTATIONS[slug]
    designed = {expected["strongest"], expected["weakest"], *expected["contested"]}
    designed |= set(expected["low_visibility"])
    for code, s in stats_by_code(current, slug).items():
        if code in designed:
            continue
        assert 2.7 <= s["mean"] <= 3.3, code
        assert s["sd"] <= 1.0, code
        assert spread(s["sector_medians"].values()) <= 1, code
        assert spread(s["role_medians"].values()) <= 1, code
        assert s["dont_know"] <= 0.15, code


def test_the_designed_signals_have_the_intended_shape(current):
    hh, fmn, mh = (stats_by_code(current, slug) for slug in (HH, FMN, MH))

    assert hh["E"]["mean"] == pytest.approx(4.2, abs=0.2)
    assert hh["H"]["mean"] == pytest.approx(1.8, abs=0.2)
    assert hh["I"]["sector_medians"]["voluntary"] == 4
    assert hh["I"]["sector_medians"]["public"] == 2
    assert 0.35 <= hh["C"]["dont_know"] <= 0.45

    assert fmn["A"]["mean"] == pytest.approx(4.0, abs=0.2)
    assert fmn["I"]["mean"] == pytest.approx(1.9, abs=0.2)
    assert fmn["G"]["sd"] >= 1.4

    assert mh["F"]["mean"] == pytest.approx(3.9, abs=0.2)
    assert mh["H"]["mean"] == pytest.approx(2.0, abs=0.2)
    assert mh["D"]["sector_medians"]["citizen"] == 2
    assert mh["D"]["sector_medians"]["public"] == 4


def medians(diagnostic: Diagnostic, slug: str) -> dict[str, float]:
    scores = defaultdict(list)
    for code, score in Rating.objects.filter(
        response__diagnostic=diagnostic,
        response__status=Response.Status.SUBMITTED,
        response__system__slug=slug,
    ).values_list("precondition__code", "score"):
        if score is not None:
            scores[code].append(score)
    return {code: statistics.median(values) for code, values in scores.items()}


def test_trust_and_strengths_in_homelessness_are_the_clear_rises_since_last_year(place, current):
    previous = Diagnostic.objects.get(place=place, title=PREVIOUS_TITLE)
    before, now = stats_by_code(previous, HH), stats_by_code(current, HH)
    for code in "EF":
        assert now[code]["mean"] - before[code]["mean"] >= 0.8
    for slug in (HH, FMN, MH):
        before_means = [s["mean"] for s in stats_by_code(previous, slug).values()]
        now_means = [s["mean"] for s in stats_by_code(current, slug).values()]
        assert statistics.fmean(before_means) < statistics.fmean(now_means)

        # The report names changes in median of 0.5 or more: only these two.
        before_medians, now_medians = medians(previous, slug), medians(current, slug)
        changed = {c for c in now_medians if abs(now_medians[c] - before_medians[c]) >= 0.5}
        assert changed == ({"E", "F"} if slug == HH else set()), slug


def test_the_report_finds_the_designed_signals(current):
    from reports.aggregate import diagnostic_summary
    from reports.narrative import system_findings

    summary = diagnostic_summary(current)
    for system in summary.systems:
        findings = system_findings(system, min_group_size=summary.min_group_size)
        assert {
            "strongest": findings.strongest,
            "weakest": findings.weakest,
            "contested": sorted(findings.contested),
            "low_visibility": sorted(findings.low_visibility),
            "strengths": findings.strengths,
            "gaps": findings.gaps,
        } == DEMO_EXPECTATIONS[system.slug]
    # Crisis care's private sector is below the group minimum, so it is hidden.
    crisis = next(s for s in diagnostic_summary(current).systems if s.slug == MH)
    assert crisis.respondents_by_sector["private"] is None


def test_the_demo_reads_shown_groups_with_the_reports_rule():
    """Two respondents of the private sector said only "don't know": the report hides
    them and, so that the total cannot give them away, the smallest shown sector too. The
    demo's check of its design must see the same groups."""
    scores = {"public": 6, "voluntary": 7}
    people = {"public": 6, "private": 2, "voluntary": 7}
    assert _shown_groups(scores, people, SECTORS, 5) == {"voluntary"}
    assert _shown_groups(scores, scores, SECTORS, 5) == {"public", "voluntary"}
