"""Queue named leads' reminders a week before an action is due, in the e-mail outbox.

Run it on the same timer as ``outbox_tick`` (README): safe to run as often as you like,
since each action and due date gets one reminder."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError

from actions.reminders import remind_action_leads


class Command(BaseCommand):
    help = "Queue an e-mail to each action's named lead once, a week before it is due."

    def add_arguments(self, parser):
        parser.add_argument(
            "--today", help="Act as if today were this date (YYYY-MM-DD), for testing."
        )

    def handle(self, *args, today=None, **options):
        on = None
        if today:
            try:
                on = datetime.date.fromisoformat(today)
            except ValueError:
                raise CommandError(f"--today must be a date as YYYY-MM-DD, got {today!r}") from None
        queued = remind_action_leads(today=on)
        self.stdout.write(
            f"Queued {queued} reminder{'s' if queued != 1 else ''} for the outbox to send."
        )
