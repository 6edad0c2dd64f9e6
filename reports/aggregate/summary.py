"""Building the summaries of a round (``DiagnosticSummary`` and its ``SystemSummary``s)
from its ratings frame: statistics from ``statistics.py``, small groups hidden by
``suppression.py``, evidence, and the comparison with the previous round."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from preconditions.models import Precondition
from surveys.models import Diagnostic

from .contract import ROLES, SECTORS, DiagnosticSummary, PreconditionSummary, Stats, SystemSummary
from .frame import ratings_frame
from .statistics import _rounded, _RoundTables, _stats
from .suppression import _breakdowns, _respondents_by_sector


def diagnostic_summary(
    diagnostic: Diagnostic, *, include_evidence: bool = True
) -> DiagnosticSummary:
    """Live statistics of every system of ``diagnostic`` by pre-condition, sector and role,
    with small groups suppressed.

    Readers see these only through a release (``reports.releases``), which freezes them;
    the previous round is compared there too, from its final release, never from live
    ratings. A constant handful of queries whatever the number of ratings: the systems,
    the pre-conditions, the ratings, and the place (select ``place`` with the diagnostic
    to save that one). ``include_evidence=False`` leaves every ``evidence`` list empty.
    """
    systems, preconditions = summary_inputs(diagnostic)
    frame = ratings_frame([diagnostic.pk], evidence=include_evidence)
    return summary_of_frame(
        diagnostic, frame, systems, preconditions, include_evidence=include_evidence
    )


def summary_inputs(
    diagnostic: Diagnostic,
) -> tuple[list[tuple[int, str, str]], list[tuple[str, str, str]]]:
    """The round's systems ``(id, name, slug)`` by name and the framework's
    pre-conditions ``(code, title, group)`` in order: two queries."""
    systems = list(diagnostic.systems.order_by("name").values_list("id", "name", "slug"))
    preconditions = list(
        Precondition.objects.filter(framework_id=diagnostic.framework_id)
        .order_by("order")
        .values_list("code", "title", "group__slug")
    )
    return systems, preconditions


def summary_of_frame(
    diagnostic: Diagnostic,
    frame: pd.DataFrame,
    systems: Sequence[tuple[int, str, str]],
    preconditions: Sequence[tuple[str, str, str]],
    *,
    include_evidence: bool = True,
) -> DiagnosticSummary:
    return DiagnosticSummary(
        slug=diagnostic.slug,
        title=diagnostic.title,
        place=diagnostic.place.name,
        min_group_size=diagnostic.min_group_size,
        systems=summarise_frame(
            frame,
            systems,
            preconditions,
            diagnostic.min_group_size,
            include_evidence=include_evidence,
        ),
        previous_title=None,
    )


def summarise_frame(
    frame: pd.DataFrame,
    systems: Sequence[tuple[int, str, str]],
    preconditions: Sequence[tuple[str, str, str]],
    k: int,
    previous_frame: pd.DataFrame | None = None,
    *,
    include_evidence: bool = True,
) -> list[SystemSummary]:
    """The summary of each system, with small groups suppressed: the pure part of
    ``diagnostic_summary``, which calls it on the ratings it loads. No database.

    ``frame`` and ``previous_frame`` hold one round's ratings each, in the columns of
    ``ratings_frame`` (``evidence`` may be left out when ``include_evidence`` is False);
    ``systems`` are ``(id, name, slug)`` in the order to report them, ``preconditions``
    ``(code, title, group)`` in framework order, and ``k`` the minimum group size.
    """
    preconditions = list(preconditions)
    group_of_code = {code: group for code, _title, group in preconditions}
    earlier = None
    if previous_frame is not None:
        earlier = _RoundTables.build(previous_frame, group_of_code)
    current = _RoundTables.build(frame, group_of_code)
    evidence = _evidence_by_system_and_code(frame) if include_evidence else {}
    return [
        _system_summary(
            system_id,
            name=name,
            slug=slug,
            preconditions=preconditions,
            current=current,
            earlier=earlier,
            evidence=evidence,
            k=k,
        )
        for system_id, name, slug in systems
    ]


def _sector_divergence(by_sector: dict[str, Stats | None]) -> float | None:
    medians = [s.median for s in by_sector.values() if s is not None and s.median is not None]
    if len(medians) < 2:
        return None
    return _rounded(max(medians) - min(medians))


def _evidence_by_system_and_code(frame: pd.DataFrame) -> dict[tuple, list[str]]:
    """Non-empty evidence per (system_id, code), in alphabetical order. Only the text: who
    wrote it, and their sector and role, never travel with it. Not in response order: then
    the n-th excerpts of two pre-conditions would come from the same person, and a reader
    could piece one person's answers together."""
    written = frame.loc[frame["evidence"] != "", ["system_id", "code", "evidence"]]
    evidence: dict[tuple, list[str]] = {}
    for system_id, code, text in zip(
        written["system_id"].tolist(),
        written["code"].tolist(),
        written["evidence"].str.strip().tolist(),
        strict=True,
    ):
        if text:  # whitespace alone is not evidence
            evidence.setdefault((system_id, code), []).append(text)
    for texts in evidence.values():
        texts.sort(key=lambda text: (text.casefold(), text))
    return evidence


def _comparable_previous(
    current: Stats | None,
    earlier_tables: _RoundTables | None,
    system_id: int,
    code: str,
    k: int,
) -> Stats | None:
    """The previous round's Stats when both rounds are large enough to show; else None."""
    if current is None or earlier_tables is None or current.n < k:
        return None
    if earlier_tables.respondents.get(system_id, 0) < k:
        return None
    previous = _stats(earlier_tables.overall(system_id, code))
    return previous if previous.n >= k else None


def _system_summary(
    system_id: int,
    *,
    name: str,
    slug: str,
    preconditions: list[tuple[str, str, str]],
    current: _RoundTables,
    earlier: _RoundTables | None,
    evidence: dict[tuple, list[str]],
    k: int,
) -> SystemSummary:
    respondents = current.respondents.get(system_id, 0)
    suppressed = respondents < k
    summaries = []
    for code, title, group in preconditions:
        if suppressed:
            summaries.append(_suppressed_precondition(code, title, group))
            continue
        overall = _stats(current.overall(system_id, code))
        by_sector, by_role = _breakdowns(current, system_id, code, k)
        previous = _comparable_previous(overall, earlier, system_id, code, k)
        change = None
        if previous is not None and overall.median is not None and previous.median is not None:
            change = _rounded(overall.median - previous.median)
        summaries.append(
            PreconditionSummary(
                code=code,
                title=title,
                group=group,
                overall=overall,
                by_sector=by_sector,
                by_role=by_role,
                sector_divergence=_sector_divergence(by_sector),
                previous=previous,
                change_in_median=change,
                evidence=list(evidence.get((system_id, code), [])),
            )
        )
    return SystemSummary(
        name=name,
        slug=slug,
        respondents=respondents,
        suppressed=suppressed,
        preconditions=summaries,
        vision_median=None if suppressed else _group_median(current, system_id, "vision"),
        behaviours_median=None if suppressed else _group_median(current, system_id, "behaviours"),
        respondents_by_sector=dict.fromkeys(SECTORS)
        if suppressed
        else _respondents_by_sector(current, system_id, k),
    )


def _group_median(tables: _RoundTables, system_id: int, group: str) -> float | None:
    return _rounded(tables.group_medians.get((system_id, group)))


def _suppressed_precondition(code: str, title: str, group: str) -> PreconditionSummary:
    return PreconditionSummary(
        code=code,
        title=title,
        group=group,
        overall=None,
        by_sector=dict.fromkeys(SECTORS),
        by_role=dict.fromkeys(ROLES),
        sector_divergence=None,
        previous=None,
        change_in_median=None,
        evidence=[],
    )
