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
from .statistics import _rounded as _rounded
from .statistics import _RoundTables as _RoundTables
from .summary import _sector_divergence as _sector_divergence
from .summary import _suppressed_precondition as _suppressed_precondition
from .summary import _system_summary as _system_summary
from .summary import diagnostic_summary, summarise_frame, summary_inputs, summary_of_frame
from .suppression import suppressed_cells

# Also importable here, but not public (so not in __all__; the ``as`` marks them
# re-exported): ``_rounded``, ``_sector_divergence`` and ``_suppressed_precondition``, with
# which reports.releases rebuilds summaries from a release's frozen figures, and
# ``_RoundTables`` and ``_system_summary``, with which bench/measure.py times the
# aggregation without the page around it.
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
]
