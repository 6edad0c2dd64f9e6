"""Plotly figures for the report pages, as plain dicts ready for ``json_script``.

Figures are built by hand rather than with ``plotly.graph_objects``: the dicts stay small
(no default template of several kilobytes), hold only Python types, and the page's
``static/reports/charts.js`` passes them straight to ``Plotly.newPlot``. The tests check
them against plotly's own validators.

Plotly renders labels, names and hover text as a subset of HTML, so every piece of text
put into a figure goes through ``plotly_text``. A missing value (a suppressed group, a
pre-condition nobody rated) is ``None``, which plotly draws as a gap — never 0, which
would read as a rating far below "absent".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Real

from .aggregate import SCALE, SECTORS, DiagnosticSummary, PreconditionSummary, Stats, SystemSummary
from .narrative import SECTOR_PHRASES, format_number

RADIAL_RANGE = [1, 5]
SCALE_LABELS = {1: "Absent", 2: "Emerging", 3: "Developing", 4: "Established", 5: "Embedded"}
SECTOR_NAMES = {
    "public": "Public sector",
    "private": "Private sector",
    "voluntary": "Voluntary and community sector",
    "citizen": "Citizens and service users",
}
GROUP_NAMES = {"vision": "Vision (A–D)", "behaviours": "Behaviours (E–I)"}
# Pale backgrounds for the two groups of pre-conditions, and strong line colours that keep
# 3:1 contrast against white and against both backgrounds (WCAG 1.4.11).
GROUP_COLOURS = {"vision": "#d2e2f1", "behaviours": "#e1efdc"}
# The same colours at twice the strength, for plotly, which draws them at half opacity.
GROUP_COLOURS_STRONG = {"vision": "#a5c5e3", "behaviours": "#c3dfb9"}
MEDIAN_COLOUR = "#0b0c0c"
IQR_FILL = "rgba(29, 112, 184, 0.35)"
SERIES_COLOURS = ["#1d70b8", "#d4351c", "#00703c", "#4c2c92", "#b58840", "#d53880", "#28a197"]
DONT_KNOW_COLOUR = "#505a5f"
FONT = {"family": "Arial, sans-serif", "size": 14, "color": "#0b0c0c"}
LABEL_LENGTH = 22
COMPARISON_HEADINGS = {
    "systems": "Median ratings by system",
    "sectors": "Median ratings by sector",
    "rounds": "This round and the previous one",
}


def plotly_text(value: object) -> str:
    """Text made safe for plotly's HTML-like labels: ``&``, ``<`` and ``>`` escaped.

    Plotly decodes these entities again when it draws, so the reader sees the text as
    typed, while a name such as ``<img src=x onerror=...>`` is never parsed as markup.
    """
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain_number(value: object) -> float | int | None:
    """A JSON-friendly number: numpy scalars become Python ones, NaN becomes None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Real):
        number = float(value)
        if math.isnan(number) or math.isinf(number):
            return None
        return int(number) if isinstance(value, int) else number
    return None


def short_label(code: str, title: str, length: int = LABEL_LENGTH, lines: int = 2) -> str:
    """ "A. Beneficiary impact<br>over organisational…": the code and title wrapped at
    words into at most `lines` lines of about `length` characters, escaped."""
    out: list[str] = []
    line = ""
    words = f"{code}. {title}".split()
    for index, word in enumerate(words):
        if line and len(line) + 1 + len(word) > length:
            if len(out) == lines - 1:
                out.append(line.rstrip(" ,.;:&–-") + "…")
                break
            out.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
        if index == len(words) - 1:
            out.append(line)
    return "<br>".join(plotly_text(part) for part in out)


def _theta(preconditions: Sequence[PreconditionSummary]) -> list[str]:
    return [short_label(p.code, p.title) for p in preconditions]


def _closed(values: list) -> list:
    """The first point repeated at the end, so a radar line closes from I back to A."""
    return [*values, values[0]] if values else values


def _field(stats: Stats | None, name: str) -> float | int | None:
    return None if stats is None else plain_number(getattr(stats, name))


def _hover_numbers(stats: Stats | None) -> list[str]:
    if stats is None:
        return ["hidden", "hidden", "hidden", "hidden"]
    return [
        format_number(stats.q1),
        format_number(stats.q3),
        str(stats.n),
        str(stats.dont_know),
    ]


MEDIAN_HOVER = (
    "<b>%{theta}</b><br>Median %{r}<br>Middle half of ratings: %{customdata[0]} to "
    "%{customdata[1]}<br>Ratings: %{customdata[2]}<br>Don't know: %{customdata[3]}"
)


def _polar_layout(title: str | None, preconditions: Sequence[PreconditionSummary]) -> dict:
    """The radar's axes. Without a title the page's own heading names the chart."""
    layout = {
        "font": FONT,
        "paper_bgcolor": "#ffffff",
        "margin": {"t": 110 if title else 60, "r": 120, "b": 20, "l": 120},
        "height": 680,
        "showlegend": True,
        "legend": {"orientation": "h", "y": -0.06, "x": 0.5, "xanchor": "center"},
        "polar": {
            "bgcolor": "#ffffff",
            "bargap": 0,
            "radialaxis": {
                "range": RADIAL_RANGE,
                "autorange": False,
                "tickvals": list(SCALE),
                "ticktext": [str(point) for point in SCALE],
                "angle": 90,
                "tickangle": 90,
                "gridcolor": "#b1b4b6",
                "linecolor": "#505a5f",
            },
            "angularaxis": {
                "type": "category",
                "categoryorder": "array",
                "categoryarray": _theta(preconditions),
                "direction": "clockwise",
                "rotation": 90,
                "gridcolor": "#b1b4b6",
                "linecolor": "#505a5f",
            },
        },
    }
    if title:
        layout["title"] = {
            "text": plotly_text(title),
            "x": 0,
            "xanchor": "left",
            "y": 0.98,
            "yanchor": "top",
        }
    return layout


def _group_background(preconditions: Sequence[PreconditionSummary]) -> list[dict]:
    """Two pale sectors behind the radar: Vision (A–D) and Behaviours (E–I)."""
    traces = []
    for group in ("vision", "behaviours"):
        members = [p for p in preconditions if p.group == group]
        if not members:
            continue
        traces.append(
            {
                "type": "barpolar",
                "name": GROUP_NAMES[group],
                "theta": _theta(members),
                "r": [RADIAL_RANGE[1] - RADIAL_RANGE[0]] * len(members),
                "base": RADIAL_RANGE[0],
                # Translucent, so the rings of the scale show through.
                "marker": {"color": GROUP_COLOURS_STRONG[group], "line": {"width": 0}},
                "opacity": 0.5,
                "hoverinfo": "skip",
                "legendgroup": "groups",
            }
        )
    return traces


def _median_trace(
    name: str,
    preconditions: Sequence[PreconditionSummary],
    stats: Sequence[Stats | None],
    *,
    colour: str,
    width: int = 3,
) -> dict:
    return {
        "type": "scatterpolar",
        "name": plotly_text(name),
        "mode": "lines+markers",
        "theta": _closed(_theta(preconditions)),
        "r": _closed([_field(s, "median") for s in stats]),
        "customdata": _closed([_hover_numbers(s) for s in stats]),
        "hovertemplate": MEDIAN_HOVER,
        "line": {"color": colour, "width": width},
        "marker": {"color": colour, "size": 7},
        "connectgaps": False,
    }


def radar_figure(system: SystemSummary, title: str) -> dict:
    """One system: median per pre-condition, the interquartile band, the two groups."""
    preconditions = system.preconditions
    stats = [None if system.suppressed else p.overall for p in preconditions]
    theta = _theta(preconditions)
    q3 = [_field(s, "q3") for s in stats]
    q1 = [_field(s, "q1") for s in stats]
    band = {
        # One closed outline: along the upper quartiles, back along the lower ones.
        "type": "scatterpolar",
        "name": "Middle half of ratings (interquartile range)",
        "mode": "lines",
        "theta": _closed(theta) + list(reversed(_closed(theta))),
        "r": _closed(q3) + list(reversed(_closed(q1))),
        "fill": "toself",
        "fillcolor": IQR_FILL,
        "line": {"color": "rgba(29, 112, 184, 0.9)", "width": 1},
        "hoverinfo": "skip",
        "connectgaps": False,
    }
    data = [
        *_group_background(preconditions),
        band,
        _median_trace(f"Median: {system.name}", preconditions, stats, colour=MEDIAN_COLOUR),
    ]
    return {"data": data, "layout": _polar_layout(title, preconditions)}


@dataclass(frozen=True)
class Series:
    """One line of a comparison: a system, a sector or a round. ``name`` is raw text."""

    key: str
    name: str
    stats: list[Stats | None]  # in the order of the system's pre-conditions
    hollow: bool = False  # drawn with open markers (the previous round)


# Each series has its own colour and its own marker shape, so no reader depends on colour.
SERIES_SYMBOLS = ["circle", "square", "diamond", "triangle-up", "triangle-down", "pentagon", "star"]
DOT_HOVER = (
    "<b>%{customdata[4]}</b><br>%{customdata[5]}<br>Median %{x}<br>Middle half of ratings: "
    "%{customdata[0]} to %{customdata[1]}<br>Ratings: %{customdata[2]}<br>"
    "Don't know: %{customdata[3]}<extra></extra>"
)
ROW_SPREAD = 0.5  # of the unit height of a pre-condition's row, shared by its series


def series_offsets(count: int) -> list[float]:
    """Where each series sits within a pre-condition's row, centred on the row."""
    if count <= 1:
        return [0.0] * count
    step = ROW_SPREAD / (count - 1)
    return [round((index - (count - 1) / 2) * step, 4) for index in range(count)]


def _gap(high: float | None, low: float | None) -> float | None:
    """``high - low`` for an error bar, or None where either end is hidden."""
    return None if high is None or low is None else round(high - low, 4)


def _overlay(preconditions: Sequence[PreconditionSummary], series: Sequence[Series]) -> dict:
    """A dot plot: a row per pre-condition, and in it a marker per series at its median
    with a bar across its middle half. Medians are mostly whole numbers, so on a shared
    radar the lines lay on each other and a series could vanish; here each series has its
    own place in every row and none can hide another."""
    labels = [short_label(p.code, p.title, length=26) for p in preconditions]
    data: list[dict] = []
    for index, (line, offset) in enumerate(zip(series, series_offsets(len(series)), strict=True)):
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        symbol = SERIES_SYMBOLS[index % len(SERIES_SYMBOLS)]
        medians = [_field(stats, "median") for stats in line.stats]
        above = [_gap(_field(st, "q3"), m) for m, st in zip(medians, line.stats, strict=True)]
        below = [_gap(m, _field(st, "q1")) for m, st in zip(medians, line.stats, strict=True)]
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": plotly_text(line.name),
                "x": medians,
                "y": [row + offset for row in range(len(preconditions))],
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    "array": [0 if v is None else v for v in above],
                    "arrayminus": [0 if v is None else v for v in below],
                    "color": colour,
                    "thickness": 2,
                    "width": 0,
                },
                "marker": {
                    "color": "#ffffff" if line.hollow else colour,
                    "symbol": symbol,
                    "size": 11,
                    "line": {"color": colour, "width": 2},
                },
                "customdata": [
                    [*_hover_numbers(stats), plotly_text(line.name), label]
                    for stats, label in zip(line.stats, labels, strict=True)
                ],
                "hovertemplate": DOT_HOVER,
            }
        )
    row_height = 44 + 8 * max(len(series) - 1, 0)
    return {
        "data": data,
        "layout": {
            "font": FONT,
            "paper_bgcolor": "#ffffff",
            "plot_bgcolor": "#ffffff",
            "height": 90 + row_height * len(preconditions),
            "margin": {"t": 10, "r": 20, "b": 50, "l": 10},
            "showlegend": True,
            "legend": {"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
            # A thin rule between pre-conditions, so each row's markers read as one group.
            "shapes": [
                {
                    "type": "line",
                    "xref": "paper",
                    "x0": 0,
                    "x1": 1,
                    "y0": row + 0.5,
                    "y1": row + 0.5,
                    "line": {"color": "#b1b4b6", "width": 1},
                    "layer": "below",
                }
                for row in range(len(preconditions) - 1)
            ],
            "xaxis": {
                "range": [0.7, 5.3],
                "tickvals": list(SCALE),
                "ticktext": [f"{point} {SCALE_LABELS[point]}" for point in SCALE],
                "title": {"text": "Median, and the middle half of ratings"},
                "gridcolor": "#b1b4b6",
                "zeroline": False,
                "fixedrange": True,
            },
            "yaxis": {
                "tickvals": list(range(len(preconditions))),
                "ticktext": labels,
                "range": [len(preconditions) - 0.5, -0.5],  # A at the top
                "automargin": True,
                "showgrid": False,
                "zeroline": False,
                "fixedrange": True,
            },
        },
    }


def systems_series(summary: DiagnosticSummary) -> list[Series]:
    """Shown (not suppressed) systems, one line each."""
    return [
        Series(key=s.slug, name=s.name, stats=[p.overall for p in s.preconditions])
        for s in summary.systems
        if not s.suppressed
    ]


def sectors_series(system: SystemSummary) -> list[Series]:
    """Sectors with at least one shown figure in this system, one line each."""
    if system.suppressed:
        return []
    series = []
    for sector in SECTORS:
        stats = [p.by_sector.get(sector) for p in system.preconditions]
        if any(s is not None and s.median is not None for s in stats):
            series.append(Series(key=sector, name=SECTOR_NAMES[sector], stats=stats))
    return series


def rounds_series(system: SystemSummary) -> list[Series]:
    """The previous round and this one, where any pre-condition is comparable."""
    if system.suppressed:
        return []
    previous = [p.previous for p in system.preconditions]
    if not any(s is not None and s.median is not None for s in previous):
        return []
    return [
        Series(key="previous", name="Previous round", stats=previous, hollow=True),
        Series(key="current", name="This round", stats=[p.overall for p in system.preconditions]),
    ]


def _reference_preconditions(summary: DiagnosticSummary) -> list[PreconditionSummary]:
    return summary.systems[0].preconditions if summary.systems else []


# The overlays carry no title of their own: the page's heading names them (with the
# system's name as user text), and a second title inside the chart would only repeat it.


def overlay_systems(summary: DiagnosticSummary) -> dict:
    return _overlay(_reference_preconditions(summary), systems_series(summary))


def overlay_sectors(system: SystemSummary) -> dict:
    return _overlay(system.preconditions, sectors_series(system))


def overlay_rounds(system: SystemSummary) -> dict:
    return _overlay(system.preconditions, rounds_series(system))


def distribution_figure(precondition: PreconditionSummary) -> dict:
    """How many people gave each rating, and how many said "don't know"."""
    stats = precondition.overall
    # Horizontal bars: the scale's names ("3 Developing", "4 Established") are read in
    # full on one line each, where under vertical bars they overlapped in a half-width column.
    labels = [f"{point} {SCALE_LABELS[point]}" for point in SCALE] + ["Don't know"]
    counts = (
        [None] * len(labels)
        if stats is None
        else [
            *(stats.counts.get(point, 0) for point in SCALE),
            stats.dont_know,
        ]
    )
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "name": "People",
                "y": labels,
                "x": [plain_number(c) for c in counts],
                "marker": {"color": [SERIES_COLOURS[0]] * len(SCALE) + [DONT_KNOW_COLOUR]},
                "hovertemplate": "%{y}: %{x} people<extra></extra>",
            }
        ],
        # No title: the page's heading names the pre-condition just above the chart.
        "layout": {
            "font": FONT,
            "height": 260,
            "margin": {"t": 10, "r": 20, "b": 50, "l": 20},
            "showlegend": False,
            "yaxis": {
                "type": "category",
                "fixedrange": True,
                "autorange": "reversed",  # 1 Absent at the top, as in the table below
                "automargin": True,
            },
            "xaxis": {
                "title": {"text": "People"},
                "rangemode": "tozero",
                "tickformat": "d",
                "fixedrange": True,
            },
        },
    }


# --- text alternatives ----------------------------------------------------------------


def _label(p: PreconditionSummary) -> str:
    return f"{p.code}. {p.title}"


def _median_tier(which: str, rated: list, median: float) -> str:
    """ "Highest median: B. … (4)." or, on a tie, every code sharing it: a tie is never
    broken by the alphabet."""
    tier = [p for p, stats in rated if stats.median == median]
    if len(tier) == 1:
        return f"{which} median: {_label(tier[0])} ({format_number(median)})."
    names = ", ".join(_label(p) for p in tier[:-1]) + f" and {_label(tier[-1])}"
    return f"{which} median, shared by {names}: {format_number(median)}."


def radar_description(system: SystemSummary) -> str:
    """A short text alternative for a system's radar: highest, lowest, widest spread."""
    if system.suppressed:
        return "No chart: too few people responded about this system to show it safely."
    rated = [
        (p, p.overall)
        for p in system.preconditions
        if p.overall is not None and p.overall.median is not None
    ]
    if not rated:
        return "No chart: nobody gave a rating other than \u201cdon't know\u201d."
    high = max(stats.median or 0 for _, stats in rated)
    low = min(stats.median or 0 for _, stats in rated)
    sentences = [
        "Median ratings of the nine pre-conditions on a scale from 1 (absent) to 5 "
        f"(embedded). {_median_tier('Highest', rated, high)} "
        f"{_median_tier('Lowest', rated, low)}"
    ]
    spreads = [
        (stats.q3 - stats.q1, p, stats)
        for p, stats in rated
        if stats.q1 is not None and stats.q3 is not None
    ]
    if spreads:
        width, widest, stats = min(spreads, key=lambda wps: (-wps[0], wps[1].code))
        if width > 0:
            sentences.append(
                f"Views are most spread on {_label(widest)}: the middle half of ratings runs "
                f"from {format_number(stats.q1)} to {format_number(stats.q3)}."
            )
    return " ".join(sentences)


def distribution_description(precondition: PreconditionSummary) -> str:
    stats = precondition.overall
    if stats is None:
        return "Hidden: too few people responded about this system to show it safely."
    if stats.n == 0:
        return f"Nobody gave a rating; {stats.dont_know} said \u201cdon't know\u201d."
    most = max(SCALE, key=lambda point: (stats.counts.get(point, 0), -point))
    people = stats.counts.get(most, 0)
    return (
        f"{stats.n} rating{'s' if stats.n != 1 else ''}. The most common was {most} "
        f"({SCALE_LABELS[most].lower()}), given by {people} "
        f"{'person' if people == 1 else 'people'}; {stats.dont_know} said \u201cdon't know\u201d."
    )


def overlay_description(kind: str, series: Sequence[Series], system_count: int = 0) -> str:
    if not series:
        return {
            "systems": "No chart: every system has too few responses to show safely.",
            "sectors": "No chart: no sector in this system has enough people to show safely.",
            "rounds": "No chart: there is no comparable earlier round for this system.",
        }[kind]
    if kind == "systems":
        hidden = system_count - len(series)
        text = (
            "One marker per system on each pre-condition's row, at its median, with a bar "
            "across the middle half of its ratings; the table gives the numbers."
        )
        if hidden:
            text += f" {hidden} system{'s' if hidden > 1 else ''} with too few responses left out."
        return text
    if kind == "sectors":
        names = [SECTOR_PHRASES[s.key] for s in series]
        return (
            f"One marker per sector on each pre-condition's row ({', '.join(names)}), at its "
            "median, with a bar across the middle half of its ratings; sectors with too few "
            "people are left out, and a missing marker is a hidden figure."
        )
    return (
        "Two markers on each pre-condition's row: the median in the previous round (open) "
        "and in this one (filled), each with a bar across the middle half of its ratings."
    )


# --- a comparison for the chart switcher ----------------------------------------------


@dataclass(frozen=True)
class ComparisonRow:
    code: str
    title: str
    cells: list[Stats | None]  # one per series


@dataclass(frozen=True)
class Comparison:
    kind: str  # "systems", "sectors" or "rounds"
    system_slug: str | None
    system_name: str | None  # raw user text: render inside <bdi>
    heading: str  # the title without the system's name
    title: str
    figure: dict | None  # None when there is nothing to draw
    description: str
    series: list[Series]
    rows: list[ComparisonRow]


def comparison(
    kind: str, summary: DiagnosticSummary, system: SystemSummary | None = None
) -> Comparison:
    """One view of the chart switcher: its figure, text alternative and table rows."""
    if kind == "systems":
        series = systems_series(summary)
        preconditions = _reference_preconditions(summary)
        figure = overlay_systems(summary) if series else None
        description = overlay_description(kind, series, len(summary.systems))
    else:
        assert system is not None
        series = sectors_series(system) if kind == "sectors" else rounds_series(system)
        preconditions = system.preconditions
        if kind == "sectors":
            figure = overlay_sectors(system) if series else None
        else:
            figure = overlay_rounds(system) if series else None
        description = overlay_description(kind, series)
    rows = [
        ComparisonRow(code=p.code, title=p.title, cells=[line.stats[i] for line in series])
        for i, p in enumerate(preconditions)
    ]
    heading = COMPARISON_HEADINGS[kind]
    return Comparison(
        kind=kind,
        system_slug=system.slug if system is not None else None,
        system_name=system.name if system is not None else None,
        heading=heading,
        title=heading if system is None else f"{heading}: {system.name}",
        figure=figure,
        description=description,
        series=series,
        rows=rows,
    )
