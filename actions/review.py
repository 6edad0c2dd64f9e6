"""Review at the next round: the earlier round's actions beside the change in median.

"What we did, and what moved". The report of a later round (``reports.actionplan``)
calls ``previous_round_actions`` for the earlier round's actions per system and
pre-condition, and ``review_rows`` / ``review_sentences`` with the medians it has already
computed: this module never computes statistics, so it cannot disagree with the report,
and it never sees a suppressed median (the report passes None for those).

A change is not proof that an action caused it: ``REVIEW_CAVEAT`` says so wherever the
review is shown.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from surveys.models import Diagnostic

from .models import Action, Status

# The smallest change in a median that counts as movement: the report's own threshold
# for "changed since the last round" (reports.narrative.CHANGE_MIN), passed in by the
# report; this default is the same value.
MOVEMENT_MIN = 0.5

REVIEW_CAVEAT = (
    "Actions and changes are shown side by side, but a change is not proof that an action "
    "caused it: other things changed too, and different people may have answered."
)


@dataclass(frozen=True)
class ReviewedAction:
    title: str
    status: str  # a models.Status value
    status_label: str
    lead_organisation: str
    due_on: datetime.date


@dataclass(frozen=True)
class MedianChange:
    """One system and pre-condition as the later round's report shows it. A median is
    None when it is not shown (suppressed, or no ratings)."""

    system_slug: str
    system_name: str
    code: str
    title: str
    previous_median: float | None
    current_median: float | None

    @property
    def change(self) -> float | None:
        if self.previous_median is None or self.current_median is None:
            return None
        return self.current_median - self.previous_median


@dataclass(frozen=True)
class ReviewRow:
    system_slug: str
    system_name: str
    code: str
    title: str
    change: float | None
    actions: list[ReviewedAction]
    previous_median: float | None = None
    current_median: float | None = None


def previous_round_actions(
    diagnostic: Diagnostic, earlier: Diagnostic | None
) -> dict[tuple[str, str], list[ReviewedAction]]:
    """(system slug, pre-condition code) -> the earlier round's actions and their status,
    for the systems of `diagnostic`. Proposals never accepted are left out. Empty when
    there is no earlier round or it belongs to another place. One query."""
    if earlier is None or earlier.place_id != diagnostic.place_id or earlier.pk == diagnostic.pk:
        return {}
    labels = dict(Status.choices)
    found: dict[tuple[str, str], list[ReviewedAction]] = {}
    actions = (
        Action.objects.filter(diagnostic=earlier, system__diagnostics=diagnostic)
        .on_plan()
        .select_related("system", "precondition", "lead_organisation")
        .order_by("system__name", "precondition__order", "due_on", "pk")
    )
    for action in actions:
        found.setdefault((action.system.slug, action.precondition.code), []).append(
            ReviewedAction(
                title=action.title,
                status=action.status,
                status_label=labels[action.status],
                lead_organisation=action.lead_organisation.name,
                due_on=action.due_on,
            )
        )
    return found


def review_rows(
    reviews: Mapping[tuple[str, str], list[ReviewedAction]], changes: Iterable[MedianChange]
) -> list[ReviewRow]:
    """One row per system and pre-condition of the later round, in the report's order,
    with the earlier round's actions (possibly none) beside the change."""
    return [
        ReviewRow(
            system_slug=c.system_slug,
            system_name=c.system_name,
            code=c.code,
            title=c.title,
            change=c.change,
            actions=list(reviews.get((c.system_slug, c.code), [])),
            previous_median=c.previous_median,
            current_median=c.current_median,
        )
        for c in changes
    ]


def _number(value: float) -> str:
    return f"{value:g}"


def review_sentences(
    reviews: Mapping[tuple[str, str], list[ReviewedAction]],
    changes: Iterable[MedianChange],
    *,
    movement_min: float = MOVEMENT_MIN,
) -> list[str]:
    """The narrative of the review: pre-conditions whose actions were all completed yet
    whose median did not move, and medians that moved with no action behind them.
    Pure: the medians come in, sentences come out (none when nothing is known)."""
    done_still: list[str] = []
    moved_alone: list[str] = []
    for c in changes:
        before, after = c.previous_median, c.current_median
        if before is None or after is None:
            continue
        change = after - before
        actions = reviews.get((c.system_slug, c.code), [])
        label = f"{c.code}. {c.title} in {c.system_name}"
        done = [a for a in actions if a.status == Status.DONE]
        if done and abs(change) < movement_min:
            count = "an action was" if len(done) == 1 else f"{len(done)} actions were"
            done_still.append(
                f"{label}: {count} completed, but the median did not move "
                f"({_number(before)} then {_number(after)})."
            )
        elif not actions and abs(change) >= movement_min:
            direction = "rose" if change > 0 else "fell"
            moved_alone.append(
                f"{label}: the median {direction} from {_number(before)} to {_number(after)} "
                "with no action planned for it."
            )
    sentences = done_still + moved_alone
    if sentences:
        sentences.append(REVIEW_CAVEAT)
    return sentences
