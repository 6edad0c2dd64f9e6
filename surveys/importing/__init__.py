"""Importing responses collected offline: paper forms from a focus group, a spreadsheet
from an earlier round.

The web upload and the ``import_responses`` command share three steps:

1. ``parse_import_file`` reads CSV or XLSX into rows of text keyed by column name.
2. ``validate_import`` checks every row and plans what would be created. It writes nothing,
   so a preview can be shown and a bad file refused with every problem listed at once.
3. ``import_apply`` creates organisations, systems, responses and ratings in one
   transaction: all or nothing.

``import_run`` does 2 and 3 under a lock on the diagnostic, so that two confirmations of
the same file (a double click, two facilitators) cannot both pass the re-import check.
The format is described for users in docs/importing.md.

The package, one module a step: ``read`` (1), ``validate`` (2), ``apply`` (3 and
``import_run``), and ``pending`` (an upload kept between preview and confirmation).
Import the public names from here; the limits (``MAX_ROWS`` and the rest) live in
``read``, so patch them there.
"""

from .apply import ImportResult, diagnostic_create_for_import, import_apply, import_run
from .pending import (
    PENDING_IMPORT_MAX_AGE,
    pending_import_confirm,
    pending_import_create,
    pending_import_of,
    pending_import_plan,
)
from .read import (
    COLUMNS,
    MAX_CELLS,
    MAX_CELLS_PER_ROW,
    MAX_ROWS,
    MAX_ROWS_READ,
    MAX_XLSX_ELEMENTS,
    MAX_XLSX_UNZIPPED_SIZE,
    REQUIRED_COLUMNS,
    ROW_KEY,
    ImportFileError,
    parse_import_file,
)
from .validate import (
    NAME_MAX_LENGTH,
    PREVIEW_ROWS,
    ImportPlan,
    NewOrganisation,
    PlannedRating,
    PlannedResponse,
    PlannedRow,
    RowError,
    validate_import,
)

__all__ = [
    "COLUMNS",
    "MAX_CELLS",
    "MAX_CELLS_PER_ROW",
    "MAX_ROWS",
    "MAX_ROWS_READ",
    "MAX_XLSX_ELEMENTS",
    "MAX_XLSX_UNZIPPED_SIZE",
    "NAME_MAX_LENGTH",
    "PENDING_IMPORT_MAX_AGE",
    "PREVIEW_ROWS",
    "REQUIRED_COLUMNS",
    "ROW_KEY",
    "ImportFileError",
    "ImportPlan",
    "ImportResult",
    "NewOrganisation",
    "PlannedRating",
    "PlannedResponse",
    "PlannedRow",
    "RowError",
    "diagnostic_create_for_import",
    "import_apply",
    "import_run",
    "parse_import_file",
    "pending_import_confirm",
    "pending_import_create",
    "pending_import_of",
    "pending_import_plan",
    "validate_import",
]
