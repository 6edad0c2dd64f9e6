"""Report pages for facilitators and steering members: the narrative report, one system
in depth, the PDF board paper and the exports.

Views are thin: which figures a reader sees comes from ``reports.releases`` (a release,
or live figures for facilitators of an attributed round), statistics from
``reports.aggregate``, words from ``reports.narrative``, figures from ``reports.charts``
and ``reports.svg``. Every view reaches the diagnostic through ``diagnostic_for_reader``
(404 for anyone else) and is never cached, since reports can hold evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from surveys import confidentiality
from surveys.access import diagnostic_for_facilitator, diagnostic_for_reader
from surveys.models import Diagnostic
from surveys.progress import workshop_response_count

from . import actionplan, board_paper, exports, participation, reading, releases
from . import evidence as evidence_pages
from .aggregate import (
    ROLES,
    SCALE,
    SECTORS,
    DiagnosticSummary,
    PreconditionSummary,
    SystemSummary,
)
from .charts import (
    SCALE_LABELS,
    SECTOR_NAMES,
    Comparison,
    comparison,
    distribution_description,
    distribution_figure,
    radar_description,
    radar_figure,
)
from .models import Release
from .narrative import ROLE_PHRASES, diagnostic_narrative, system_findings
from .svg import dot_plot_svg, radar_svg

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- shared --------------------------------------------------------------------------


def _may_see_evidence(diagnostic: Diagnostic) -> bool:
    """Evidence appears in reports only when the round promised "unattributed" evidence to
    the steering group; with "ratings only" it stays with facilitators, outside reports."""
    return confidentiality.steering_sees_evidence(diagnostic)


def _reader_view(
    request: HttpRequest, diagnostic: Diagnostic, is_facilitator: bool, *, evidence: bool = True
) -> releases.ReaderView:
    """The figures this reader may see (``?release=N`` for an earlier release, and
    ``?release=live`` for live figures where allowed): see ``reports.releases``."""
    return releases.reader_view(
        diagnostic,
        user=request.user,
        is_facilitator=is_facilitator,
        requested=request.GET.get("release"),
        include_evidence=evidence and _may_see_evidence(diagnostic),
    )


def _not_released(
    request: HttpRequest, diagnostic: Diagnostic, is_facilitator: bool, *, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "reports/not_released.html",
        {"diagnostic": diagnostic, "is_facilitator": is_facilitator},
        status=status,
    )


def _release_context(view: releases.ReaderView, is_facilitator: bool) -> dict:
    return {
        "reader": view,
        "release_param": view.param,
        "can_publish": is_facilitator,
    }


@dataclass(frozen=True)
class Chart:
    """A figure with everything the page shows around it."""

    id: str  # the id of its json_script; the chart's div gets the same id plus "-plot"
    title: str
    figure: dict
    description: str


@dataclass(frozen=True)
class Panel:
    """One view of the chart switcher."""

    key: str  # "systems", "sectors:<slug>" or "rounds:<slug>"
    comparison: Comparison
    chart_id: str
    visible: bool


RADAR_SUBTITLE = "Median and middle half of ratings, from 1 (absent) to 5 (embedded)"


def _radar(system: SystemSummary) -> Chart:
    return Chart(
        id=f"chart-radar-{system.slug}",
        title=f"Profile of {system.name}",
        figure=radar_figure(system, RADAR_SUBTITLE),
        description=radar_description(system),
    )


def _switcher(
    request: HttpRequest, summary: DiagnosticSummary
) -> tuple[str, str | None, list[Panel]]:
    """The chart switcher's choice (from the query string) and every panel it can show.

    All panels are on the page, so with JavaScript the switch happens at once; without
    it the GET form reloads the page and the server shows the chosen panel.
    """
    shown = [s for s in summary.systems if not s.suppressed]
    kinds = ["systems", "sectors"] + (["rounds"] if summary.previous_title else [])
    view = request.GET.get("view", "systems")
    view = view if view in kinds else "systems"
    slugs = [s.slug for s in shown]
    chosen = request.GET.get("system")
    chosen = chosen if chosen in slugs else (slugs[0] if slugs else None)
    if chosen is None:  # every system hidden: only the systems panel has anything to say
        view = "systems"

    panels = [
        Panel(
            key="systems",
            comparison=comparison("systems", summary),
            chart_id="chart-compare-systems",
            visible=view == "systems",
        )
    ]
    for kind in kinds[1:]:
        for system in shown:
            panels.append(
                Panel(
                    key=f"{kind}:{system.slug}",
                    comparison=comparison(kind, summary, system),
                    chart_id=f"chart-compare-{kind}-{system.slug}",
                    visible=view == kind and chosen == system.slug,
                )
            )
    return view, chosen, panels


# --- pages ---------------------------------------------------------------------------


@login_required
@never_cache
def report_index(request: HttpRequest) -> HttpResponse:
    return render(
        request, "reports/index.html", {"diagnostics": reading.rounds_for_reader(request.user)}
    )


@login_required
@never_cache
def diagnostic_report(request: HttpRequest, slug: str) -> HttpResponse:
    diagnostic, is_facilitator = diagnostic_for_reader(request, slug)
    reader = _reader_view(request, diagnostic, is_facilitator)
    if reader.summary is None:
        return _not_released(request, diagnostic, is_facilitator)
    summary = reader.summary
    narrative = diagnostic_narrative(summary, reading.preconditions_by_code(diagnostic))
    view, chosen, panels = _switcher(request, summary)
    sections = [
        {
            "system": system,
            "story": story,
            "radar": None if system.suppressed else _radar(system),
            "evidence": evidence_pages.evidence_previews(system),
        }
        for system, story in zip(summary.systems, narrative.systems, strict=True)
    ]
    return render(
        request,
        "reports/diagnostic.html",
        {
            "diagnostic": diagnostic,
            "is_facilitator": is_facilitator,
            "summary": summary,
            "narrative": narrative,
            "sections": sections,
            "shown_systems": [s for s in summary.systems if not s.suppressed],
            "chart_view": view,
            "chart_system": chosen,
            "panels": panels,
            "show_evidence": _may_see_evidence(diagnostic),
            "report_actions": actionplan.report_actions(
                diagnostic, is_facilitator=is_facilitator, reader=reader, narrative=narrative
            ),
            "workshop_responses": workshop_response_count(
                diagnostic,
                submitted_by=summary.release.published_at if summary.release else None,
            ),
            **_release_context(reader, is_facilitator),
        },
    )


def _breakdown(system: SystemSummary, attribute: str, columns: dict[str, str]) -> dict:
    """A by-sector or by-role table: one row per pre-condition, one cell per column
    (None where the group is hidden)."""
    return {
        "columns": list(columns.values()),
        "rows": [
            {"precondition": p, "cells": [getattr(p, attribute).get(key) for key in columns]}
            for p in system.preconditions
        ],
    }


def _counts(p: PreconditionSummary) -> list[dict]:
    if p.overall is None:
        return []
    return [
        *(
            {"label": f"{point} {SCALE_LABELS[point]}", "count": p.overall.counts.get(point, 0)}
            for point in SCALE
        ),
        {"label": "Don't know", "count": p.overall.dont_know},
    ]


def _sector_columns(system: SystemSummary) -> dict[str, str]:
    """Sectors anyone responded from (a hidden count is None, so it stays in)."""
    return {
        sector: SECTOR_NAMES[sector]
        for sector in SECTORS
        if system.respondents_by_sector.get(sector) != 0
    }


def _role_columns(system: SystemSummary) -> dict[str, str]:
    """Roles with at least one figure shown: the summary does not say whether a role with
    none is empty or too small, so the page leaves it out and says so."""
    return {
        role: ROLE_PHRASES[role][0].upper() + ROLE_PHRASES[role][1:]
        for role in ROLES
        if any(p.by_role.get(role) is not None for p in system.preconditions)
    }


@login_required
@never_cache
def system_report(request: HttpRequest, slug: str, system_slug: str) -> HttpResponse:
    diagnostic, is_facilitator = diagnostic_for_reader(request, slug)
    reader = _reader_view(request, diagnostic, is_facilitator)
    if reader.summary is None:
        return _not_released(request, diagnostic, is_facilitator)
    summary = reader.summary
    system = next((s for s in summary.systems if s.slug == system_slug), None)
    if system is None:
        raise Http404("No such system in this diagnostic")
    findings = system_findings(system, min_group_size=summary.min_group_size)
    report_actions = actionplan.report_actions(
        diagnostic,
        is_facilitator=is_facilitator,
        reader=reader,
        narrative=diagnostic_narrative(summary, reading.preconditions_by_code(diagnostic)),
    )
    distributions = [
        {
            "precondition": p,
            "chart": Chart(
                id=f"chart-distribution-{p.code}",
                title=f"{p.code}. {p.title}",
                figure=distribution_figure(p),
                description=distribution_description(p),
            ),
            "counts": _counts(p),
            "evidence": preview,
        }
        for p, preview in zip(
            system.preconditions,
            evidence_pages.evidence_previews(system, include_empty=True),
            strict=True,
        )
    ]
    return render(
        request,
        "reports/system.html",
        {
            "diagnostic": diagnostic,
            "is_facilitator": is_facilitator,
            "summary": summary,
            "system": system,
            "findings": findings,
            "radar": None if system.suppressed else _radar(system),
            "distributions": distributions,
            "by_sector": _breakdown(system, "by_sector", _sector_columns(system)),
            "by_role": _breakdown(system, "by_role", _role_columns(system)),
            "show_evidence": _may_see_evidence(diagnostic),
            "report_excerpts": evidence_pages.REPORT_EXCERPTS,
            "has_evidence": any(p.evidence for p in system.preconditions),
            "report_actions": report_actions,
            "review_system": report_actions.review.for_system(system.slug)
            if report_actions.review
            else None,
            **_release_context(reader, is_facilitator),
        },
    )


@login_required
@never_cache
def system_evidence(request: HttpRequest, slug: str, system_slug: str) -> HttpResponse:
    """Every excerpt of one system, paginated and searchable (``?code=``, ``?q=``,
    ``?page=``): the report pages show only the first few. The same summary the report
    shows, so it obeys releases and suppression; only where the round shares evidence."""
    diagnostic, is_facilitator = diagnostic_for_reader(request, slug)
    if not _may_see_evidence(diagnostic):
        raise Http404("This round does not share evidence in its reports")
    reader = _reader_view(request, diagnostic, is_facilitator)
    if reader.summary is None:
        return _not_released(request, diagnostic, is_facilitator)
    summary = reader.summary
    system = next((s for s in summary.systems if s.slug == system_slug), None)
    if system is None:
        raise Http404("No such system in this diagnostic")
    query = evidence_pages.clean_query(request.GET.get("q"))
    result = evidence_pages.evidence_page(
        system, code=request.GET.get("code"), query=query, page_number=request.GET.get("page")
    )
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "reports/system_evidence.html",
        {
            "diagnostic": diagnostic,
            "is_facilitator": is_facilitator,
            "summary": summary,
            "system": system,
            "result": result,
            "page": result.page,
            "page_links": evidence_pages.page_links(result.page),
            "query_string": params.urlencode(),
            **_release_context(reader, is_facilitator),
        },
    )


# --- the PDF -------------------------------------------------------------------------


def _pdf_evidence(system: SystemSummary) -> list[evidence_pages.EvidencePreview]:
    """A board paper quotes as many excerpts per pre-condition as the web report shows;
    the online evidence page has them all."""
    return evidence_pages.evidence_previews(system)


def _pdf_of(html: str) -> bytes:
    """The PDF of ``html``, built from the string alone: the fetcher refuses every URL."""
    # Imported here, not at the top: WeasyPrint (cffi, fonts) adds about 0.7 s to the start
    # of every process that loads the URLs (each worker, each manage.py command), and only
    # this view uses it.
    import weasyprint
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols=())
    return weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()


@login_required
@never_cache
def report_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    diagnostic, is_facilitator = diagnostic_for_reader(request, slug)
    reader = _reader_view(request, diagnostic, is_facilitator)
    if reader.summary is None:
        return _not_released(request, diagnostic, is_facilitator, status=404)
    summary = reader.summary
    narrative = diagnostic_narrative(summary, reading.preconditions_by_code(diagnostic))
    sections = [
        {
            "system": system,
            "story": story,
            # radar_svg escapes every piece of text it draws.
            "svg": None if system.suppressed else mark_safe(radar_svg(system)),
            "evidence": _pdf_evidence(system),
            "breakdown_tables": [
                (_breakdown(system, "by_sector", _sector_columns(system)), "By sector"),
                (_breakdown(system, "by_role", _role_columns(system)), "By role"),
            ],
        }
        for system, story in zip(summary.systems, narrative.systems, strict=True)
    ]
    systems_table = comparison("systems", summary)
    who_took_part = participation.participation(diagnostic, reader.release)
    html = render_to_string(
        "reports/pdf.html",
        {
            "diagnostic": diagnostic,
            "summary": summary,
            "narrative": narrative,
            "sections": sections,
            "systems_table": systems_table,
            # dot_plot_svg escapes every piece of text it draws.
            "systems_svg": mark_safe(dot_plot_svg(systems_table)) if systems_table.series else None,
            "show_evidence": _may_see_evidence(diagnostic),
            "headlines": board_paper.headlines(summary, narrative),
            "page_mark": board_paper.page_mark(diagnostic, summary),
            "participation": who_took_part,
            "participation_tables": who_took_part.tables(),
            "paper_actions": actionplan.paper_actions(diagnostic, today=timezone.localdate()),
            "review": actionplan.review_for_reader(diagnostic, reader),
        },
        request=request,
    )
    pdf = _pdf_of(html)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        True, f"{diagnostic.slug}-{_file_stem(reader)}report.pdf"
    )
    return response


def _file_stem(reader: releases.ReaderView) -> str:
    """``interim-2-``, ``final-3-`` or ``live-``: which figures a file holds."""
    if reader.release is None:
        return "live-"
    return f"{reader.release.kind}-{reader.release.number}-"


# --- exports -------------------------------------------------------------------------


@login_required
@never_cache
def report_export(
    request: HttpRequest, slug: str, fmt: str
) -> HttpResponse | StreamingHttpResponse:
    """JSON: the suppressed summary, for every reader. CSV and Excel: for steering members
    the suppressed summary by sector and role; for facilitators the ratings row by row
    (or the summary with ``?kind=summary``). All from the release the reader sees (live
    only for facilitators of an attributed round). Row by row, a sector or role is named
    only for groups of at least k; names only in the attributed mode, from live figures,
    for a facilitator who asks with ``?include_names=1``."""
    diagnostic, is_facilitator = diagnostic_for_reader(request, slug)
    row_by_row = is_facilitator and request.GET.get("kind") != "summary"
    include_names = row_by_row and request.GET.get("include_names") == "1"
    evidence = fmt == "xlsx" and not row_by_row
    reader = _reader_view(request, diagnostic, is_facilitator, evidence=evidence)
    if include_names and not reader.live:
        raise Http404("Names are exported only in the attributed mode, from live figures")
    if reader.summary is None:
        return _not_released(request, diagnostic, is_facilitator, status=404)
    summary = reader.summary
    kind = "ratings" if row_by_row else "summary"
    stem = _file_stem(reader)
    filename = f"{diagnostic.slug}-{stem}{'results' if fmt == 'json' else kind}.{fmt}"
    rows = None
    if row_by_row and reader.release is not None:
        rows = releases.release_rows(reader.release)
    label = None if summary.release is None else summary.release.label
    if fmt == "json":
        response: HttpResponse | StreamingHttpResponse = JsonResponse(
            exports.export_json(diagnostic, summary), json_dumps_params={"ensure_ascii": False}
        )
        response["Content-Disposition"] = content_disposition_header(True, filename)
    elif fmt == "csv":
        csv_rows = (
            exports.export_csv_rows(
                diagnostic, include_names=include_names, rows=rows, release=label
            )
            if row_by_row
            else exports.export_summary_csv_rows(diagnostic, summary)
        )
        response = exports.csv_streaming_response(csv_rows, filename)
    elif fmt == "xlsx":
        content = (
            exports.export_xlsx(diagnostic, include_names=include_names, rows=rows, summary=summary)
            if row_by_row
            else exports.export_summary_xlsx(
                diagnostic, include_evidence=_may_see_evidence(diagnostic), summary=summary
            )
        )
        response = HttpResponse(content, content_type=XLSX_TYPE)
        response["Content-Disposition"] = content_disposition_header(True, filename)
    else:  # the URL converter only lets the three formats through
        raise Http404("No such format")
    reading.export_record(
        diagnostic=diagnostic,
        actor=request.user,
        file_format=fmt,
        kind=kind if fmt != "json" else "summary",
        include_names=include_names,
        release=reader.param,
    )
    return response


# --- releases and the raw evidence (facilitators) -------------------------------------


@login_required
@require_POST
def release_publish(request: HttpRequest, slug: str) -> HttpResponse:
    """Publish an interim release, or say why the differencing rule refuses it."""
    diagnostic = diagnostic_for_facilitator(request, slug)
    try:
        release = releases.release_publish(
            diagnostic=diagnostic, kind=Release.Kind.INTERIM, actor=request.user
        )
    except releases.ReleaseRefused as refused:
        messages.error(request, "The interim release was not published. " + str(refused))
        return redirect(reverse("reports:diagnostic", args=[diagnostic.slug]) + "#releases")
    messages.success(request, f"Published: {release.label}.")
    return redirect(
        reverse("reports:diagnostic", args=[diagnostic.slug]) + f"?release={release.number}"
    )


@login_required
@never_cache
def raw_evidence(request: HttpRequest, slug: str) -> HttpResponse:
    """Every example partners gave for one system, for facilitators preparing a workshop:
    from the release in the anonymous mode, with a sector or role only for groups of at
    least k, never a name. Every reading is audited."""
    diagnostic = diagnostic_for_facilitator(request, slug)
    reader = releases.reader_view(
        diagnostic,
        user=request.user,
        is_facilitator=True,
        requested=request.GET.get("release"),
        include_evidence=False,
        compare=False,
    )
    systems = reading.systems_by_name(diagnostic)
    system = next((s for s in systems if s.slug == request.GET.get("system")), None)
    rows: list[dict] = []
    if system is not None and (reader.live or reader.release is not None):
        rows = reading.raw_evidence_read(
            diagnostic=diagnostic, reader=reader, system=system, actor=request.user
        )
    return render(
        request,
        "reports/evidence.html",
        {
            "diagnostic": diagnostic,
            "systems": systems,
            "system": system,
            "rows": rows,
            "is_facilitator": True,
            **_release_context(reader, True),
        },
    )
