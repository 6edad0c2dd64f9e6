from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from reports.svg import radar_svg
from tests.factories import make_precondition_summary, make_stats, make_system_summary

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def label_texts(root: ET.Element) -> list[str]:
    return [
        " ".join(span.text or "" for span in text.iter(f"{SVG}tspan"))
        for text in root.iter(f"{SVG}text")
        if text.get("class") == "label"
    ]


def test_it_is_valid_xml_with_a_title_and_description():
    root = parse(radar_svg(make_system_summary({"B": 4.0})))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text == "Radar chart: Homelessness and housing"
    assert desc is not None and "Highest median: B. Citizen-centred (4)" in (desc.text or "")
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def test_it_labels_nine_spokes_a_to_i_clockwise_from_the_top():
    labels = label_texts(parse(radar_svg(make_system_summary())))
    assert len(labels) == 9
    assert [label[0] for label in labels] == list("ABCDEFGHI")
    assert labels[0].startswith("A. Beneficiary impact")


def test_it_draws_rings_1_to_5_the_band_and_the_median():
    root = parse(radar_svg(make_system_summary()))
    scale = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "scale"]
    assert scale == ["1", "2", "3", "4", "5"]
    assert len([p for p in root.iter(f"{SVG}polygon") if p.get("class") == "ring"]) == 4
    assert len([p for p in root.iter(f"{SVG}polygon") if p.get("class") == "iqr"]) == 9
    assert len([line for line in root.iter(f"{SVG}line") if line.get("class") == "median"]) == 9


def test_it_shows_the_vision_and_behaviours_groups():
    svg = radar_svg(make_system_summary())
    assert "Vision (A–D)" in svg and "Behaviours (E–I)" in svg
    assert len(list(parse(svg).iter(f"{SVG}path"))) == 2  # two coloured sectors


def test_a_missing_value_leaves_a_gap_rather_than_a_zero():
    nobody = make_precondition_summary("C", make_stats(None, dont_know=6))
    root = parse(radar_svg(make_system_summary(overrides={"C": nobody})))
    # B–C and C–D are not drawn: 7 segments of the median line and of the band remain.
    assert len([e for e in root.iter(f"{SVG}line") if e.get("class") == "median"]) == 7
    assert len([e for e in root.iter(f"{SVG}polygon") if e.get("class") == "iqr"]) == 7


def test_a_suppressed_system_shows_the_grid_and_says_it_is_hidden():
    svg = radar_svg(make_system_summary(suppressed=True))
    root = parse(svg)
    assert not [e for e in root.iter(f"{SVG}line") if e.get("class") == "median"]
    assert "Hidden: too few responses to show" in svg


@pytest.mark.parametrize(
    "hostile", ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "Tom & Jerry's"]
)
def test_hostile_names_are_escaped(hostile):
    svg = radar_svg(make_system_summary(name=hostile, slug="x"))
    root = parse(svg)  # still well-formed
    assert "<script" not in svg and "<img" not in svg
    assert root.find(f"{SVG}title").text == f"Radar chart: {hostile}"
    assert not list(root.iter("script")) and not list(root.iter(f"{SVG}script"))


def _tied_sectors_system():
    by_sector = {
        "public": make_stats(3.0),
        "private": make_stats(3.0),
        "voluntary": make_stats(3.0, q1=2.0, q3=4.0),
    }
    return make_system_summary(
        overrides={
            code: make_precondition_summary(code, make_stats(3.0), by_sector=by_sector)
            for code in "ABCDEFGHI"
        }
    )


def test_the_comparison_dot_plot_shows_every_series_where_medians_tie():
    from reports.charts import comparison
    from reports.svg import dot_plot_svg
    from tests.factories import make_diagnostic_summary

    system = _tied_sectors_system()
    root = parse(dot_plot_svg(comparison("sectors", make_diagnostic_summary(system), system)))
    assert root.find(f"{SVG}title").text == "Median ratings by sector: Homelessness and housing"
    # A marker per sector per pre-condition (9 x 3) plus one per sector in the legend.
    circles = list(root.iter(f"{SVG}circle"))
    squares = list(root.iter(f"{SVG}rect"))
    diamonds = list(root.iter(f"{SVG}polygon"))
    assert len(circles) == len(squares) == len(diamonds) == 10
    # In each row the three tied medians share x but not y.
    for row in range(9):
        ys = {float(circles[row + 1].get("cy")), float(squares[row + 1].get("y")) + 4.5}
        assert len(ys) == 2
    xs = {float(c.get("cx")) for c in circles[1:]}
    assert len(xs) == 1  # every median is 3
    bars = [line for line in root.iter(f"{SVG}line") if line.get("stroke-width") == "2"]
    assert len(bars) == 27  # the middle half of each series on each row


@pytest.mark.parametrize("hostile", ["<script>alert(1)</script>", '"><img src=x>'])
def test_the_dot_plot_escapes_series_names(hostile):
    from reports.charts import comparison
    from reports.svg import dot_plot_svg
    from tests.factories import make_diagnostic_summary

    summary = make_diagnostic_summary(
        make_system_summary(name=hostile), make_system_summary(name="Two", slug="two")
    )
    svg = dot_plot_svg(comparison("systems", summary))
    assert "<script" not in svg and "<img" not in svg
    names = [t.text for t in parse(svg).iter(f"{SVG}text")]
    assert hostile in names
