from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest
from django.utils.html import json_script

from reports.charts import (
    comparison,
    distribution_figure,
    overlay_rounds,
    overlay_sectors,
    overlay_systems,
    plain_number,
    plotly_text,
    radar_description,
    radar_figure,
    short_label,
)
from tests.factories import (
    make_diagnostic_summary,
    make_precondition_summary,
    make_stats,
    make_system_summary,
)

HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


def traces(figure: dict, kind: str | None = None, name: str | None = None) -> list[dict]:
    return [
        t
        for t in figure["data"]
        if (kind is None or t["type"] == kind) and (name is None or t.get("name") == name)
    ]


def median_trace(figure: dict) -> dict:
    return next(t for t in figure["data"] if t.get("mode") == "lines+markers")


def assert_valid(figure: dict) -> None:
    """Plotly's own validators reject unknown or malformed properties."""
    go.Figure(figure)
    json.dumps(figure)


def test_the_radar_has_nine_axes_in_order_a_to_i():
    figure = radar_figure(make_system_summary(), "Homelessness")
    axis = figure["layout"]["polar"]["angularaxis"]
    assert [label[0] for label in axis["categoryarray"]] == list("ABCDEFGHI")
    assert axis["categoryarray"][0] == "A. Beneficiary impact<br>over organisational…"
    theta = median_trace(figure)["theta"]
    assert [label[0] for label in theta] == list("ABCDEFGHIA")  # closed from I back to A
    assert_valid(figure)


def test_the_radial_axis_is_fixed_from_1_to_5():
    radial = radar_figure(make_system_summary(), "x")["layout"]["polar"]["radialaxis"]
    assert radial["range"] == [1, 5] and radial["autorange"] is False


def test_the_radar_shows_vision_and_behaviours_as_two_coloured_sectors():
    figure = radar_figure(make_system_summary(), "x")
    vision = traces(figure, "barpolar", "Vision (A–D)")[0]
    behaviours = traces(figure, "barpolar", "Behaviours (E–I)")[0]
    assert [t[0] for t in vision["theta"]] == list("ABCD")
    assert [t[0] for t in behaviours["theta"]] == list("EFGHI")
    assert vision["marker"]["color"] != behaviours["marker"]["color"]
    assert vision["base"] == 1 and vision["r"] == [4] * 4  # from 1 to 5


def test_the_radar_draws_the_interquartile_band_around_the_median():
    b = make_precondition_summary("B", make_stats(3.6, median=4.0, q1=3.0, q3=4.5))
    figure = radar_figure(make_system_summary(overrides={"B": b}), "x")
    band = next(t for t in figure["data"] if t.get("fill") == "toself")
    assert "interquartile" in band["name"]
    # Out along the upper quartiles (A..I, A), back along the lower ones (A, I..A).
    assert band["r"][1] == 4.5 and band["r"][-2] == 3.0
    assert len(band["r"]) == 20
    assert median_trace(figure)["r"][1] == 4.0


def test_the_hover_text_gives_the_number_of_ratings_and_of_dont_knows():
    a = make_precondition_summary("A", make_stats(3.0, n=14, dont_know=3))
    trace = median_trace(radar_figure(make_system_summary(overrides={"A": a}), "x"))
    assert "Ratings: %{customdata[2]}" in trace["hovertemplate"]
    assert "Don't know: %{customdata[3]}" in trace["hovertemplate"]
    assert trace["customdata"][0][2:] == ["14", "3"]


def test_a_suppressed_system_is_drawn_as_gaps_never_as_zero():
    figure = radar_figure(make_system_summary(suppressed=True), "x")
    assert median_trace(figure)["r"] == [None] * 10
    band = next(t for t in figure["data"] if t.get("fill") == "toself")
    assert band["r"] == [None] * 20
    assert 0 not in median_trace(figure)["r"]
    assert_valid(figure)


def test_a_precondition_nobody_rated_is_a_gap():
    nobody = make_precondition_summary("C", make_stats(None, dont_know=8))
    r = median_trace(radar_figure(make_system_summary(overrides={"C": nobody}), "x"))["r"]
    assert r[2] is None and r[1] == 3.0


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_system_names_are_escaped_in_labels_and_hover(hostile):
    system = make_system_summary(name=hostile)
    summary = make_diagnostic_summary(system, make_system_summary(name=hostile + " 2", slug="two"))
    figures = [
        radar_figure(system, f"Profile: {system.name}"),
        overlay_systems(summary),
        overlay_sectors(system),
        overlay_rounds(system),
    ]
    for figure in figures:
        dumped = json.dumps(figure)
        assert "<script" not in dumped and "<img" not in dumped
        assert_valid(figure)
    assert plotly_text(hostile) in json.dumps(figures[0]["layout"]["title"])
    names = [t["name"] for t in overlay_systems(summary)["data"] if t["type"] == "scatter"]
    assert names == [plotly_text(hostile), plotly_text(hostile + " 2")]


def test_plotly_text_escapes_markup_characters():
    assert plotly_text("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert (
        plotly_text('"><img src=x onerror=alert(1)>') == '"&gt;&lt;img src=x onerror=alert(1)&gt;'
    )
    assert plotly_text("Health & care") == "Health &amp; care"
    assert short_label("H", "Resilient & risk embracing") == "H. Resilient &amp; risk<br>embracing"
    assert short_label("B", "Citizen-centred") == "B. Citizen-centred"


def test_figures_are_json_serialisable_even_from_numpy_numbers():
    stats = make_stats(np.float64(3.25), median=np.float64(3.0), n=np.int64(9))
    a = make_precondition_summary("A", stats)
    figure = radar_figure(make_system_summary(overrides={"A": a}), "x")
    assert type(median_trace(figure)["r"][0]) is float
    json.dumps(figure)
    assert 'type="application/json"' in json_script(figure, "chart-x")
    assert plain_number(np.float64("nan")) is None
    assert plain_number(np.int64(4)) == 4


def test_the_sector_overlay_shows_only_sectors_with_figures():
    by_sector = {"public": make_stats(2.0), "voluntary": make_stats(4.0), "private": None}
    e = make_precondition_summary("E", make_stats(3.0), by_sector=by_sector)
    f = make_precondition_summary("F", make_stats(3.0), by_sector={"public": make_stats(3.5)})
    figure = overlay_sectors(make_system_summary(overrides={"E": e, "F": f}))
    lines = {t["name"]: t["x"] for t in traces(figure, "scatter")}
    assert list(lines) == ["Public sector", "Voluntary and community sector"]
    assert lines["Public sector"][4:6] == [2.0, 3.5]
    assert lines["Voluntary and community sector"][5] is None  # hidden, not 0
    assert_valid(figure)


def test_the_systems_overlay_leaves_out_suppressed_systems():
    summary = make_diagnostic_summary(
        make_system_summary({"A": 4.0}),
        make_system_summary(suppressed=True, name="Care", slug="care"),
        make_system_summary({"A": 2.0}, name="Youth", slug="youth"),
    )
    lines = traces(overlay_systems(summary), "scatter")
    assert [t["name"] for t in lines] == ["Homelessness and housing", "Youth"]
    assert [t["x"][0] for t in lines] == [4.0, 2.0]
    result = comparison("systems", summary)
    assert "1 system with too few responses left out" in result.description
    assert [cell.median for cell in result.rows[0].cells] == [4.0, 2.0]


def test_the_rounds_overlay_compares_medians_where_the_previous_round_is_comparable():
    e = make_precondition_summary("E", make_stats(3.0), previous=make_stats(2.0))
    figure = overlay_rounds(make_system_summary(overrides={"E": e}))
    lines = {t["name"]: t["x"] for t in traces(figure, "scatter")}
    assert list(lines) == ["Previous round", "This round"]
    assert lines["Previous round"][4] == 2.0 and lines["This round"][4] == 3.0
    assert lines["Previous round"][0] is None
    previous = traces(figure, "scatter", "Previous round")[0]
    assert previous["marker"]["color"] == "#ffffff"  # open markers: told apart without colour
    assert (
        comparison(
            "rounds", make_diagnostic_summary(make_system_summary()), make_system_summary()
        ).figure
        is None
    )


def test_comparison_series_never_sit_on_each_other_where_medians_tie():
    """Medians are mostly whole numbers: on a shared radar tied lines hid each other (the
    private-sector line was invisible). Each series has its own row position and shape."""
    by_sector = {sector: make_stats(3.0) for sector in ("public", "private", "voluntary")}
    system = make_system_summary(
        overrides={
            code: make_precondition_summary(code, make_stats(3.0), by_sector=by_sector)
            for code in "ABCDEFGHI"
        }
    )
    dots = traces(overlay_sectors(system), "scatter")
    assert len(dots) == 3
    assert all(dot["x"] == [3.0] * 9 for dot in dots)  # every median ties
    for row in range(9):
        positions = [dot["y"][row] for dot in dots]
        assert len(set(positions)) == 3 and all(abs(p - row) < 0.5 for p in positions)
    assert len({dot["marker"]["symbol"] for dot in dots}) == 3
    assert len({dot["marker"]["line"]["color"] for dot in dots}) == 3
    a = dots[0]
    assert a["error_x"]["array"][0] == 0.5 and a["error_x"]["arrayminus"][0] == 0.5
    assert_valid(overlay_sectors(system))


def test_the_distribution_counts_each_scale_point_and_dont_know():
    stats = make_stats(3.0, n=6, dont_know=2)
    figure = distribution_figure(make_precondition_summary("B", stats))
    bar = figure["data"][0]
    assert bar["orientation"] == "h"  # labels in full, one per line, never overlapping
    assert bar["y"] == [
        "1 Absent",
        "2 Emerging",
        "3 Developing",
        "4 Established",
        "5 Embedded",
        "Don't know",
    ]
    assert bar["x"] == [0, 0, 6, 0, 0, 2]
    assert figure["layout"]["yaxis"]["autorange"] == "reversed"  # the scale reads downwards
    assert_valid(figure)
    hidden = distribution_figure(make_precondition_summary("B", None))
    assert hidden["data"][0]["x"] == [None] * 6


def test_the_text_alternative_names_highest_lowest_and_widest_spread():
    c = make_precondition_summary("C", make_stats(3.0, q1=1.5, q3=4.5))
    text = radar_description(make_system_summary({"B": 4.5, "H": 1.5}, overrides={"C": c}))
    assert "Highest median: B. Citizen-centred (4.5)" in text
    assert "Lowest median: H. Resilient & risk embracing (1.5)" in text
    assert "most spread on C. Issues are acknowledged as systemic" in text


def test_the_text_alternative_names_every_precondition_sharing_the_highest_median():
    medians = dict.fromkeys("ACEFG", 2.0) | dict.fromkeys("BDHI", 3.0)
    text = radar_description(make_system_summary(medians))
    assert (
        "Highest median, shared by B. Citizen-centred, D. Grounded in place but open to new "
        "approaches, H. Resilient & risk embracing and I. Able to let go: 3." in text
    )
    assert "Lowest median, shared by A. Beneficiary impact" in text
