"""Small builders for test data, shared by the test modules (no test module imports
another). Reference data (the framework) comes from its fixture.

- Database rows: ``make_user``, ``make_place``, ``make_system``, ``make_diagnostic``,
  ``make_invitation``, ``make_response``, ``make_responses``.
- Report summaries built by hand, without a database (the narrative, chart and SVG
  tests): ``make_stats``, ``make_precondition_summary``, ``make_system_summary``,
  ``make_diagnostic_summary``.
- Rows of an offline import (a CSV or XLSX sheet): ``import_row``.
"""

from __future__ import annotations

import itertools

from django.contrib.auth import get_user_model
from django.urls import reverse

from preconditions.models import Framework
from reports.aggregate import (
    ROLES,
    SCALE,
    SECTORS,
    DiagnosticSummary,
    PreconditionSummary,
    Stats,
    SystemSummary,
)
from surveys.invitations import invitation_create
from surveys.models import (
    Diagnostic,
    Invitation,
    Organisation,
    Place,
    Rating,
    Response,
    System,
)

_counter = itertools.count(1)


def make_user(username: str | None = None, **extra):
    username = username or f"user{next(_counter)}"
    return get_user_model().objects.create_user(
        username=username, password="correct horse battery staple", **extra
    )


def make_place(name: str | None = None, *, facilitators=()) -> Place:
    n = next(_counter)
    place = Place.objects.create(name=name or f"Place {n}", slug=f"place-{n}")
    place.facilitators.set(facilitators)
    return place


def make_system(place: Place, name: str | None = None) -> System:
    n = next(_counter)
    return System.objects.create(place=place, name=name or f"System {n}", slug=f"system-{n}")


def make_organisation(place: Place, sector: str = "public", name: str | None = None):
    return Organisation.objects.create(
        place=place, name=name or f"Organisation {next(_counter)}", sector=sector
    )


def make_diagnostic(
    place: Place,
    framework: Framework,
    *,
    systems=(),
    status: str = Diagnostic.Status.OPEN,
    min_group_size: int = 5,
    title: str | None = None,
    **extra,
) -> Diagnostic:
    n = next(_counter)
    diagnostic = Diagnostic.objects.create(
        place=place,
        framework=framework,
        slug=f"diagnostic-{n}",
        title=title or f"Diagnostic {n}",
        status=status,
        min_group_size=min_group_size,
        **extra,
    )
    diagnostic.systems.set(systems)
    return diagnostic


def make_invitation(
    diagnostic: Diagnostic,
    *,
    organisation: Organisation | None = None,
    role: str = "manager",
    systems=None,
    name: str = "Pat Partner",
    email: str = "pat@example.org",
) -> Invitation:
    organisation = organisation or make_organisation(diagnostic.place)
    systems = list(diagnostic.systems.all()) if systems is None else systems
    return invitation_create(
        diagnostic=diagnostic,
        organisation=organisation,
        role=role,
        systems=systems,
        name=name,
        email=email,
    )


def make_response(
    diagnostic: Diagnostic,
    system: System,
    scores: dict[str, int | None],
    *,
    organisation: Organisation | None = None,
    role: str = "manager",
    evidence: dict[str, str] | None = None,
    submitted: bool = True,
    invitation: Invitation | None = None,
) -> Response:
    """A response with one rating per code in `scores`; None means "don't know"."""
    organisation = organisation or make_organisation(diagnostic.place)
    response = Response.objects.create(
        diagnostic=diagnostic,
        system=system,
        invitation=invitation,
        organisation=organisation,
        sector=organisation.sector,
        role=role,
        status=Response.Status.SUBMITTED if submitted else Response.Status.DRAFT,
    )
    preconditions = {p.code: p for p in diagnostic.framework.preconditions.all()}
    Rating.objects.bulk_create(
        Rating(
            response=response,
            precondition=preconditions[code],
            score=score,
            dont_know=score is None,
            evidence=(evidence or {}).get(code, ""),
        )
        for code, score in scores.items()
    )
    return response


def make_responses(
    diagnostic: Diagnostic,
    system: System,
    scores: list[dict[str, int | None]],
    *,
    sector: str = "public",
    role: str = "manager",
    organisation: Organisation | None = None,
) -> list[Response]:
    """One submitted response per item of `scores`, all from one organisation of `sector`."""
    organisation = organisation or make_organisation(diagnostic.place, sector)
    return [
        make_response(diagnostic, system, row, organisation=organisation, role=role)
        for row in scores
    ]


# --- Report summaries, built by hand (no database) ------------------------------------

CODES = "ABCDEFGHI"
TITLES = {
    "A": "Beneficiary impact over organisational focus",
    "B": "Citizen-centred",
    "C": "Issues are acknowledged as systemic",
    "D": "Grounded in place but open to new approaches",
    "E": "Trusted partners",
    "F": "Strengths based",
    "G": "Distributed leadership",
    "H": "Resilient & risk embracing",
    "I": "Able to let go",
}


def make_stats(
    mean: float | None = 3.0,
    *,
    median: float | None = None,
    sd: float | None = 0.5,
    n: int = 10,
    dont_know: int = 0,
    q1: float | None = None,
    q3: float | None = None,
) -> Stats:
    if mean is None:
        return Stats(
            n=0,
            dont_know=dont_know,
            mean=None,
            median=None,
            sd=None,
            q1=None,
            q3=None,
            min=None,
            max=None,
            counts=dict.fromkeys(SCALE, 0),
        )
    median = mean if median is None else median
    counts = dict.fromkeys(SCALE, 0)
    counts[min(5, max(1, round(mean)))] = n
    return Stats(
        n=n,
        dont_know=dont_know,
        mean=mean,
        median=median,
        sd=sd,
        q1=max(1.0, median - 0.5) if q1 is None else q1,
        q3=min(5.0, median + 0.5) if q3 is None else q3,
        min=1,
        max=5,
        counts=counts,
    )


def make_precondition_summary(
    code: str,
    overall: Stats | None,
    *,
    by_sector: dict[str, Stats | None] | None = None,
    by_role: dict[str, Stats | None] | None = None,
    previous: Stats | None = None,
    evidence: list[str] | None = None,
) -> PreconditionSummary:
    by_sector = dict.fromkeys(SECTORS) | (by_sector or {})
    by_role = dict.fromkeys(ROLES) | (by_role or {})
    medians = [s.median for s in by_sector.values() if s is not None and s.median is not None]
    change = None
    if (
        overall is not None
        and previous is not None
        and overall.median is not None
        and previous.median is not None
    ):
        change = overall.median - previous.median
    return PreconditionSummary(
        code=code,
        title=TITLES[code],
        group="vision" if code in "ABCD" else "behaviours",
        overall=overall,
        by_sector=by_sector,
        by_role=by_role,
        sector_divergence=max(medians) - min(medians) if len(medians) >= 2 else None,
        previous=previous,
        change_in_median=change,
        evidence=evidence or [],
    )


def make_system_summary(
    means: dict[str, float | None] | None = None,
    *,
    overrides: dict[str, PreconditionSummary] | None = None,
    name: str = "Homelessness and housing",
    slug: str = "homelessness",
    respondents: int = 12,
    suppressed: bool = False,
    vision_median: float | None = 3.0,
    behaviours_median: float | None = 3.0,
) -> SystemSummary:
    """Every code has mean 3 (a dull middle) unless `means` or `overrides` say otherwise."""
    means = means or {}
    preconditions = []
    for code in CODES:
        if overrides and code in overrides:
            preconditions.append(overrides[code])
        elif suppressed:
            preconditions.append(make_precondition_summary(code, None))
        else:
            preconditions.append(make_precondition_summary(code, make_stats(means.get(code, 3.0))))
    return SystemSummary(
        name=name,
        slug=slug,
        respondents=respondents,
        suppressed=suppressed,
        preconditions=preconditions,
        vision_median=None if suppressed else vision_median,
        behaviours_median=None if suppressed else behaviours_median,
        respondents_by_sector=dict.fromkeys(SECTORS),
    )


def make_diagnostic_summary(
    *systems: SystemSummary, previous_title: str | None = None
) -> DiagnosticSummary:
    return DiagnosticSummary(
        slug="round-1",
        title="Round 1",
        place="Coventry",
        min_group_size=5,
        systems=list(systems),
        previous_title=previous_title,
    )


# --- Offline import ----------------------------------------------------------------------


def import_row(**values: str) -> dict[str, str]:
    """One row of an offline import (the columns of ``surveys.importing.COLUMNS``): a
    manager in the public sector rating A as 3 for "Homelessness and housing", unless
    `values` say otherwise."""
    base = {
        "respondent": "R1",
        "organisation": "Coventry City Council",
        "sector": "public",
        "role": "manager",
        "system": "Homelessness and housing",
        "precondition": "A",
        "rating": "3",
        "evidence": "",
    }
    return base | values


def step_url(invitation: Invitation, system: System, code: str = "A") -> str:
    """The partner's page for one pre-condition of one system."""
    return reverse("surveys:partner_step", args=[invitation.public_id, system.slug, code])


def make_report_personas(framework) -> dict:
    """Northbridge's round 2 (two systems) with its facilitator and a steering member, and a
    facilitator of another place: the readers of the report tests."""
    facilitator, steering, outsider = make_user(), make_user(), make_user()
    place = make_place("Northbridge", facilitators=[facilitator])
    make_place("Elsewhere", facilitators=[outsider])
    housing = make_system(place, "Homelessness and housing")
    youth = make_system(place, "Youth")
    diagnostic = make_diagnostic(place, framework, systems=[housing, youth], title="Round 2")
    diagnostic.steering_members.add(steering)
    return {
        "facilitator": facilitator,
        "steering": steering,
        "outsider": outsider,
        "diagnostic": diagnostic,
        "housing": housing,
        "youth": youth,
    }
