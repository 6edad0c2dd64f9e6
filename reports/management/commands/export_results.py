"""``manage.py export_results SLUG --format json|csv|xlsx [--output FILE] [--release N]
[--live [--include-names]]``.

An operator at the shell reads what a facilitator may read, and no more: by default the
latest release (JSON: its summary; CSV and Excel: its ratings row by row, a sector or
role only for groups of at least k, in no respondent's order), or ``--release N``.
``--live`` (live figures) and ``--include-names`` exist only in the attributed mode, as
for facilitators in the app (docs/reports.md, "Who sees what, and when").
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from preconditions.csvsafe import csv_writer
from reports import releases
from reports.exports import export_csv_rows, export_json, export_xlsx
from surveys import confidentiality
from surveys.audit import audit
from surveys.models import AuditEvent, Diagnostic


class _Echo:
    """Lets a CSV writer hand back each line instead of writing it."""

    def write(self, value: str) -> str:
        return value


class Command(BaseCommand):
    help = (
        "Export a diagnostic's released results: the suppressed summary as JSON, or every "
        "rating as CSV or Excel (for facilitators), from the latest release unless "
        "--release N is given. --live and --include-names only in the attributed mode. "
        "Writes to standard output unless --output is given; Excel needs --output."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="The diagnostic's slug.")
        parser.add_argument(
            "--format", dest="file_format", choices=["json", "csv", "xlsx"], default="json"
        )
        parser.add_argument("--output", type=Path, help="The file to write (default: stdout).")
        parser.add_argument(
            "--release", type=int, help="The release's number (default: the latest)."
        )
        parser.add_argument(
            "--live",
            action="store_true",
            help="Live figures instead of a release: only for an attributed round.",
        )
        parser.add_argument(
            "--include-names",
            action="store_true",
            help="Add respondent and organisation names to CSV and Excel rows: only with "
            "--live, for an attributed round. Off by default.",
        )

    def handle(self, *args, slug: str, file_format: str, output: Path | None, **options) -> None:
        include_names: bool = options["include_names"]
        live: bool = options["live"]
        number: int | None = options["release"]
        if file_format == "xlsx" and output is None:
            raise CommandError("Excel is a binary file: give --output FILE.xlsx to write it.")
        diagnostic = (
            Diagnostic.objects.select_related("place", "framework").filter(slug=slug).first()
        )
        if diagnostic is None:
            raise CommandError(f"There is no diagnostic with the slug {slug!r}.")
        attributed = confidentiality.facilitators_see_who_said_what(diagnostic)
        if (live or include_names) and not attributed:
            raise CommandError(
                f"{slug!r} is anonymous: only released figures can be exported, never live "
                "figures or names."
            )
        if include_names and not live:
            raise CommandError("Names come only with live figures: add --live.")
        if live and number is not None:
            raise CommandError("Give either --live or --release, not both.")

        requested = "live" if live else (str(number) if number is not None else None)
        reader = releases.reader_view(
            diagnostic,
            user=None,
            is_facilitator=True,
            requested=requested,
            include_evidence=False,
        )
        if not live and attributed and reader.live:
            # The attributed default is live: the command's default is the latest release.
            reader = releases.reader_view(
                diagnostic, user=None, is_facilitator=False, requested=None, include_evidence=False
            )
        if reader.summary is None or (number is not None and reader.release is None):
            which = f"release {number}" if number is not None else "release yet"
            raise CommandError(f"{slug!r} has no {which}: results are exported once released.")

        summary = reader.summary
        rows = None if reader.release is None else releases.release_rows(reader.release)
        label = None if summary.release is None else summary.release.label
        if file_format == "json":
            self._write_text(json.dumps(export_json(diagnostic, summary), indent=2) + "\n", output)
        elif file_format == "csv":
            self._write_csv(
                export_csv_rows(diagnostic, include_names=include_names, rows=rows, release=label),
                output,
            )
        elif output is not None:  # Excel: refused above without --output
            output.write_bytes(
                export_xlsx(diagnostic, include_names=include_names, rows=rows, summary=summary)
            )

        # CSV and Excel hold raw evidence, so who exported what is recorded like a reading.
        audit(
            AuditEvent.Action.EXPORTED,
            diagnostic=diagnostic,
            detail={
                "format": file_format,
                "include_names": include_names,
                "via": "export_results",
                "release": reader.param,
            },
        )
        if output is not None:
            self.stderr.write(f"Wrote {output}" + (f" ({label})" if label else " (live figures)"))

    def _write_text(self, text: str, output: Path | None) -> None:
        if output is None:
            self.stdout.write(text, ending="")
        else:
            output.write_text(text, encoding="utf-8")

    def _write_csv(self, rows, output: Path | None) -> None:
        if output is None:
            writer = csv_writer(_Echo())
            for row in rows:
                self.stdout.write(writer.writerow(row), ending="")
            return
        # utf-8-sig writes a byte-order mark, so Excel reads the file as UTF-8.
        with output.open("w", newline="", encoding="utf-8-sig") as file:
            csv_writer(file).writerows(rows)
