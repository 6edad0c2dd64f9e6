"""Charts drawn on the server as SVG, for the PDF report (no browser needed): each
system's radar, and the comparison of systems as a dot plot.

Nine spokes A–I clockwise from the top, rings for the scale points 1–5 (1 at the centre,
as in the plotly charts), the interquartile band and the median. A pre-condition with no
figure (hidden or unrated) leaves a gap: the band and the line are drawn only between
neighbouring spokes that both have a value, so nothing is implied where nothing is known.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.html import escape

from .aggregate import SCALE, PreconditionSummary, SystemSummary
from .charts import (
    GROUP_COLOURS,
    MEDIAN_COLOUR,
    SCALE_LABELS,
    SERIES_COLOURS,
    SERIES_SYMBOLS,
    Comparison,
    radar_description,
    series_offsets,
)
from .narrative import format_number

WIDTH = 720
HEIGHT = 540
CX = WIDTH / 2
CY = 272
RADIUS = 165  # radius of the outer ring (scale point 5)
LABEL_GAP = 16
LABEL_LINE_LENGTH = 22
# The board paper's fonts (templates/reports/pdf.html): Noto covers the scripts people in
# UK places write in; system names are user text and may be in any of them.
FONT_FAMILY = (
    "Noto Sans, Noto Sans Arabic, Noto Sans Bengali, Noto Sans Devanagari, Noto Sans Gurmukhi, "
    "Noto Sans Gujarati, Noto Sans Tamil, Noto Sans Ethiopic, Noto Sans CJK SC, DejaVu Sans, "
    "sans-serif"
)
GRID_COLOUR = "#b1b4b6"
# The band's colour as a plain colour plus opacity: print renderers handle it more
# reliably than rgba().
IQR_COLOUR = "#1d70b8"
IQR_OPACITY = 0.35
TEXT_COLOUR = "#0b0c0c"


def _angle(index: int, count: int) -> float:
    """Radians clockwise from the top."""
    return 2 * math.pi * index / count


def _point(angle: float, radius: float) -> tuple[float, float]:
    return CX + radius * math.sin(angle), CY - radius * math.cos(angle)


def _radius(value: float) -> float:
    low, high = SCALE[0], SCALE[-1]
    return (min(max(float(value), low), high) - low) / (high - low) * RADIUS


def _xy(point: tuple[float, float]) -> str:
    return f"{point[0]:.1f},{point[1]:.1f}"


def _wrap(text: str, length: int = LABEL_LINE_LENGTH, lines: int = 3) -> list[str]:
    words, out, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > length:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        out.append(line)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1].rstrip(" ,.;:") + "…"
    return out


def _wedge(start: float, end: float, colour: str) -> str:
    x0, y0 = _point(start, RADIUS)
    x1, y1 = _point(end, RADIUS)
    large = 1 if end - start > math.pi else 0
    return (
        f'<path d="M{CX:.1f},{CY:.1f} L{x0:.1f},{y0:.1f} A{RADIUS},{RADIUS} 0 {large} 1 '
        f'{x1:.1f},{y1:.1f} Z" fill="{colour}" stroke="none"/>'
    )


def _groups(preconditions: Sequence[PreconditionSummary]) -> list[str]:
    count = len(preconditions)
    half = math.pi / count
    parts = []
    for group in ("vision", "behaviours"):
        indexes = [i for i, p in enumerate(preconditions) if p.group == group]
        if indexes:
            parts.append(
                _wedge(
                    _angle(indexes[0], count) - half,
                    _angle(indexes[-1], count) + half,
                    GROUP_COLOURS[group],
                )
            )
    return parts


def _grid(count: int) -> list[str]:
    parts = []
    for point in SCALE[1:]:
        ring = " ".join(_xy(_point(_angle(i, count), _radius(point))) for i in range(count))
        parts.append(
            f'<polygon class="ring" points="{ring}" fill="none" stroke="{GRID_COLOUR}" '
            'stroke-width="1"/>'
        )
    for i in range(count):
        x, y = _point(_angle(i, count), RADIUS)
        parts.append(
            f'<line x1="{CX:.1f}" y1="{CY:.1f}" x2="{x:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID_COLOUR}" stroke-width="1"/>'
        )
    for point in SCALE:
        x, y = _point(0, _radius(point))
        parts.append(
            f'<text class="scale" x="{x + 4:.1f}" y="{y - 3:.1f}" font-size="11" '
            f'fill="{TEXT_COLOUR}">{point}</text>'
        )
    return parts


def _labels(preconditions: Sequence[PreconditionSummary]) -> list[str]:
    count = len(preconditions)
    parts = []
    for i, p in enumerate(preconditions):
        angle = _angle(i, count)
        x, y = _point(angle, RADIUS + LABEL_GAP)
        sine, cosine = math.sin(angle), math.cos(angle)
        anchor = "start" if sine > 0.2 else "end" if sine < -0.2 else "middle"
        lines = _wrap(f"{p.code}. {p.title}")
        line_height = 14
        if cosine > 0.2:  # top half: the block sits above the point
            y -= line_height * (len(lines) - 1)
        elif abs(cosine) <= 0.2:  # level with the centre: centred on the point
            y -= line_height * (len(lines) - 1) / 2
        else:
            y += line_height * 0.6
        spans = "".join(
            f'<tspan x="{x:.1f}" dy="{0 if n == 0 else line_height}">{escape(line)}</tspan>'
            for n, line in enumerate(lines)
        )
        parts.append(
            f'<text class="label" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" '
            f'font-size="12" fill="{TEXT_COLOUR}">{spans}</text>'
        )
    return parts


def _neighbours(count: int) -> list[tuple[int, int]]:
    return [(i, (i + 1) % count) for i in range(count)]


def _data(preconditions: Sequence[PreconditionSummary]) -> list[str]:
    count = len(preconditions)
    stats = [p.overall for p in preconditions]
    parts = []
    for i, j in _neighbours(count):
        a, b = stats[i], stats[j]
        if a is None or b is None:
            continue
        a_q1, a_q3, b_q1, b_q3 = a.q1, a.q3, b.q1, b.q3
        if a_q1 is None or a_q3 is None or b_q1 is None or b_q3 is None:
            continue
        quad = [
            _point(_angle(i, count), _radius(a_q1)),
            _point(_angle(i, count), _radius(a_q3)),
            _point(_angle(j, count), _radius(b_q3)),
            _point(_angle(j, count), _radius(b_q1)),
        ]
        parts.append(
            f'<polygon class="iqr" points="{" ".join(_xy(q) for q in quad)}" '
            f'fill="{IQR_COLOUR}" fill-opacity="{IQR_OPACITY}" stroke="none"/>'
        )
    for i, j in _neighbours(count):
        a, b = stats[i], stats[j]
        if a is None or b is None or a.median is None or b.median is None:
            continue
        x1, y1 = _point(_angle(i, count), _radius(a.median))
        x2, y2 = _point(_angle(j, count), _radius(b.median))
        parts.append(
            f'<line class="median" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke="{MEDIAN_COLOUR}" stroke-width="2.5"/>'
        )
    for i, s in enumerate(stats):
        if s is not None and s.median is not None:
            x, y = _point(_angle(i, count), _radius(s.median))
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{MEDIAN_COLOUR}"/>')
    return parts


def _legend() -> list[str]:
    y = HEIGHT - 18
    items = [
        ("rect", GROUP_COLOURS["vision"], "Vision (A–D)"),
        ("rect", GROUP_COLOURS["behaviours"], "Behaviours (E–I)"),
        ("rect", IQR_COLOUR, "Middle half of ratings"),
        ("line", MEDIAN_COLOUR, "Median"),
    ]
    parts, x = [], 90.0
    for shape, colour, text in items:
        if shape == "rect":
            parts.append(
                f'<rect x="{x:.1f}" y="{y - 11}" width="16" height="14" fill="{colour}" '
                f'fill-opacity="{IQR_OPACITY if colour == IQR_COLOUR else 1}" '
                f'stroke="{GRID_COLOUR}" stroke-width="0.5"/>'
            )
        else:
            parts.append(
                f'<line x1="{x:.1f}" y1="{y - 4}" x2="{x + 16:.1f}" y2="{y - 4}" '
                f'stroke="{colour}" stroke-width="2.5"/>'
            )
        parts.append(
            f'<text x="{x + 22:.1f}" y="{y}" font-size="12" fill="{TEXT_COLOUR}">'
            f"{escape(text)}</text>"
        )
        x += 22 + 6.8 * len(text) + 28
    return parts


def _description(system: SystemSummary) -> str:
    if system.suppressed:
        return radar_description(system)
    values = []
    for p in system.preconditions:
        s = p.overall
        if s is None or s.median is None:
            values.append(f"{p.code}: no figure")
        else:
            values.append(
                f"{p.code}: median {format_number(s.median)}, middle half "
                f"{format_number(s.q1)} to {format_number(s.q3)}"
            )
    return f"{radar_description(system)} By pre-condition: {'; '.join(values)}."


def radar_svg(system: SystemSummary) -> str:
    """The radar for one system as a standalone ``<svg>`` element (safe to inline)."""
    preconditions = system.preconditions
    ident = escape(f"radar-{system.slug}")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="app-radar-svg" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" font-family="{FONT_FAMILY}">',
        f'<title id="{ident}-title">{escape(f"Radar chart: {system.name}")}</title>',
        f'<desc id="{ident}-desc">{escape(_description(system))}</desc>',
        *_groups(preconditions),
        *_grid(len(preconditions)),
    ]
    if system.suppressed:
        parts.append(
            f'<text x="{CX:.1f}" y="{CY:.1f}" text-anchor="middle" font-size="16" '
            f'fill="{TEXT_COLOUR}">Hidden: too few responses to show</text>'
        )
    else:
        parts.extend(_data(preconditions))
    parts.extend(_labels(preconditions))
    parts.extend(_legend())
    parts.append("</svg>")
    return "\n".join(parts)


# --- the comparison dot plot ------------------------------------------------------------

DOT_LEFT = 250  # x of scale point 1; the pre-conditions' names sit to its left
DOT_RIGHT = WIDTH - 30  # x of scale point 5
DOT_TOP = 50  # below the legend


def _dot_x(value: float) -> float:
    low, high = SCALE[0], SCALE[-1]
    return DOT_LEFT + (float(value) - low) / (high - low) * (DOT_RIGHT - DOT_LEFT)


def _marker(shape: str, x: float, y: float, colour: str, *, hollow: bool) -> str:
    fill = "#ffffff" if hollow else colour
    paint = f'fill="{fill}" stroke="{colour}" stroke-width="1.5"'
    if shape == "square":
        return f'<rect x="{x - 4.5:.1f}" y="{y - 4.5:.1f}" width="9" height="9" {paint}/>'
    if shape == "diamond":
        points = f"{x:.1f},{y - 6:.1f} {x + 6:.1f},{y:.1f} {x:.1f},{y + 6:.1f} {x - 6:.1f},{y:.1f}"
        return f'<polygon points="{points}" {paint}/>'
    if shape == "triangle-up":
        points = f"{x:.1f},{y - 6:.1f} {x + 6:.1f},{y + 4.5:.1f} {x - 6:.1f},{y + 4.5:.1f}"
        return f'<polygon points="{points}" {paint}/>'
    if shape == "triangle-down":
        points = f"{x:.1f},{y + 6:.1f} {x + 6:.1f},{y - 4.5:.1f} {x - 6:.1f},{y - 4.5:.1f}"
        return f'<polygon points="{points}" {paint}/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" {paint}/>'


def dot_plot_svg(comparison: Comparison) -> str:
    """A comparison (systems, sectors or rounds) as a dot plot, like the report page's:
    a row per pre-condition, a marker per series at its median with a bar across its
    middle half, each series in its own place in the row so tied medians stay visible."""
    series = comparison.series
    row_height = 26 + 9 * max(len(series) - 1, 0)
    height = DOT_TOP + row_height * len(comparison.rows) + 50
    offsets = series_offsets(len(series))
    ident = escape(f"dots-{comparison.kind}-{comparison.system_slug or 'all'}")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="app-radar-svg" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" font-family="{FONT_FAMILY}">',
        f'<title id="{ident}-title">{escape(comparison.title)}</title>',
        f'<desc id="{ident}-desc">{escape(comparison.description)}</desc>',
    ]
    bottom = DOT_TOP + row_height * len(comparison.rows)
    for point in SCALE:
        x = _dot_x(point)
        parts.append(
            f'<line x1="{x:.1f}" y1="{DOT_TOP}" x2="{x:.1f}" y2="{bottom}" '
            f'stroke="{GRID_COLOUR}" stroke-width="0.75"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{bottom + 18}" text-anchor="middle" font-size="11" '
            f'fill="{TEXT_COLOUR}">{point} {escape(SCALE_LABELS[point])}</text>'
        )
    x = 10.0
    for index, line in enumerate(series):
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        shape = SERIES_SYMBOLS[index % len(SERIES_SYMBOLS)]
        parts.append(_marker(shape, x + 6, 20, colour, hollow=line.hollow))
        # A system's name is user text in any script: its direction comes from its content
        # (dir="auto" for HTML readers, unicode-bidi="plaintext" for SVG renderers).
        parts.append(
            f'<text x="{x + 16:.1f}" y="24" font-size="11" fill="{TEXT_COLOUR}" dir="auto" '
            f'unicode-bidi="plaintext">{escape(line.name)}</text>'
        )
        x += 16 + 6.2 * len(line.name) + 22
    for row_index, row in enumerate(comparison.rows):
        centre = DOT_TOP + row_height * (row_index + 0.5)
        if row_index:  # a rule between pre-conditions: each row's markers read as one group
            top = DOT_TOP + row_height * row_index
            parts.append(
                f'<line x1="10" y1="{top:.1f}" x2="{DOT_RIGHT}" y2="{top:.1f}" '
                f'stroke="{GRID_COLOUR}" stroke-width="0.5"/>'
            )
        for number, text in enumerate(_wrap(f"{row.code}. {row.title}", 34, 2)):
            parts.append(
                f'<text x="{DOT_LEFT - 14}" y="{centre - 4 + 13 * number:.1f}" '
                f'text-anchor="end" font-size="11" fill="{TEXT_COLOUR}">{escape(text)}</text>'
            )
        for index, (line, cell) in enumerate(zip(series, row.cells, strict=True)):
            if cell is None or cell.median is None:
                continue
            colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
            y = centre + offsets[index] * row_height
            if cell.q1 is not None and cell.q3 is not None:
                parts.append(
                    f'<line x1="{_dot_x(cell.q1):.1f}" y1="{y:.1f}" x2="{_dot_x(cell.q3):.1f}" '
                    f'y2="{y:.1f}" stroke="{colour}" stroke-width="2"/>'
                )
            shape = SERIES_SYMBOLS[index % len(SERIES_SYMBOLS)]
            parts.append(_marker(shape, _dot_x(cell.median), y, colour, hollow=line.hollow))
    parts.append("</svg>")
    return "\n".join(parts)
