"""Step 3 of an import: creating what a valid plan describes, all or nothing
(``import_apply``), and ``import_run``, which validates and applies under a lock on the
diagnostic; also the diagnostic the command line creates for an import."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from preconditions.models import Framework

from ..audit import audit
from ..confidentiality import respondent_label_stored
from ..diagnostics import unique_slug
from ..models import (
    AuditEvent,
    Diagnostic,
    Organisation,
    Place,
    Rating,
    Response,
    System,
)
from .validate import NAME_MAX_LENGTH, ImportPlan, _clean_line, validate_import

# --- Applying ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    responses: int
    ratings: int
    respondents: int
    organisations_created: int
    systems_created: int


def import_apply(
    plan: ImportPlan, *, diagnostic: Diagnostic, actor, filename: str = ""
) -> ImportResult:
    """Create what ``plan`` describes, all or nothing. Call it in the transaction that
    made the plan, with the diagnostic locked (as ``import_run`` does), so that nothing
    the plan relied on has changed."""
    if not plan.is_valid:
        raise ValueError("An import plan with errors cannot be applied.")
    if plan.diagnostic_id != diagnostic.pk:
        raise ValueError("The import plan was made for a different diagnostic.")
    now = timezone.now()
    place_id = diagnostic.place_id
    with transaction.atomic():
        organisation_ids: dict[str, int] = {}
        if plan.new_organisations:
            Organisation.objects.bulk_create(
                Organisation(place_id=place_id, name=o.name, sector=o.sector)
                for o in plan.new_organisations
            )
            # Looked up by name rather than trusting bulk_create to return ids everywhere.
            organisation_ids = dict(
                Organisation.objects.filter(
                    place_id=place_id, name__in=[o.name for o in plan.new_organisations]
                ).values_list("name", "pk")
            )
        system_ids: dict[str, int] = {}
        if plan.new_systems:
            taken = set(System.objects.filter(place_id=place_id).values_list("slug", flat=True))
            System.objects.bulk_create(
                System(place_id=place_id, name=name, slug=unique_slug(slugify(name), taken))
                for name in plan.new_systems
            )
            system_ids = dict(
                System.objects.filter(place_id=place_id, name__in=plan.new_systems).values_list(
                    "name", "pk"
                )
            )
        if system_ids or plan.linked_system_ids:
            diagnostic.systems.add(*system_ids.values(), *plan.linked_system_ids)

        responses = [
            Response(
                diagnostic=diagnostic,
                system_id=planned.system_id or system_ids[planned.system_name],
                organisation_id=planned.organisation_id
                or organisation_ids[planned.organisation_name],
                respondent_label=respondent_label_stored(diagnostic, planned.respondent),
                sector=planned.sector,
                role=planned.role,
                status=Response.Status.SUBMITTED,
                source=Response.Source.IMPORT,
                created_at=now,
                updated_at=now,
                submitted_at=now,
            )
            for planned in plan.responses
        ]
        if connection.features.can_return_rows_from_bulk_insert:
            Response.objects.bulk_create(responses)
        else:  # e.g. an old SQLite: ids are needed for the ratings
            for response in responses:
                response.save()
        Rating.objects.bulk_create(
            (
                Rating(
                    response=response,
                    precondition_id=rating.precondition_id,
                    score=rating.score,
                    dont_know=rating.score is None,
                    evidence=rating.evidence,
                    updated_at=now,
                )
                for response, planned in zip(responses, plan.responses, strict=True)
                for rating in planned.ratings
            ),
            batch_size=1000,
        )
        result = ImportResult(
            responses=plan.response_count,
            ratings=plan.rating_count,
            respondents=plan.respondent_count,
            organisations_created=plan.new_organisation_count,
            systems_created=plan.new_system_count,
        )
        # Counts only: never respondents' labels or evidence.
        audit(
            AuditEvent.Action.IMPORTED,
            diagnostic=diagnostic,
            actor=actor,
            detail={
                "responses": result.responses,
                "ratings": result.ratings,
                "organisations_created": result.organisations_created,
                "systems_created": result.systems_created,
                "filename": filename[:255],
            },
        )
    return result


def import_run(
    *,
    rows: Sequence[dict[str, str]],
    diagnostic: Diagnostic,
    actor,
    filename: str,
    allow_new_systems: bool,
) -> tuple[ImportPlan, ImportResult | None]:
    """Validate and, if there are no errors, apply: the plan, and the result or None."""
    with transaction.atomic():
        # Lock the diagnostic so that imports into it run one at a time: a second
        # confirmation of the same file then sees the first one's responses and is refused.
        diagnostic = (
            Diagnostic.objects.select_for_update()
            .select_related("place", "framework")
            .get(pk=diagnostic.pk)
        )
        plan = validate_import(
            rows,
            diagnostic=diagnostic,
            framework=diagnostic.framework,
            allow_new_systems=allow_new_systems,
        )
        if not plan.is_valid:
            return plan, None
        result = import_apply(plan, diagnostic=diagnostic, actor=actor, filename=filename)
    return plan, result


# --- A diagnostic for the command line ---------------------------------------------------


def diagnostic_create_for_import(
    *, title: str, place_name: str, framework: Framework
) -> Diagnostic:
    """An open diagnostic in the place called ``place_name``, creating the place if there
    is none. For the command line; audited with no actor."""
    title, place_name = _clean_line(title), _clean_line(place_name)
    if not title or not place_name:
        raise ValueError("Both a title and a place are needed.")
    now = timezone.now()
    with transaction.atomic():
        place = Place.objects.filter(name__iexact=place_name).order_by("pk").first()
        if place is None:
            taken = set(Place.objects.values_list("slug", flat=True))
            place = Place.objects.create(
                name=place_name[:NAME_MAX_LENGTH],
                slug=unique_slug(slugify(place_name) or "place", taken),
            )
            audit(AuditEvent.Action.PLACE_CREATED, place=place, detail={"via": "import_responses"})
        base = (slugify(title) or "diagnostic")[:90].strip("-")
        slug = f"{base}-{secrets.token_hex(3)}"
        while Diagnostic.objects.filter(slug=slug).exists():
            slug = f"{base}-{secrets.token_hex(3)}"
        diagnostic = Diagnostic.objects.create(
            place=place,
            title=title[:NAME_MAX_LENGTH],
            slug=slug,
            framework=framework,
            status=Diagnostic.Status.OPEN,
            opened_at=now,
        )
        audit(
            AuditEvent.Action.DIAGNOSTIC_CREATED,
            diagnostic=diagnostic,
            detail={"via": "import_responses"},
        )
    return diagnostic
