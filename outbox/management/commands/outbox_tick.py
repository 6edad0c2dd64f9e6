"""The outbox's periodic work, run every few minutes by a timer (see README):

- queue the scheduled reminders that are due (e.g. 7 and 2 days before closing);
- queue a delivery task when e-mails wait but no task will send them (a worker was
  killed while it held them, or messages were queued while no worker ran);
- delete finished task results older than TASK_RESULTS_KEEP_DAYS (django-tasks-db keeps
  every one, so its table would otherwise grow with every batch sent).

Safe to run as often as you like, on any machine: everything it queues has an
idempotency key.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from outbox.queueing import scheduled_reminders_queue
from outbox.tasks import rescue_stalled, uses_database_backend


class Command(BaseCommand):
    help = "Queue due scheduled reminders and restart stalled deliveries."

    def handle(self, *args, **options) -> None:
        for slug, queued in scheduled_reminders_queue().items():
            self.stdout.write(f"{slug}: queued {queued} scheduled reminder(s)")
        if rescue_stalled():
            self.stdout.write("Queued a delivery task for e-mails that were waiting.")
        if uses_database_backend():
            call_command(
                "prune_db_task_results",
                queue_name="*",
                min_age_days=settings.TASK_RESULTS_KEEP_DAYS,
                verbosity=options["verbosity"],
                stdout=self.stdout,
            )
