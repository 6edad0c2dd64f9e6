"""Queries on the framework reference data, shaped for the pages and reports."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from .models import Framework, Precondition, PreconditionRelation

DEFAULT_FRAMEWORK_SLUG = "place-based-systems-change"


def framework_default() -> Framework:
    """The framework new diagnostics use. Raises Framework.DoesNotExist if not loaded."""
    return Framework.objects.get(slug=DEFAULT_FRAMEWORK_SLUG)


@dataclass(frozen=True)
class RelatedPrecondition:
    precondition: Precondition
    kind: str
    explanation: str


def precondition_related(precondition: Precondition) -> list[RelatedPrecondition]:
    """Pre-conditions linked to this one, from either end of the stored relation."""
    relations = PreconditionRelation.objects.filter(
        Q(source=precondition) | Q(target=precondition)
    ).select_related("source", "target")
    related = [
        RelatedPrecondition(
            precondition=r.target if r.source_id == precondition.pk else r.source,
            kind=r.kind,
            explanation=r.explanation,
        )
        for r in relations
    ]
    return sorted(related, key=lambda item: item.precondition.order)
