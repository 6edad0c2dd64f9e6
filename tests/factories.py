"""Small builders for test data. Reference data (the framework) comes from its fixture."""

from __future__ import annotations

import itertools

from django.contrib.auth import get_user_model

from preconditions.models import Framework
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
