"""Synthetic data at the scale of a national roll-out, written fast with COPY (PostgreSQL).

Places are added cumulatively, so one database grows through the three sizes of the
benchmark: place 1 (a workshop of 50 people, its round open), then places of 40
respondents each (rounds closed). Every respondent has an invitation, assesses all four
systems of the place and submits: nine ratings per response, some "don't know", a third
with evidence. One more place, "City", holds a round with one system of 1,000 imported
responses: the largest single report. Deterministic: the same seed gives the same data.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from preconditions.models import Framework, Precondition
from surveys.models import (
    Diagnostic,
    Invitation,
    Organisation,
    Place,
    Rating,
    Response,
    Role,
    Sector,
    System,
)

FRAMEWORK_SLUG = "place-based-systems-change"
SYSTEM_NAMES = ("Homelessness and housing", "Mental health", "Youth", "Ageing well")
FACILITATOR = "bench-facilitator"
FACILITATOR_PASSWORD = "benchmark facilitator password"  # noqa: S105 - synthetic data only
CITY_SLUG = "bench-city"
WORKSHOP_SLUG = "bench-place-1"
EVIDENCE_TEXT = (
    "partners share data on shared cases every week and agree one plan with the family "
    "the board talks about prevention but budgets are still held by each organisation "
    "frontline staff may try new approaches without asking permission first "
    "service users sit on the panel that commissions the new hub and chair its reviews"
)
EVIDENCE_WORDS = EVIDENCE_TEXT.split(" ")


@dataclass(frozen=True)
class Scale:
    """How much data: places in total, respondents of the first place and of the rest."""

    places: int
    first_place_respondents: int = 50
    respondents: int = 40
    city_respondents: int = 1000


@dataclass(frozen=True)
class Workshop:
    """The first place's invitations, for the load test: their public ids and tokens."""

    diagnostic_slug: str
    system_slug: str
    invitations: list[tuple[str, str]]  # (public_id, token)


def invitation_token(public_id: str, secret_key: str, generation: int = 1) -> str:
    """The link token of ``surveys.invitations.invitation_token``, for a given key (the
    benchmark's gunicorn runs with its own)."""
    message = f"invitation:{public_id}:{generation}".encode()
    digest = hmac.new(secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def facilitator():
    user = get_user_model().objects.filter(username=FACILITATOR).first()
    if user is None:
        user = get_user_model().objects.create_user(FACILITATOR, password=FACILITATOR_PASSWORD)
    return user


def places_count() -> int:
    return Place.objects.filter(slug__startswith="bench-place-").count()


def generate(scale: Scale, *, secret_key: str, seed: int = 2015) -> None:
    """Add places until there are ``scale.places`` (and City once). Idempotent per size."""
    framework = Framework.objects.get(slug=FRAMEWORK_SLUG)
    preconditions = list(Precondition.objects.filter(framework=framework).order_by("order"))
    user = facilitator()
    writer = _Writer(preconditions, secret_key)
    if not Place.objects.filter(slug=CITY_SLUG).exists():
        rng = random.Random(seed)
        place = _place(CITY_SLUG, "City", user, systems=SYSTEM_NAMES[:1])
        diagnostic = _diagnostic(place, framework, CITY_SLUG, Diagnostic.Status.CLOSED)
        writer.imported_round(rng, diagnostic, scale.city_respondents)
    for number in range(places_count() + 1, scale.places + 1):
        rng = random.Random(seed * 1000 + number)
        slug = f"bench-place-{number}"
        place = _place(slug, f"Place {number}", user, systems=SYSTEM_NAMES)
        status = Diagnostic.Status.OPEN if number == 1 else Diagnostic.Status.CLOSED
        diagnostic = _diagnostic(place, framework, slug, status)
        respondents = scale.first_place_respondents if number == 1 else scale.respondents
        writer.invited_round(rng, diagnostic, respondents)
    writer.flush()
    with connection.cursor() as cursor:
        for model in (Invitation, Response, Rating):
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        # Fresh statistics, as autovacuum would have them on a live database.
        cursor.execute("ANALYZE")
    release_measured_rounds(user)


def release_measured_rounds(user) -> None:
    """Readers see releases (reports.releases): the measured pages read the workshop's
    interim release and City's final one, made once like the facilitator would."""
    from reports.models import Release
    from reports.releases import release_publish

    for diagnostic in Diagnostic.objects.filter(
        slug__in=[CITY_SLUG, WORKSHOP_SLUG], releases__isnull=True
    ).select_related("place"):
        kind = Release.Kind.FINAL if diagnostic.is_closed else Release.Kind.INTERIM
        release_publish(diagnostic=diagnostic, kind=kind, actor=user)


def workshop(secret_key: str) -> Workshop:
    """The first place's round: its diagnostic, first system and invitations' tokens."""
    diagnostic = Diagnostic.objects.get(slug=WORKSHOP_SLUG)
    system = diagnostic.systems.earliest("name")
    public_ids = Invitation.objects.filter(diagnostic=diagnostic).order_by("id")
    return Workshop(
        diagnostic_slug=diagnostic.slug,
        system_slug=system.slug,
        invitations=[
            (public_id, invitation_token(public_id, secret_key))
            for public_id in public_ids.values_list("public_id", flat=True)
        ],
    )


def _place(slug: str, name: str, user, *, systems: Sequence[str]) -> Place:
    place = Place.objects.create(name=name, slug=slug)
    place.facilitators.add(user)
    System.objects.bulk_create(
        System(place=place, name=system, slug=f"system-{n}") for n, system in enumerate(systems)
    )
    Organisation.objects.bulk_create(
        Organisation(place=place, name=f"{sector.label} partner {n}", sector=sector)
        for sector in Sector
        for n in (1, 2)
    )
    return place


def _diagnostic(place: Place, framework: Framework, slug: str, status: str) -> Diagnostic:
    diagnostic = Diagnostic.objects.create(
        place=place,
        slug=slug,
        title=f"{place.name} diagnostic",
        framework=framework,
        status=status,
        min_group_size=5,
    )
    diagnostic.systems.set(place.systems.all())
    return diagnostic


class _Writer:
    """Buffers rows as CSV and COPYs them in, with ids taken ahead of the sequences."""

    def __init__(self, preconditions: list[Precondition], secret_key: str) -> None:
        self.preconditions = preconditions
        self.secret_key = secret_key
        self.now = timezone.now()
        self.ids = {model: _max_id(model) for model in (Invitation, Response, Rating)}
        self.tables: dict[str, tuple[list[str], io.StringIO]] = {}

    def _next_id(self, model) -> int:
        self.ids[model] += 1
        return self.ids[model]

    def _row(self, table: str, columns: list[str], values: Iterable) -> None:
        if table not in self.tables:
            self.tables[table] = (columns, io.StringIO())
        csv.writer(self.tables[table][1]).writerow(
            "\\N" if value is None else value for value in values
        )

    def invited_round(self, rng: random.Random, diagnostic: Diagnostic, respondents: int) -> None:
        organisations = list(diagnostic.place.organisations.order_by("id"))
        systems = list(diagnostic.systems.order_by("id"))
        bias = {system.pk: rng.uniform(-1.0, 1.0) for system in systems}
        for n in range(respondents):
            organisation = organisations[n % len(organisations)]
            role = _role(rng, organisation)
            public_id = f"{rng.getrandbits(48):012x}"
            token = invitation_token(public_id, self.secret_key)
            invitation_id = self._next_id(Invitation)
            self._row(
                Invitation._meta.db_table,
                ["id", "diagnostic_id", "public_id", "name", "email", "organisation_id", "role"]
                + ["token_hash", "token_generation", "created_at", "sent_at", "reminder_count"]
                + ["opened_at"],
                [invitation_id, diagnostic.pk, public_id, f"Partner {n + 1}", ""]
                + [organisation.pk, role, hashlib.sha256(token.encode()).hexdigest(), 1]
                + [self.now, self.now, 0, self.now],
            )
            for system in systems:
                self._row(
                    Invitation.systems.through._meta.db_table,
                    ["invitation_id", "system_id"],
                    [invitation_id, system.pk],
                )
                response_id = self._response(
                    diagnostic, system, organisation, role, invitation_id=invitation_id
                )
                self._ratings(rng, response_id, bias[system.pk])

    def imported_round(self, rng: random.Random, diagnostic: Diagnostic, respondents: int) -> None:
        organisations = list(diagnostic.place.organisations.order_by("id"))
        for system in diagnostic.systems.all():
            for n in range(respondents):
                organisation = organisations[n % len(organisations)]
                role = _role(rng, organisation)
                response_id = self._response(
                    diagnostic, system, organisation, role, label=f"Respondent {n + 1}"
                )
                self._ratings(rng, response_id, 0.0)

    def _response(
        self, diagnostic, system, organisation, role, *, invitation_id=None, label=""
    ) -> int:
        response_id = self._next_id(Response)
        submitted = self.now - timedelta(days=1)
        self._row(
            Response._meta.db_table,
            ["id", "diagnostic_id", "system_id", "invitation_id", "respondent_label"]
            + ["organisation_id", "sector", "role", "status", "source", "created_at"]
            + ["updated_at", "submitted_at"],
            [response_id, diagnostic.pk, system.pk, invitation_id, label, organisation.pk]
            + [organisation.sector, role, Response.Status.SUBMITTED]
            + [Response.Source.IMPORT if label else Response.Source.ONLINE]
            + [submitted - timedelta(hours=2), submitted, submitted],
        )
        return response_id

    def _ratings(self, rng: random.Random, response_id: int, bias: float) -> None:
        updated: datetime = self.now - timedelta(days=1)
        for precondition in self.preconditions:
            dont_know = rng.random() < 0.06
            score = None if dont_know else min(5, max(1, round(rng.gauss(3 + bias, 1.1))))
            evidence = ""
            if rng.random() < 0.33:
                start = rng.randrange(len(EVIDENCE_WORDS) - 20)
                evidence = " ".join(EVIDENCE_WORDS[start : start + rng.randint(8, 20)])
            seen = sorted(rng.sample(range(len(precondition.indicators)), rng.randint(0, 3)))
            self._row(
                Rating._meta.db_table,
                ["id", "response_id", "precondition_id", "score", "dont_know", "evidence"]
                + ["indicators_seen", "version", "updated_at"],
                [self._next_id(Rating), response_id, precondition.pk, score, dont_know]
                + [evidence, json.dumps(seen), 1, updated],
            )

    def flush(self) -> None:
        """COPY every buffered table, parents first, in one transaction."""
        order = [
            Invitation._meta.db_table,
            Invitation.systems.through._meta.db_table,
            Response._meta.db_table,
            Rating._meta.db_table,
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            for table in order:
                if table not in self.tables:
                    continue
                columns, buffer = self.tables[table]
                buffer.seek(0)
                cursor.cursor.copy_expert(
                    f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')",
                    buffer,
                )
        self.tables.clear()


def _role(rng: random.Random, organisation: Organisation) -> str:
    if organisation.sector == Sector.CITIZEN:
        return Role.SERVICE_USER
    return rng.choice([Role.FRONTLINE, Role.MANAGER, Role.SENIOR, Role.BOARD])


def _max_id(model) -> int:
    return model.objects.order_by("-id").values_list("id", flat=True).first() or 0
