"""The action plan in the report (issue 13): "Plan an action" beside each pre-condition
and each question for the steering group, the review at the next round ("what we did,
and what moved"), and the board paper's action-plan section.

Reports may import ``actions``, never the other way round. This module decides nothing
about who may do what (``actions.rules``) or which figures a reader sees
(``reports.releases``): it puts the two side by side.

- Links only for readers who may create (facilitators) or propose (steering members, when
  the round allows it): ``actions.rules.may_plan``.
- The review only when the reader may see the round comparison
  (``reports.releases.comparison_for_reader``, carried as ``ReaderView.compared_with``),
  and only when that earlier round has accepted actions. Its medians are the report's own
  (``change_in_median`` of ``compare_rounds``): a median hidden in either round is None,
  so the review never shows a figure the report does not.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.urls import reverse

from actions import rules
from actions.exports import plan_actions
from actions.links import plan_action_url
from actions.models import Action, FindingKind
from actions.review import (
    REVIEW_CAVEAT,
    MedianChange,
    ReviewRow,
    previous_round_actions,
    review_rows,
    review_sentences,
)
from surveys.models import Diagnostic

from .aggregate import DiagnosticSummary
from .narrative import CHANGE_MIN, MULTIPLIER_CODE, DiagnosticNarrative, SystemNarrative
from .releases import ReaderView


@dataclass(frozen=True)
class PlanLink:
    url: str
    text: str  # "Plan an action" (facilitators) or "Propose an action" (steering)
    code: str
    system_name: str  # user text: the template escapes it and wraps it in <bdi>


@dataclass(frozen=True)
class ReviewSystem:
    name: str
    slug: str
    rows: list[ReviewRow]

    @property
    def action_count(self) -> int:
        return sum(len(row.actions) for row in self.rows)


@dataclass(frozen=True)
class Review:
    """What we did in the earlier round, and what moved since."""

    previous_title: str
    systems: list[ReviewSystem]
    sentences: list[str]  # review_sentences: ends with the caveat when there are any
    caveat: str = REVIEW_CAVEAT

    def for_system(self, slug: str) -> ReviewSystem | None:
        return next((s for s in self.systems if s.slug == slug), None)


@dataclass(frozen=True)
class ReportActions:
    """Everything the report pages show of the action plan."""

    may_plan: bool
    plan_url: str
    # system slug -> pre-condition code -> the link beside that pre-condition
    links: dict[str, dict[str, PlanLink]] = field(default_factory=dict)
    # pre-condition code -> one link per system the question was asked about
    questions: dict[str, list[PlanLink]] = field(default_factory=dict)
    review: Review | None = None


def _finding_of(code: str, story: SystemNarrative) -> str:
    """The finding that puts a pre-condition on the report, most telling first."""
    findings = story.findings
    if code in findings.gaps:
        return FindingKind.GAP
    if code in findings.contested:
        return FindingKind.CONTESTED
    if code in findings.low_visibility:
        return FindingKind.LOW_VISIBILITY
    if code == MULTIPLIER_CODE and findings.multiplier_weak:
        return FindingKind.MULTIPLIER
    return ""


def plan_links(
    diagnostic: Diagnostic, summary: DiagnosticSummary, narrative: DiagnosticNarrative, text: str
) -> tuple[dict[str, dict[str, PlanLink]], dict[str, list[PlanLink]]]:
    """The links beside each pre-condition of each system (prefilled with the finding
    that system shows, if any) and beside each question for the steering group (one per
    system it was asked about, with the finding "a question for the steering group")."""
    links: dict[str, dict[str, PlanLink]] = {}
    names: dict[str, str] = {}
    for system, story in zip(summary.systems, narrative.systems, strict=True):
        names[system.name] = system.slug
        links[system.slug] = {
            p.code: PlanLink(
                url=plan_action_url(
                    diagnostic.slug, system.slug, p.code, _finding_of(p.code, story)
                ),
                text=text,
                code=p.code,
                system_name=system.name,
            )
            for p in system.preconditions
        }
    questions: dict[str, list[PlanLink]] = {}
    for group in narrative.questions:
        seen: list[str] = []
        for reason in group.reasons:
            slug = names.get(reason.system)
            if slug is None or slug in seen:
                continue
            seen.append(slug)
            questions.setdefault(group.code, []).append(
                PlanLink(
                    url=plan_action_url(diagnostic.slug, slug, group.code, FindingKind.QUESTION),
                    text=text,
                    code=group.code,
                    system_name=reason.system,
                )
            )
    return links, questions


def median_changes(summary: DiagnosticSummary) -> list[MedianChange]:
    """Each system and pre-condition with the medians the report shows (None if hidden)."""
    return [
        MedianChange(
            system_slug=system.slug,
            system_name=system.name,
            code=p.code,
            title=p.title,
            previous_median=p.previous.median if p.previous is not None else None,
            current_median=p.overall.median if p.overall is not None else None,
        )
        for system in summary.systems
        for p in system.preconditions
    ]


def review_for_reader(diagnostic: Diagnostic, reader: ReaderView) -> Review | None:
    """The review at the next round, or None: no comparison for this reader (never
    shown to someone who may not read the earlier round), or no accepted actions then.
    One query (the earlier round's actions)."""
    previous = reader.compared_with
    if previous is None or reader.summary is None:
        return None
    reviews = previous_round_actions(diagnostic, previous.diagnostic)
    if not reviews:
        return None
    summary = reader.summary
    changes = median_changes(summary)
    rows = review_rows(reviews, changes)
    systems = [
        ReviewSystem(
            name=system.name,
            slug=system.slug,
            rows=[row for row in rows if row.system_slug == system.slug],
        )
        for system in summary.systems
    ]
    return Review(
        previous_title=previous.diagnostic.title,
        systems=systems,
        sentences=review_sentences(reviews, changes, movement_min=CHANGE_MIN),
    )


def report_actions(
    diagnostic: Diagnostic,
    *,
    is_facilitator: bool,
    reader: ReaderView,
    narrative: DiagnosticNarrative,
) -> ReportActions:
    """The report's action-plan context: links where the reader may plan, and the
    review. A constant few queries (the round's settings, the earlier round's actions)."""
    role = rules.Role.FACILITATOR if is_facilitator else rules.Role.STEERING
    may_plan = rules.may_plan(role, rules.plan_settings_for_reading(diagnostic))
    links: dict[str, dict[str, PlanLink]] = {}
    questions: dict[str, list[PlanLink]] = {}
    if may_plan and reader.summary is not None:
        text = "Plan an action" if rules.may_create(role) else "Propose an action"
        links, questions = plan_links(diagnostic, reader.summary, narrative, text)
    return ReportActions(
        may_plan=may_plan,
        plan_url=reverse("actions:plan", args=[diagnostic.slug]),
        links=links,
        questions=questions,
        review=review_for_reader(diagnostic, reader),
    )


# --- the board paper -----------------------------------------------------------------


@dataclass(frozen=True)
class PaperAction:
    """One action as the board paper prints it: no named lead or address (the paper is
    read beyond the steering group)."""

    system: str
    code: str
    precondition: str
    title: str
    description: str
    lead_organisation: str
    due_on: datetime.date
    status: str
    overdue: bool


def paper_actions(diagnostic: Diagnostic, *, today: datetime.date) -> list[PaperAction]:
    """This round's plan for the board paper: accepted actions (proposals are not on the
    plan yet), by system and pre-condition. One query."""
    actions: list[Action] = list(plan_actions(diagnostic).on_plan())
    return [
        PaperAction(
            system=a.system.name,
            code=a.precondition.code,
            precondition=a.precondition.title,
            title=a.title,
            description=a.description,
            lead_organisation=a.lead_organisation.name,
            due_on=a.due_on,
            status=a.get_status_display(),
            overdue=a.is_overdue(today),
        )
        for a in actions
    ]
