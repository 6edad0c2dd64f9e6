"""What reading an uploaded file costs: crafted workbooks and the largest honest files.

    .venv/bin/python -m bench.uploads                 # with the caps (as deployed)
    .venv/bin/python -m bench.uploads --without-caps  # the reader as it was before them

Each file is read in a child process (its own peak memory, and a time limit, since
without the caps a crafted file does not finish) by ``surveys.importing.parse_import_file``,
which the import page, the ``import_responses`` command and the benchmark share. Needs
no database. Figures and what they mean: docs/performance.md, "Reading uploads".
"""

from __future__ import annotations

import argparse
import io
import os
import random
import resource
import subprocess
import sys
import time
import zipfile

COLUMNS = (
    "respondent",
    "organisation",
    "sector",
    "role",
    "system",
    "precondition",
    "rating",
    "evidence",
)

_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
        '.org/package/2006/content-types"><Default Extension="rels" ContentType="applicatio'
        'n/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentT'
        'ype="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="applicat'
        'ion/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override Par'
        'tName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-offi'
        'cedocument.spreadsheetml.worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxml'
        'formats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schem'
        'as.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl'
        '/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlforma'
        'ts.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeD'
        'ocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/>'
        "</sheets></workbook>"
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxml'
        'formats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schem'
        'as.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="workshe'
        'ets/sheet1.xml"/></Relationships>'
    ),
}


def one_wide_row(cells: int) -> bytes:
    """A hand-written workbook whose second row has ``cells`` numbers and whose sheet has
    no <dimension> (so opening it makes openpyxl parse every row)."""
    rnd = random.Random(1)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in _PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
                b'openxmlformats.org/spreadsheetml/2006/main"><sheetData><row>'
            )
            for name in COLUMNS:
                sheet.write(b'<c t="inlineStr"><is><t>%s</t></is></c>' % name.encode())
            sheet.write(b"</row><row>")
            for start in range(0, cells, 10_000):
                sheet.write(
                    b"".join(
                        b"<c><v>1</v></c>" if rnd.random() < 0.85 else b"<c><v>2</v></c>"
                        for _ in range(start, min(cells, start + 10_000))
                    )
                )
            sheet.write(b"</row></sheetData></worksheet>")
    return out.getvalue()


def _ratings(rows: int):
    for n in range(rows):
        yield [
            f"R{n // 9}",
            f"Organisation {n // 9 % 40}",
            "public",
            "manager",
            "Homelessness",
            "ABCDEFGHI"[n % 9],
            n % 5 + 1,
            f"Evidence for rating {n}: partners share data monthly.",
        ]


def honest_workbook(rows: int) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(list(COLUMNS))
    for values in _ratings(rows):
        sheet.append(values)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def honest_csv(rows: int) -> bytes:
    lines = [",".join(COLUMNS)] + [",".join(map(str, values)) for values in _ratings(rows)]
    return ("\n".join(lines) + "\n").encode()


CASES = {
    "xlsx, one row of 4,000,000 cells": ("x.xlsx", lambda: one_wide_row(4_000_000)),
    "xlsx, one row of 400,000 cells": ("x.xlsx", lambda: one_wide_row(400_000)),
    "xlsx, 20,000 ratings (the most accepted)": ("x.xlsx", lambda: honest_workbook(20_000)),
    "csv, 20,000 ratings": ("x.csv", lambda: honest_csv(20_000)),
}


def _child(case: str, without_caps: bool) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from surveys.importing import read as importing

    filename, build = CASES[case]
    content = build()
    if without_caps:
        importing._XlsxScan.part = lambda *args, **kwargs: None  # type: ignore[method-assign]
        importing.MAX_CELLS_PER_ROW = importing.MAX_CELLS = 10**12
    import openpyxl  # noqa: F401 (imported before timing: a second of start-up)

    started = time.perf_counter()
    try:
        rows = importing.parse_import_file(filename, content)
        outcome = f"read, {len(rows):,} rows"
    except importing.ImportFileError as error:
        outcome = f"refused: {str(error)[:60]}…"
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{len(content) / 1e6:8.2f} MB {seconds:8.3f} s {peak_mb:8.0f} MB  {outcome}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--without-caps", action="store_true")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        _child(options.child, options.without_caps)
        return
    print("caps off (before)" if options.without_caps else "caps on")
    print(f"{'file':42} {'upload':>11} {'time':>10} {'peak RSS':>11}  outcome")
    for case in CASES:
        command = [sys.executable, "-m", "bench.uploads", "--child", case]
        if options.without_caps:
            command.append("--without-caps")
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=options.timeout, check=True
            )
            print(f"{case:42} {done.stdout.strip()}")
        except subprocess.TimeoutExpired:
            print(f"{case:42} {'':>11} > {options.timeout:.0f} s (stopped)")
        except subprocess.CalledProcessError as error:
            print(f"{case:42} failed: {error.stderr.strip().splitlines()[-1]}")


if __name__ == "__main__":
    main()
