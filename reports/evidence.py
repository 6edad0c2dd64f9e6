"""Evidence at scale: a few excerpts per pre-condition on the report pages, and a page of
all of them, paginated and searchable, for every reader who may see evidence.

Both read the excerpts of the summary the reader already sees (``reports.releases``), so
they obey releases, suppression and the round's confidentiality exactly as the report
does: unattributed text only, in the summary's order (alphabetical, never response order,
see ``reports.aggregate``), never a sector, role or name beside it. Nothing here queries
the database.

The first ``REPORT_EXCERPTS`` excerpts are the first in that order, not a selection by
merit: choosing "the best" quotes would be an editorial act the report should not make
silently (docs/reports.md, "Evidence at scale").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.paginator import Page, Paginator

from .aggregate import PreconditionSummary, SystemSummary

# Excerpts per pre-condition on the report and system pages (the PDF quotes as many).
REPORT_EXCERPTS = 3
# Excerpts per page of the evidence page.
EVIDENCE_PAGE_SIZE = 50
# A search is cut to this many characters (a query string is not a place for essays).
MAX_QUERY_LENGTH = 200


@dataclass(frozen=True)
class EvidencePreview:
    """The excerpts of one pre-condition a report page shows, and how many it has."""

    precondition: PreconditionSummary
    excerpts: list[str]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.excerpts)


@dataclass(frozen=True)
class Excerpt:
    code: str
    title: str
    text: str


@dataclass(frozen=True)
class EvidencePage:
    """One page of a system's evidence, after the pre-condition filter and the search."""

    page: Page
    matches: int  # excerpts matching the filter and search, over every page
    total: int  # excerpts of the system (or of the chosen pre-condition), unsearched
    code: str | None  # the chosen pre-condition, or None for all
    query: str


def evidence_previews(
    system: SystemSummary, *, limit: int = REPORT_EXCERPTS, include_empty: bool = False
) -> list[EvidencePreview]:
    """The first ``limit`` excerpts of every pre-condition that has any, in the system's
    order; with ``include_empty``, one preview per pre-condition (empty where it has none)."""
    return [
        EvidencePreview(precondition=p, excerpts=p.evidence[:limit], total=len(p.evidence))
        for p in system.preconditions
        if p.evidence or include_empty
    ]


def clean_query(raw: str | None) -> str:
    """The search as typed, trimmed, with runs of white space made one space."""
    return " ".join((raw or "").split())[:MAX_QUERY_LENGTH]


def _matches(text: str, words: Sequence[str]) -> bool:
    folded = text.casefold()
    return all(word in folded for word in words)


def evidence_page(
    system: SystemSummary,
    *,
    code: str | None = None,
    query: str = "",
    page_number: str | int | None = 1,
    per_page: int = EVIDENCE_PAGE_SIZE,
) -> EvidencePage:
    """The excerpts of one system, of one pre-condition when ``code`` names one, holding
    every word of ``query`` (case-insensitive, in any order), paginated. An unknown code
    means every pre-condition; a page number out of range gives the nearest page."""
    codes = {p.code for p in system.preconditions}
    chosen = code if code in codes else None
    words = [word.casefold() for word in query.split()]
    total = 0
    found: list[Excerpt] = []
    for p in system.preconditions:
        if chosen is not None and p.code != chosen:
            continue
        total += len(p.evidence)
        found.extend(
            Excerpt(code=p.code, title=p.title, text=text)
            for text in p.evidence
            if _matches(text, words)
        )
    page = Paginator(found, per_page).get_page(page_number)
    return EvidencePage(page=page, matches=len(found), total=total, code=chosen, query=query)


def page_links(page: Page) -> list[int | None]:
    """Page numbers for the GOV.UK pagination component: the first, the last and the
    neighbours of the current one; None where an ellipsis goes. (The invitation list has
    the same rule in ``surveys.views.facilitator._page_links``.)"""
    last = page.paginator.num_pages
    wanted = sorted(
        {1, last, page.number - 1, page.number, page.number + 1} & set(range(1, last + 1))
    )
    links: list[int | None] = []
    for number in wanted:
        previous = links[-1] if links else None
        if previous is not None and number - previous > 1:
            links.append(None)
        links.append(number)
    return links
