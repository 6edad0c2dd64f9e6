"""Queries on the framework reference data, shaped for the pages and reports."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from .models import Framework, Precondition, PreconditionGroup, PreconditionRelation

DEFAULT_FRAMEWORK_SLUG = "place-based-systems-change"


def framework_default() -> Framework:
    """The framework new diagnostics use. Raises Framework.DoesNotExist if not loaded."""
    return Framework.objects.get(slug=DEFAULT_FRAMEWORK_SLUG)


@dataclass(frozen=True)
class RelatedPrecondition:
    precondition: Precondition
    kind: str
    explanation: str


def framework_groups(framework: Framework) -> QuerySet[PreconditionGroup]:
    """The framework's groups with their pre-conditions: two queries."""
    return framework.groups.prefetch_related("preconditions")


def precondition_with_neighbours(
    framework: Framework, code: str
) -> tuple[Precondition | None, Precondition, Precondition | None] | None:
    """The pre-condition with this code (any case), with its group, and the ones before
    and after it in framework order (None at either end); None if there is no such code.
    One query."""
    ordered = list(framework.preconditions.select_related("group"))
    for index, precondition in enumerate(ordered):
        if precondition.code == code.upper():
            before = ordered[index - 1] if index > 0 else None
            after = ordered[index + 1] if index + 1 < len(ordered) else None
            return before, precondition, after
    return None


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
