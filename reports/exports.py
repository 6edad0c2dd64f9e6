"""A diagnostic's results as JSON, CSV and Excel files.

JSON carries the summary (``reports.aggregate``) with small groups suppressed exactly as
the report shows them; its shape is documented in docs/reports.md and kept stable.

Every function takes the ``summary`` (or ``rows``) to export: the views and the command
pass a release's frozen figures (``reports.releases``), so exports obey the same rules as
the pages; without them the live figures are computed (tests, benchmarks). A release's
files say which release they are (JSON ``release``, a ``release`` column, the note row).

CSV and Excel come in two kinds. For facilitators, the ratings themselves, one row per
rating, not suppressed, with a sector or role only where that group of the system has at
least k respondents. For steering members, the summary by system, pre-condition,
sector and role, suppressed exactly as the report pages are (``export_summary_*``).
Respondents' names and organisations appear only when ``include_names=True`` is asked
for explicitly (the views and the command allow it only in the attributed mode);
e-mail addresses never do. Every text cell is neutralised against formula injection
(``safe_cell``, from ``preconditions.csvsafe``), because evidence is free text typed by
respondents.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from actions.exports import actions_for_json
from preconditions.csvsafe import csv_writer, safe_cell
from surveys.models import Diagnostic, Rating, Response

from .aggregate import (
    ROLES,
    SCALE,
    SECTORS,
    DiagnosticSummary,
    Stats,
    SystemSummary,
    diagnostic_summary,
)

if TYPE_CHECKING:
    from .narrative import SystemFindings

RATING_COLUMNS = (
    "system",
    "precondition",
    "precondition_title",
    "sector",
    "role",
    "score",
    "dont_know",
    "evidence",
)
NAME_COLUMNS = ("respondent", "organisation")
SUMMARY_COLUMNS = (
    "system",
    "code",
    "title",
    "n",
    "dont_know",
    "mean",
    "median",
    "sd",
    "q1",
    "q3",
    "min",
    "max",
    *(f"count_{point}" for point in SCALE),
)
CSV_CHUNK_SIZE = 2000


# --- JSON ----------------------------------------------------------------------------


def system_findings(system: SystemSummary, *, min_group_size: int | None) -> SystemFindings:
    """The narrative's findings for one system (k = ``min_group_size``: only pre-conditions
    rated by at least k people are named the strongest or weakest).

    Imported when called, and looked up through this module-level name, so the exports do
    not depend on ``reports.narrative`` at import time and tests can substitute it.
    """
    from reports import narrative

    return narrative.system_findings(system, min_group_size=min_group_size)


def release_json(summary: DiagnosticSummary) -> dict | None:
    if summary.release is None:
        return None
    stamp = summary.release
    return {
        "number": stamp.number,
        "kind": stamp.kind,
        "published_at": stamp.published_at.isoformat(),
        "respondents": stamp.respondents,
        "hidden_by_rule": list(summary.hidden_by_rule),
    }


def release_text(summary: DiagnosticSummary | None) -> str:
    """How a file names its figures: the release's label, or live figures."""
    if summary is None or summary.release is None:
        return "Live figures, not released"
    return summary.release.label


def export_json(diagnostic: Diagnostic, summary: DiagnosticSummary | None = None) -> dict:
    """The summary as plain data in the documented shape (docs/reports.md, "JSON export").

    Suppressed breakdowns are None (``null``); a suppressed system keeps its keys with
    every number None, so consumers never need to check which keys exist. ``release``
    is None for live figures.
    """
    if summary is None:
        summary = diagnostic_summary(diagnostic, include_evidence=False)
    actions = actions_for_json(diagnostic, today=timezone.localdate())
    return {
        "diagnostic": summary.slug,
        "min_group_size": summary.min_group_size,
        "release": release_json(summary),
        "previous_round": summary.previous_title,
        "systems": [
            _system_json(system, summary.min_group_size, actions.get(system.slug, []))
            for system in summary.systems
        ],
    }


def _system_json(system: SystemSummary, min_group_size: int, actions: list[dict]) -> dict:
    """One system; ``actions`` is its list from ``actions.exports.actions_for_json`` (the
    plan as it stands when exported: actions are not part of a release)."""
    findings = system_findings(system, min_group_size=min_group_size)
    return {
        "name": system.name,
        "slug": system.slug,
        "respondents": system.respondents,
        "preconditions": [
            {
                "code": p.code,
                "title": p.title,
                **_overall_json(p.overall),
                "by_sector": {sector: _sector_json(p.by_sector.get(sector)) for sector in SECTORS},
            }
            for p in system.preconditions
        ],
        "strengths": list(findings.strengths),
        "gaps": list(findings.gaps),
        "contested": list(findings.contested),
        "low_visibility": list(findings.low_visibility),
        "narrative": list(findings.paragraphs),
        "actions": actions,
    }


def _overall_json(stats: Stats | None) -> dict:
    if stats is None:
        return {
            **dict.fromkeys(("n", "dont_know", "mean", "median", "sd", "q1", "q3")),
            "counts": {str(point): None for point in SCALE},
        }
    return {
        "n": stats.n,
        "dont_know": stats.dont_know,
        "mean": stats.mean,
        "median": stats.median,
        "sd": stats.sd,
        "q1": stats.q1,
        "q3": stats.q3,
        "counts": {str(point): stats.counts.get(point, 0) for point in SCALE},
    }


def _sector_json(stats: Stats | None) -> dict | None:
    if stats is None:
        return None
    return {"n": stats.n, "mean": stats.mean, "median": stats.median}


# --- the ratings, row by row (CSV and Excel) -----------------------------------------


def _rating_values(diagnostic: Diagnostic, *, include_names: bool) -> Iterator[tuple]:
    """Every answered rating of the submitted responses, typed (score an int or None,
    dont_know a bool), streamed from the database in chunks so memory stays flat.

    Without names, a sector or role is left empty where that group of the system has
    fewer than k respondents (one more query, counting them); with names (the attributed
    mode's names export) they are all there, since the name says more."""
    big_sectors: set[tuple[str, str]] = set()
    big_roles: set[tuple[str, str]] = set()
    if not include_names:
        big_sectors, big_roles = _label_groups(diagnostic)
    fields = [
        "response__system__name",
        "precondition__code",
        "precondition__title",
        "response__sector",
        "response__role",
        "score",
        "dont_know",
        "evidence",
    ]
    if include_names:
        fields += [
            "response__invitation__name",
            "response__respondent_label",
            "response__organisation__name",
        ]
    queryset = (
        Rating.objects.filter(
            response__diagnostic=diagnostic, response__status=Response.Status.SUBMITTED
        )
        # The same ratings the summary counts: an evidence-only draft is not a rating.
        .filter(Q(score__isnull=False) | Q(dont_know=True))
        .order_by("response__system__name", "response_id", "precondition__order")
        .values_list(*fields)
    )
    for row in queryset.iterator(chunk_size=CSV_CHUNK_SIZE):
        if include_names:
            # Online responses are named by their invitation, imported ones by their label.
            *rating, invitation_name, label, organisation = row
            yield (*rating, invitation_name or label, organisation)
        else:
            system, code, title, sector, role, *rest = row
            yield (
                system,
                code,
                title,
                sector if (system, sector) in big_sectors else "",
                role if (system, role) in big_roles else "",
                *rest,
            )


def _label_groups(diagnostic: Diagnostic) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """The (system name, sector) and (system name, role) groups with at least k
    submitted respondents: one query."""
    k = diagnostic.min_group_size
    big_sectors: set[tuple[str, str]] = set()
    big_roles: set[tuple[str, str]] = set()
    counts: dict[tuple[str, str, str], int] = {}
    for system, sector, role in Response.objects.filter(
        diagnostic=diagnostic, status=Response.Status.SUBMITTED
    ).values_list("system__name", "sector", "role"):
        counts[("s", system, sector)] = counts.get(("s", system, sector), 0) + 1
        counts[("r", system, role)] = counts.get(("r", system, role), 0) + 1
    for (kind, system, group), n in counts.items():
        if n >= k and group:
            (big_sectors if kind == "s" else big_roles).add((system, group))
    return big_sectors, big_roles


def _values(
    diagnostic: Diagnostic, *, include_names: bool, rows: Iterable[Sequence] | None
) -> Iterable[Sequence]:
    return _rating_values(diagnostic, include_names=include_names) if rows is None else rows


def _header(include_names: bool, release: str | None = None) -> list[str]:
    return [
        *RATING_COLUMNS,
        *(NAME_COLUMNS if include_names else ()),
        *(("release",) if release else ()),
    ]


def export_csv_rows(
    diagnostic: Diagnostic,
    *,
    include_names: bool = False,
    rows: Iterable[Sequence] | None = None,
    release: str | None = None,
) -> Iterator[list[str]]:
    """The header, then one row per rating. Score is empty for "don't know"; dont_know is
    "true" or "false" (which pandas and most tools read as booleans). ``rows`` are a
    release's (``Release.rows``), else the live ratings are read; ``release`` (its label)
    adds a last column naming it on every row."""
    yield _header(include_names, release)
    for values in _values(diagnostic, include_names=include_names, rows=rows):
        system, code, title, sector, role, score, dont_know, evidence, *names = values
        yield [
            safe_cell(system),
            safe_cell(code),
            safe_cell(title),
            safe_cell(sector),
            safe_cell(role),
            "" if score is None else str(score),
            "true" if dont_know else "false",
            safe_cell(evidence),
            *(safe_cell(name or "") for name in names),
            *((safe_cell(release),) if release else ()),
        ]


class _Echo:
    """A file-like object whose write() hands the text back, so csv.writer can produce one
    line at a time for a streaming response (the pattern in Django's documentation)."""

    def write(self, value: str) -> str:
        return value


def csv_streaming_response(rows: Iterable[Sequence[Any]], filename: str) -> StreamingHttpResponse:
    """Stream ``rows`` as a CSV download, UTF-8 with a byte-order mark so Excel does not
    mistake the encoding. Cells are written as given: neutralise them first (the rows of
    ``export_csv_rows`` already are; ``csv_writer`` then checks inside the text)."""
    writer = csv_writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


# --- Excel ---------------------------------------------------------------------------


def _xlsx_text(value: Any) -> Any:
    """A text cell Excel accepts and will not run: control characters that the file
    format forbids removed, then formula prefixes neutralised."""
    if isinstance(value, str):
        return safe_cell(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def export_xlsx(
    diagnostic: Diagnostic,
    *,
    include_names: bool = False,
    rows: Iterable[Sequence] | None = None,
    summary: DiagnosticSummary | None = None,
) -> bytes:
    """A workbook with a "Ratings" sheet (the CSV's rows, scores as numbers and dont_know
    as booleans) and a "Summary" sheet (overall statistics per system and pre-condition;
    a note on its first row, the header on its second).

    Built with a write-only workbook, which streams rows to a temporary file rather than
    holding every cell in memory.
    """
    workbook = Workbook(write_only=True)
    release = None if summary is None or summary.release is None else summary.release.label
    ratings = workbook.create_sheet("Ratings")
    ratings.append(_header(include_names, release))
    for values in _values(diagnostic, include_names=include_names, rows=rows):
        ratings.append(
            [_xlsx_text(value) for value in values] + ([_xlsx_text(release)] if release else [])
        )

    summary_sheet = workbook.create_sheet("Summary")
    if summary is None:
        summary = diagnostic_summary(diagnostic, include_evidence=False)
    summary_sheet.append(
        [
            f"{release_text(summary)}. Systems and breakdowns with fewer than "
            f"{summary.min_group_size} respondents are hidden: their numbers are left empty "
            "(see docs/reports.md)."
        ]
    )
    summary_sheet.append(list(SUMMARY_COLUMNS))
    for system in summary.systems:
        for p in system.preconditions:
            summary_sheet.append(
                [_xlsx_text(system.name), p.code, _xlsx_text(p.title), *_summary_numbers(p.overall)]
            )

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _summary_numbers(stats: Stats | None) -> list[int | float | None]:
    """The numeric cells of a Summary row; all empty for a suppressed system."""
    if stats is None:
        return [None] * (len(SUMMARY_COLUMNS) - 3)
    return [
        stats.n,
        stats.dont_know,
        stats.mean,
        stats.median,
        stats.sd,
        stats.q1,
        stats.q3,
        stats.min,
        stats.max,
        *(stats.counts.get(point, 0) for point in SCALE),
    ]


# --- the suppressed summary, for steering members ---------------------------------------

BREAKDOWN_COLUMNS = ("system", "code", "title", "breakdown", "group", *SUMMARY_COLUMNS[3:])


def _breakdown_rows(summary: DiagnosticSummary) -> Iterator[list[Any]]:
    """One row per system, pre-condition and group (all respondents, each sector, each
    role), with the numbers of a hidden group left empty: the same suppression as the
    report pages, so these files are safe to give the steering group."""
    for system in summary.systems:
        for p in system.preconditions:
            yield [system.name, p.code, p.title, "all", "all", *_summary_numbers(p.overall)]
            for sector in SECTORS:
                numbers = _summary_numbers(p.by_sector.get(sector))
                yield [system.name, p.code, p.title, "sector", sector, *numbers]
            for role in ROLES:
                numbers = _summary_numbers(p.by_role.get(role))
                yield [system.name, p.code, p.title, "role", role, *numbers]


def export_summary_csv_rows(
    diagnostic: Diagnostic, summary: DiagnosticSummary | None = None
) -> Iterator[list[Any]]:
    """The breakdown rows; a release's have a last ``release`` column naming it."""
    if summary is None:
        summary = diagnostic_summary(diagnostic, include_evidence=False)
    release = None if summary.release is None else summary.release.label
    yield [*BREAKDOWN_COLUMNS, *(("release",) if release else ())]
    for row in _breakdown_rows(summary):
        yield [safe_cell(value) for value in (*row, *((release,) if release else ()))]


# --- the board's sheet (the first of the summary workbook) ---------------------------

BOARD_SHEET = "Board summary"
BOARD_COLUMNS = ("Pre-condition", "Median", "Spread (middle half)", "Responses")


def _bold(sheet, value: Any, *, size: int | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=_xlsx_text(value))
    cell.font = Font(bold=True, size=size) if size else Font(bold=True)
    return cell


def _figure(value: float | None) -> float | int | None:
    """4.0 -> 4 (a whole median reads as one), None stays empty."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(float(value), 1)


def _spread(stats: Stats) -> str:
    if stats.q1 is None or stats.q3 is None:
        return ""
    return f"{_figure(stats.q1)} to {_figure(stats.q3)}"


def _board_sheet(workbook: Workbook, summary: DiagnosticSummary, *, evidence: bool) -> None:
    """A sheet a board can read: per system, each pre-condition's median, the middle half
    of its ratings and how many rated it, under plain headings, what stands out in words
    (the board paper's lines, ``reports.board_paper``), and notes below. The analyst's
    sheets follow it."""
    from reports import board_paper, narrative

    sheet = workbook.create_sheet(BOARD_SHEET)
    for column, width in zip("ABCD", (58, 10, 22, 12), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.append([_bold(sheet, f"{summary.title}, {summary.place}", size=14)])
    sheet.append([_xlsx_text(release_text(summary))])
    for system in summary.systems:
        sheet.append([])
        people = "person" if system.respondents == 1 else "people"
        sheet.append([_bold(sheet, f"{system.name} ({system.respondents} {people} responded)")])
        if system.suppressed:
            sheet.append(
                [f"Not shown: fewer than {summary.min_group_size} people responded about it."]
            )
            continue
        sheet.append([_bold(sheet, heading) for heading in BOARD_COLUMNS])
        for p in system.preconditions:
            stats = p.overall
            if stats is None or stats.median is None:
                sheet.append([_xlsx_text(f"{p.code}. {p.title}"), None, "", 0])
                continue
            sheet.append(
                [_xlsx_text(f"{p.code}. {p.title}"), _figure(stats.median), _spread(stats), stats.n]
            )
        findings = narrative.system_findings(system, min_group_size=summary.min_group_size)
        for point in board_paper.system_points(system, findings):
            sheet.append([_xlsx_text(point)])
    sheet.append([])
    sheet.append([_bold(sheet, "Notes")])
    notes = [
        "Ratings run from 1 (absent) to 5 (embedded); people could also say they did not know.",
        "Median: the middle rating when everyone's ratings are put in order.",
        "Spread (middle half): the range holding the middle half of the ratings; a wide "
        "spread means people see it differently.",
        "Responses: how many people gave a rating; those who said they did not know are "
        "not counted.",
        "The nine pre-conditions are a profile, not a checklist: nothing here is added up.",
        f"To protect anonymity, any group of fewer than {summary.min_group_size} people is hidden.",
        'The other sheets are for analysts: "Summary" has every figure by sector and role'
        + ('; "Evidence" what people said.' if evidence else "."),
    ]
    for note in notes:
        sheet.append([note])


def export_summary_xlsx(
    diagnostic: Diagnostic, *, include_evidence: bool, summary: DiagnosticSummary | None = None
) -> bytes:
    """A "Board summary" sheet a board can read (``_board_sheet``), then the analyst's
    "Summary" sheet (the breakdown rows, a note on the first row) and, when the round
    shares evidence with the steering group, an "Evidence" sheet of unattributed excerpts.
    ``summary`` must hold evidence when ``include_evidence`` is True."""
    if summary is None:
        summary = diagnostic_summary(diagnostic, include_evidence=include_evidence)
    workbook = Workbook(write_only=True)
    _board_sheet(workbook, summary, evidence=include_evidence)
    sheet = workbook.create_sheet("Summary")
    sheet.append(
        [
            f"{release_text(summary)}. Groups with fewer than {summary.min_group_size} "
            "respondents, or with nobody, have their numbers left empty (see docs/reports.md)."
        ]
    )
    sheet.append(list(BREAKDOWN_COLUMNS))
    for row in _breakdown_rows(summary):
        sheet.append([_xlsx_text(value) for value in row])
    if include_evidence:
        evidence_sheet = workbook.create_sheet("Evidence")
        evidence_sheet.append(["system", "code", "title", "evidence"])
        for system in summary.systems:
            for p in system.preconditions:
                for text in p.evidence:
                    evidence_sheet.append(
                        [_xlsx_text(system.name), p.code, _xlsx_text(p.title), _xlsx_text(text)]
                    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
