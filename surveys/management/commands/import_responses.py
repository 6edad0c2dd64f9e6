"""Import responses collected offline from a CSV or XLSX file: all or nothing.

    manage.py import_responses FILE --diagnostic SLUG
    manage.py import_responses FILE --create-diagnostic "TITLE" --place "PLACE" \
        [--facilitator USERNAME ...]

The file format is described in docs/importing.md. With --create-diagnostic, the place
(if new), the diagnostic and the systems named in the file are created, each
--facilitator (a username or e-mail address) facilitates the place, and the new
diagnostic's slug is printed on the last line, for scripts.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from preconditions.framework import framework_default
from preconditions.models import Framework
from surveys.importing import (
    ImportFileError,
    ImportPlan,
    diagnostic_create_for_import,
    import_run,
    parse_import_file,
    validate_import,
)
from surveys.models import Diagnostic
from surveys.privacy import find_user, membership_change


class Command(BaseCommand):
    help = "Import responses collected offline from a CSV or Excel (.xlsx) file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="A .csv or .xlsx file, one row per rating.")
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--diagnostic", metavar="SLUG", help="Import into this diagnostic.")
        target.add_argument(
            "--create-diagnostic",
            metavar="TITLE",
            help="Create an open diagnostic with this title (needs --place) and import into it.",
        )
        parser.add_argument(
            "--place", metavar="PLACE", help="The place's name, created if it does not exist."
        )
        parser.add_argument(
            "--facilitator",
            metavar="USER",
            action="append",
            default=[],
            help=(
                "With --create-diagnostic: this user (username or e-mail address) "
                "facilitates the place. Repeat for several."
            ),
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and print counts only."
        )

    def handle(self, *args, file: str, **options) -> None:
        title, place = options["create_diagnostic"], options["place"]
        if title is not None and not (place or "").strip():
            raise CommandError("--create-diagnostic needs --place, the name of the place.")
        if title is not None and not title.strip():
            raise CommandError("--create-diagnostic needs a title.")
        if options["diagnostic"] and place:
            raise CommandError("--place goes with --create-diagnostic, not --diagnostic.")
        if options["diagnostic"] and options["facilitator"]:
            raise CommandError(
                "--facilitator goes with --create-diagnostic: an existing diagnostic's "
                "place has its facilitators."
            )
        facilitators = _users(options["facilitator"])

        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror or error}.") from None
        try:
            rows = parse_import_file(path.name, content)
        except ImportFileError as error:
            raise CommandError(f"Nothing imported: {error}") from None

        if title is not None:
            self._create_and_import(
                rows, path.name, title, place, facilitators, dry_run=options["dry_run"]
            )
        else:
            self._import(rows, path.name, options["diagnostic"], dry_run=options["dry_run"])

    def _import(self, rows, filename: str, slug: str, *, dry_run: bool) -> None:
        diagnostic = (
            Diagnostic.objects.select_related("place", "framework").filter(slug=slug).first()
        )
        if diagnostic is None:
            raise CommandError(f"There is no diagnostic with the slug '{slug}'.")
        if dry_run:
            plan = validate_import(
                rows,
                diagnostic=diagnostic,
                framework=diagnostic.framework,
                allow_new_systems=False,
            )
            self._stop_on_errors(plan)
            self._print_counts(plan, dry_run=True)
            return
        plan, _result = import_run(
            rows=rows, diagnostic=diagnostic, actor=None, filename=filename, allow_new_systems=False
        )
        self._stop_on_errors(plan)
        self._print_counts(plan)

    def _create_and_import(
        self, rows, filename: str, title: str, place: str, facilitators: list, *, dry_run: bool
    ) -> None:
        try:
            framework = framework_default()
        except Framework.DoesNotExist:
            raise CommandError(
                "The framework has not been loaded: run manage.py loaddata framework"
            ) from None
        # Check the file on its own first, so that a bad file creates nothing at all.
        plan = validate_import(rows, diagnostic=None, framework=framework, allow_new_systems=True)
        self._stop_on_errors(plan)
        if dry_run:
            self._print_counts(plan, dry_run=True)
            return
        # One transaction: if the file clashes with what an existing place already holds
        # (an organisation with another sector), the new diagnostic is rolled back too.
        with transaction.atomic():
            diagnostic = diagnostic_create_for_import(
                title=title, place_name=place, framework=framework
            )
            plan, _result = import_run(
                rows=rows,
                diagnostic=diagnostic,
                actor=None,
                filename=filename,
                allow_new_systems=True,
            )
            self._stop_on_errors(plan)
            for user in facilitators:
                membership_change(
                    diagnostic=diagnostic,
                    identifier=user.get_username(),
                    role="facilitator",
                    add=True,
                    actor=None,
                )
        self._print_counts(plan)
        self.stdout.write(f"Created the diagnostic {diagnostic.title} in {diagnostic.place.name}.")
        if facilitators:
            names = ", ".join(user.get_username() for user in facilitators)
            self.stdout.write(f"Facilitators of {diagnostic.place.name} now include: {names}.")
        self.stdout.write(diagnostic.slug)  # last, for scripts

    def _stop_on_errors(self, plan: ImportPlan) -> None:
        if not plan.errors:
            return
        for error in plan.errors:
            self.stderr.write(str(error))
        problems = "1 problem" if len(plan.errors) == 1 else f"{len(plan.errors)} problems"
        raise CommandError(f"Nothing imported: the file has {problems}.")

    def _print_counts(self, plan: ImportPlan, *, dry_run: bool = False) -> None:
        verb = "Would import" if dry_run else "Imported"
        self.stdout.write(
            f"{verb} {plan.rating_count} ratings ({plan.dont_know_count} don't know) in "
            f"{plan.response_count} responses from {plan.respondent_count} respondents; "
            f"{plan.new_organisation_count} new organisations, "
            f"{plan.new_system_count} new systems."
        )


def _users(identifiers: list[str]) -> list:
    """The users named, or a CommandError naming those not found (before any import)."""
    users: list = []
    unknown: list[str] = []
    for identifier in identifiers:
        user = find_user(identifier)
        if user is None:
            unknown.append(identifier)
        else:
            users.append(user)
    if unknown:
        raise CommandError(
            "Nothing imported: no user with the username or e-mail address "
            + ", ".join(f"'{name}'" for name in unknown)
            + "."
        )
    return users
