"""Aggregation of a diagnostic's ratings (pandas), with anonymity suppression.

The package, by seam (each module depends only on those above it):

- ``contract``: the dataclasses every report, chart, export and narrative reads
  (``Stats``, ``PreconditionSummary``, ``SystemSummary``, ``ReleaseStamp``,
  ``DiagnosticSummary``) and the dimensions ``SECTORS``, ``ROLES``, ``SCALE``.
- ``frame``: ``ratings_frame``, the one query that reads a round's ratings.
- ``statistics``: every group's statistics at once, from counts (pure).
- ``suppression``: which cells to hide so that no group below k shows (pure,
  privacy-critical; the rule is in its docstring and docs/reports.md).
- ``summary``: ``diagnostic_summary`` and its pure core ``summarise_frame``.

Import the public names from here (``from reports.aggregate import Stats``); the
submodules are the package's inside.
"""

from .contract import (
    ROLES,
    SCALE,
    SECTORS,
    DiagnosticSummary,
    PreconditionSummary,
    ReleaseStamp,
    Stats,
    SystemSummary,
)
from .frame import FRAME_COLUMNS, ratings_frame
from .statistics import _rounded, _RoundTables
from .summary import (
    _sector_divergence,
    _suppressed_precondition,
    _system_summary,
    diagnostic_summary,
    summarise_frame,
    summary_inputs,
    summary_of_frame,
)
from .suppression import suppressed_cells

__all__ = [
    "FRAME_COLUMNS",
    "ROLES",
    "SCALE",
    "SECTORS",
    "DiagnosticSummary",
    "PreconditionSummary",
    "ReleaseStamp",
    "Stats",
    "SystemSummary",
    "diagnostic_summary",
    "ratings_frame",
    "summarise_frame",
    "summary_inputs",
    "summary_of_frame",
    "suppressed_cells",
    # Not public: used by reports.releases (a release rebuilt from frozen figures) and
    # by bench/measure.py (the aggregation timed without the page around it).
    "_RoundTables",
    "_rounded",
    "_sector_divergence",
    "_suppressed_precondition",
    "_system_summary",
]
