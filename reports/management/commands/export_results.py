"""``manage.py export_results SLUG --format json|csv|xlsx [--output FILE] [--include-names]``."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reports.exports import csv_writer, export_csv_rows, export_json, export_xlsx
from surveys.models import AuditEvent, Diagnostic


class _Echo:
    """Lets a CSV writer hand back each line instead of writing it."""

    def write(self, value: str) -> str:
        return value


class Command(BaseCommand):
    help = (
        "Export a diagnostic's results: the suppressed summary as JSON, or every rating as "
        "CSV or Excel (for facilitators). Writes to standard output unless --output is given; "
        "Excel needs --output."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="The diagnostic's slug.")
        parser.add_argument(
            "--format", dest="file_format", choices=["json", "csv", "xlsx"], default="json"
        )
        parser.add_argument("--output", type=Path, help="The file to write (default: stdout).")
        parser.add_argument(
            "--include-names",
            action="store_true",
            help="Add respondent and organisation names to CSV and Excel rows. Off by default.",
        )

    def handle(self, *args, slug: str, file_format: str, output: Path | None, **options) -> None:
        include_names: bool = options["include_names"]
        if file_format == "xlsx" and output is None:
            raise CommandError("Excel is a binary file: give --output FILE.xlsx to write it.")
        diagnostic = Diagnostic.objects.select_related("place").filter(slug=slug).first()
        if diagnostic is None:
            raise CommandError(f"There is no diagnostic with the slug {slug!r}.")

        if file_format == "json":
            self._write_text(json.dumps(export_json(diagnostic), indent=2) + "\n", output)
        elif file_format == "csv":
            self._write_csv(export_csv_rows(diagnostic, include_names=include_names), output)
        else:
            output.write_bytes(export_xlsx(diagnostic, include_names=include_names))

        # CSV and Excel hold raw evidence, so who exported what is recorded like a reading.
        AuditEvent.objects.create(
            diagnostic=diagnostic,
            place=diagnostic.place,
            action=AuditEvent.Action.EXPORTED,
            detail={"format": file_format, "include_names": include_names, "via": "export_results"},
        )
        if output is not None:
            self.stderr.write(f"Wrote {output}")

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
