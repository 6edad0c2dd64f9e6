"""Invite partners in bulk from a file, as the bulk-invitation page does:

    manage.py invite SLUG FILE

FILE has the columns ``name, email, organisation, sector, role, systems`` (CSV with
commas, semicolons or tabs; UTF-8, UTF-16 or Windows-1252). Every problem is printed with
its line and nothing is created if there is one. Idempotent: an address already invited
for a system is reported and left out, so running it again with the same file creates
nothing. It does not e-mail anyone: ``manage.py send_invitations SLUG`` does.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from surveys.bulk_invitations import (
    BulkInputError,
    decode_upload,
    invitations_bulk_create,
    plan_from_text,
)
from surveys.models import Diagnostic


class Command(BaseCommand):
    help = "Create invitations from a CSV file (name, email, organisation, sector, role, systems)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="The diagnostic (round) to invite to.")
        parser.add_argument("file", help="A CSV file with a header line.")

    def handle(self, *args, slug: str, file: str, **options) -> None:
        diagnostic = Diagnostic.objects.select_related("place").filter(slug=slug).first()
        if diagnostic is None:
            raise CommandError(f"There is no diagnostic {slug!r}.")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"There is no file {file!r}.")
        try:
            plan = plan_from_text(diagnostic=diagnostic, text=decode_upload(path.read_bytes()))
        except BulkInputError as error:
            raise CommandError(str(error)) from None
        for problem in plan.errors:
            self.stderr.write(problem)
        if plan.errors:
            raise CommandError(f"{len(plan.errors)} line(s) have problems: nothing was created.")
        for row in plan.duplicate_rows:
            self.stdout.write(f"Line {row.line}: {'; '.join(row.duplicates)}.")
        created = invitations_bulk_create(diagnostic=diagnostic, plan=plan, actor=None)
        duplicates = sum(1 for row in plan.rows if row.is_duplicate)
        self.stdout.write(
            f"Created {len(created)} invitation(s); {duplicates} line(s) already invited "
            "were left out."
        )
