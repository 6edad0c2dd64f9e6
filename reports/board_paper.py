"""The board paper's own parts (the PDF, ``templates/reports/pdf.html``): the one-page
executive summary and the mark on every page while figures can still change.

Words come from the narrative's findings (``reports.narrative``), so the summary says
what the system pages say, with the same statistic (the median), the same ties and the
same minimum of k ratings.
"""

from __future__ import annotations

from dataclasses import dataclass

from surveys.models import Diagnostic

from .aggregate import DiagnosticSummary, PreconditionSummary, SystemSummary
from .narrative import DiagnosticNarrative, SystemFindings, format_number


@dataclass(frozen=True)
class Headline:
    """One system in the executive summary: a few short lines, nothing added up."""

    name: str
    respondents: int
    suppressed: bool
    points: list[str]


def page_mark(diagnostic: Diagnostic, summary: DiagnosticSummary) -> str | None:
    """The words on every page of a paper whose figures are not final: "Interim" for an
    interim release or live figures of an open round, "Live figures" for live figures of
    a closed round, nothing for a final release."""
    release = summary.release
    if release is not None:
        return "Interim" if release.kind == "interim" else None
    return "Interim: live figures" if diagnostic.is_open else "Live figures, not released"


def _named(system: SystemSummary, codes: list[str]) -> str:
    by_code = {p.code: p for p in system.preconditions}
    parts = [_with_median(by_code[code]) for code in codes]
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else "".join(parts)


def _titles(system: SystemSummary, codes: list[str]) -> str:
    by_code = {p.code: p for p in system.preconditions}
    parts = [f"{code}. {by_code[code].title}" for code in codes]
    return "; ".join(parts)


def _with_median(p: PreconditionSummary) -> str:
    median = p.overall.median if p.overall is not None else None
    return f"{p.code}. {p.title} (median {format_number(median)})"


def system_points(system: SystemSummary, findings: SystemFindings) -> list[str]:
    """What stands out in one system, as a few short lines (the summary page and the
    board's Excel sheet)."""
    points = []
    if findings.strengths:
        points.append(f"Established or embedded: {_named(system, findings.strengths)}.")
    elif findings.highest:
        points.append(f"Highest median: {_named(system, findings.highest)}.")
    if findings.gaps:
        points.append(f"Absent or emerging: {_named(system, findings.gaps)}.")
    elif findings.lowest:
        points.append(f"Lowest median: {_named(system, findings.lowest)}.")
    if not findings.highest and not findings.lowest:
        points.append("No pre-condition stands out as stronger or weaker than the rest.")
    if findings.contested:
        points.append(f"Views differ on {_titles(system, findings.contested)}.")
    if findings.low_visibility:
        points.append(f"Many could not say for {_titles(system, findings.low_visibility)}.")
    return points


def headlines(summary: DiagnosticSummary, narrative: DiagnosticNarrative) -> list[Headline]:
    return [
        Headline(
            name=system.name,
            respondents=system.respondents,
            suppressed=system.suppressed,
            points=[] if system.suppressed else system_points(system, story.findings),
        )
        for system, story in zip(summary.systems, narrative.systems, strict=True)
    ]
