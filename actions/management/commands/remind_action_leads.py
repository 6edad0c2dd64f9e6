"""Send named leads their reminder a week before an action is due (run daily, e.g. cron)."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError

from actions.reminders import remind_action_leads


class Command(BaseCommand):
    help = "E-mail each action's named lead once, a week before the action is due."

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
        sent = remind_action_leads(today=on)
        self.stdout.write(f"Sent {sent} reminder{'s' if sent != 1 else ''}.")
