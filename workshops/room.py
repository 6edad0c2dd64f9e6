"""What the room sees on the projector: how many have joined and answered the
pre-condition shown, its spread only when it is safe, and approved comments.

The rules (docs/workshops.md):

- the number who have answered is always shown (it names nobody);
- the spread of ratings (how many at each point of the scale, and "don't know") only
  when the facilitator is not holding results back **and** at least k people have given
  a score, k being the round's minimum group size (``Diagnostic.min_group_size``, ruled
  by ``surveys.confidentiality``): with fewer, the room could tell who gave which score;
- never a breakdown by sector or role (the room knows who is in it: any breakdown would
  be a group of a few people it can name);
- comments only once a facilitator approves each, never with a sector or role.

A constant number of queries, whatever the size of the room (``room_view``:
three, on a workshop fetched with its current pre-condition and round).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q

from surveys.models import Rating, Score

from .models import Comment, Participant, Workshop


def spread_shown(*, scores: int, k: int, held: bool) -> bool:
    return not held and scores >= k


@dataclass(frozen=True)
class Bar:
    value: str  # "1".."5" or "dont_know"
    label: str
    count: int
    percent: int  # of everyone who answered


@dataclass(frozen=True)
class Room:
    state: str
    code: str | None
    title: str | None
    joined: int
    answered: int  # scores and "don't know"
    scores: int
    k: int
    held: bool
    spread: list[Bar] | None  # None: not shown (see ``why_hidden``)
    why_hidden: str
    comments: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "state": self.state,
            "code": self.code,
            "title": self.title,
            "joined": self.joined,
            "answered": self.answered,
            "held": self.held,
            "spread": None
            if self.spread is None
            else [
                {"value": b.value, "label": b.label, "count": b.count, "percent": b.percent}
                for b in self.spread
            ],
            "why_hidden": self.why_hidden,
            "comments": self.comments,
        }


def room_view(workshop: Workshop) -> Room:
    """The room's view of ``workshop`` (select its ``current_precondition`` and
    ``diagnostic`` with it)."""
    k = workshop.diagnostic.min_group_size
    joined = Participant.objects.filter(workshop=workshop).count()
    current = workshop.current_precondition
    if current is None:
        return Room(
            state=workshop.state,
            code=None,
            title=None,
            joined=joined,
            answered=0,
            scores=0,
            k=k,
            held=workshop.results_held,
            spread=None,
            why_hidden="",
        )
    counts = {
        (row["score"], row["dont_know"]): row["n"]
        for row in Rating.objects.filter(
            Q(score__isnull=False) | Q(dont_know=True),
            response__workshop_participant__workshop=workshop,
            precondition=current,
        )
        .order_by()
        .values("score", "dont_know")
        .annotate(n=Count("id"))
    }
    by_score = {score: n for (score, dont_know), n in counts.items() if score is not None}
    dont_know = sum(n for (score, dk), n in counts.items() if score is None and dk)
    scores = sum(by_score.values())
    answered = scores + dont_know
    spread: list[Bar] | None = None
    why_hidden = ""
    if spread_shown(scores=scores, k=k, held=workshop.results_held):
        spread = [
            Bar(
                str(s.value),
                f"{s.value} {s.label}",
                by_score.get(s.value, 0),
                round(100 * by_score.get(s.value, 0) / answered),
            )
            for s in Score
        ] + [Bar("dont_know", "Don't know", dont_know, round(100 * dont_know / answered))]
    elif workshop.results_held:
        why_hidden = "The facilitator is holding the results back for now."
    else:
        why_hidden = (
            f"The spread appears once at least {k} people have given a score, so that "
            "nobody's answer can be picked out."
        )
    comments = list(
        Comment.objects.filter(
            workshop=workshop, rating__precondition=current, approved_at__isnull=False
        )
        .exclude(rating__evidence="")
        .order_by("approved_at", "pk")
        .values_list("rating__evidence", flat=True)
    )
    return Room(
        state=workshop.state,
        code=current.code,
        title=current.title,
        joined=joined,
        answered=answered,
        scores=scores,
        k=k,
        held=workshop.results_held,
        spread=spread,
        why_hidden=why_hidden,
        comments=comments,
    )


def pending_comments(workshop: Workshop) -> list[Comment]:
    """Comments on the pre-condition shown, for the facilitator to moderate (text only:
    the facilitator sees no sector or role either). One query."""
    if workshop.current_precondition_id is None:
        return []
    return list(
        Comment.objects.filter(
            workshop=workshop, rating__precondition_id=workshop.current_precondition_id
        )
        .exclude(rating__evidence="")
        .select_related("rating")
        .order_by("created_at", "pk")
    )
