"""The vendored plotly.js is a partial bundle (frontend/src/plotly-bundle.js): every trace
type the reports draw must be registered in it, or that chart silently draws nothing."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

from reports.charts import distribution_figure, overlay_sectors, radar_figure
from tests.factories import make_precondition_summary, make_stats, make_system_summary

BUNDLE = Path(settings.BASE_DIR) / "static" / "vendor" / "plotly" / "plotly.min.js"


def registered_traces() -> set[str]:
    return set(re.findall(r'moduleType:"trace",name:"(\w+)"', BUNDLE.read_text()))


def drawn_traces() -> set[str]:
    system = make_system_summary()
    figures = [
        radar_figure(system, "Homelessness"),
        overlay_sectors(system),
        distribution_figure(make_precondition_summary("A", make_stats(3.0))),
    ]
    return {trace.get("type", "scatter") for figure in figures for trace in figure["data"]}


def test_every_trace_the_reports_draw_is_in_the_bundle():
    drawn = drawn_traces()
    assert {"scatterpolar", "barpolar", "bar"} <= drawn
    assert drawn <= registered_traces()


def test_the_bundle_is_partial_and_matches_the_python_plotly_version():
    from plotly.offline import get_plotlyjs_version

    text = BUNDLE.read_text()
    assert f"plotly.js v{get_plotlyjs_version()}" in text[:200]
    assert "scatter3d" not in registered_traces()
    assert BUNDLE.stat().st_size < 2_000_000  # the full bundle is 4.8 MB
