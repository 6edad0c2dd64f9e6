"""``python -m bench.export_all all|baseline|command ARGS...``: the CSV export, run in a
child process so that the benchmark can read its peak memory.

- ``all``: every rating of every diagnostic as one CSV on standard output, through the
  same streaming code as the CSV export (``reports.exports.export_csv_rows``, one
  diagnostic after another, one header): the whole national data set.
- ``command ARGS...``: a management command, e.g. ``export_results SLUG --format csv``.
- ``baseline``: Django set up and the same modules imported, nothing exported.

The last line on standard error is ``peak_kb=N``: the process's own high-water mark of
resident memory (VmHWM), which starts afresh at exec. (``ru_maxrss`` does not: a child
forked from the benchmark, which holds the national data set, inherits its peak.)
"""

from __future__ import annotations

import csv
import os
import sys


def peak_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def export_all() -> int:
    from reports.exports import export_csv_rows
    from surveys.models import Diagnostic

    writer = csv.writer(sys.stdout)
    rows = 0
    for number, diagnostic in enumerate(Diagnostic.objects.order_by("pk").iterator()):
        lines = export_csv_rows(diagnostic)
        header = next(lines)
        if number == 0:
            writer.writerow(header)
        for line in lines:
            writer.writerow(line)
            rows += 1
    return rows


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    import reports.exports  # noqa: F401 - the baseline holds the same modules

    if argv[0] == "all":
        export_all()
    elif argv[0] == "command":
        from django.core.management import call_command

        call_command(*argv[1:])
    elif argv[0] != "baseline":
        raise SystemExit(f"unknown mode {argv[0]!r}")
    sys.stdout.flush()
    print(f"peak_kb={peak_kb()}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
