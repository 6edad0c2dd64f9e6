"""Every CSV the service writes, neutralised against formula injection (OWASP: CSV
injection).

One rule for every app (``reports.exports`` and ``actions.exports`` import it; the
dependencies point towards ``preconditions``): a cell a spreadsheet would run as a
formula gets a leading apostrophe (``safe_cell``), and so does a formula start after a
separator inside the text (``csv_cell``); ``csv_writer`` applies ``csv_cell`` to every
cell it writes.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

# Spreadsheets run a cell starting with one of these as a formula (OWASP: CSV injection),
# full-width forms included (East Asian input methods type them; spreadsheets may read
# them as the ASCII ones), and the pipe of a DDE call (``=cmd|' /C calc'!A0``).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "|", "＝", "＋", "－", "＠", "｜")
# What a spreadsheet may skip before it looks for a formula: spaces (ordinary, no-break,
# ideographic) and the quote that opens a quoted cell.
_LEADING = ' \u00a0\u3000"'
# A formula start after a character a spreadsheet may split cells or rows on.
_AFTER_SEPARATOR = re.compile('([,;|\t\r\n][ \u00a0\u3000"]*)(?=[=+\\-@|＝＋－＠｜])')


def safe_cell(value: Any) -> Any:
    """``value`` with a leading apostrophe if it is text a spreadsheet would run as a
    formula, even after leading spaces; anything else (numbers, booleans, None)
    unchanged. Every CSV cell gets more: ``csv_cell``."""
    if isinstance(value, str) and value.lstrip(_LEADING).startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_cell(value: Any) -> Any:
    """``safe_cell``, and an apostrophe before a formula start that follows a separator
    inside the text: ``Good work;=cmd|' /C calc'!A0`` becomes ``Good work;'=cmd|…``.

    A spreadsheet set to another separator than the file's (Excel splits on ";" in many
    European locales) loses track of the quotes around a cell at the first quoted one,
    then splits inside the text: quoting, even of every cell, does not prevent it. So no
    cell can start with a formula, whatever the separator."""
    value = safe_cell(value)
    if isinstance(value, str):
        return _AFTER_SEPARATOR.sub(r"\1'", value)
    return value


class _SafeWriter:
    def __init__(self, file) -> None:
        self._writer = csv.writer(file)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([csv_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(file) -> _SafeWriter:
    """A ``csv.writer`` that passes every cell through ``csv_cell``: every CSV the app
    writes uses it."""
    return _SafeWriter(file)
