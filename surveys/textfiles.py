"""Reading text that people save or paste from spreadsheets: the offline import and bulk
invitations read it the same way."""

from __future__ import annotations

from collections.abc import Sequence


def decode_spreadsheet_text(content: bytes) -> str | None:
    """The text of an upload as spreadsheets save it (UTF-8 with or without a BOM, Excel's
    "Unicode text" in UTF-16, older Excel's Windows-1252), or None if it is none of those."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "cp1252"):  # cp1252: older Excel's "CSV" on Windows
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def delimiter_of(text: str, candidates: Sequence[str] = (",", ";", "\t")) -> str:
    """Comma, semicolon (spreadsheets in many European locales) or tab (pasted from a
    spreadsheet), judged by the header line, which holds only column names; on a tie the
    first of ``candidates``, and a comma when the line has none."""
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first_line.count(d) for d in candidates}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","
