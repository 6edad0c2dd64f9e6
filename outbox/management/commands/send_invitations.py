"""Queue the e-mails of a round and return at once (the worker sends them):

    manage.py send_invitations SLUG               # links to everyone not yet e-mailed
    manage.py send_invitations SLUG --reminder    # reminders (sent their link, not submitted)

Prints how many were queued and how many were skipped and why. Running it again queues
nothing new: each message has an idempotency key.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from outbox.models import Kind
from outbox.queueing import emails_queue
from surveys.models import Diagnostic


class Command(BaseCommand):
    help = "Queue invitation e-mails (or reminders) for a round; the worker sends them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="The diagnostic (round).")
        parser.add_argument(
            "--reminder", action="store_true", help="Queue reminders instead of invitations."
        )
        parser.add_argument(
            "--insist",
            action="store_true",
            help="With --reminder: remind people reminded in the last 24 hours too.",
        )

    def handle(self, *args, slug: str, reminder: bool, insist: bool, **options) -> None:
        diagnostic = Diagnostic.objects.select_related("place").filter(slug=slug).first()
        if diagnostic is None:
            raise CommandError(f"There is no diagnostic {slug!r}.")
        result = emails_queue(
            diagnostic=diagnostic,
            kind=Kind.REMINDER if reminder else Kind.INVITATION,
            actor=None,
            insist=insist,
        )
        self.stdout.write(result.summary())
        if result.batch:
            self.stdout.write(f"Batch {result.batch.public_id}")
