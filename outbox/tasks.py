"""Background tasks on Django's Tasks API (the django-tasks backport: on Django 6 the
same code imports from ``django.tasks``). Run by ``manage.py db_worker``."""

from __future__ import annotations

import math
from dataclasses import asdict
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone
from django_tasks import task, task_backends

from .delivery import deliver_due
from .models import OutboxEmail, Status

# A batch is split into this many messages per task, so several workers share it.
MESSAGES_PER_TASK = 25
MAX_PARALLEL_TASKS = 8


@task()
def deliver_outbox() -> dict:
    """Send everything due; then make sure a later task will pick up what is left
    (retries, or messages held by a worker that may have died)."""
    report = deliver_due()
    schedule_followup()
    return asdict(report)


def enqueue_delivery(messages: int = 1) -> None:
    """Ask the workers to send, once the current transaction (which queued the rows)
    has committed: a worker must find the rows when it starts."""
    tasks = max(1, min(MAX_PARALLEL_TASKS, math.ceil(messages / MESSAGES_PER_TASK)))

    def enqueue() -> None:
        for _ in range(tasks):
            deliver_outbox.enqueue()

    transaction.on_commit(enqueue)


def next_pending_time(now: datetime | None = None) -> datetime | None:
    """When something still waiting can next be tried (None: nothing waits)."""
    now = now or timezone.now()
    pending = OutboxEmail.objects.filter(status__in=[Status.QUEUED, Status.RETRYING])
    times = pending.aggregate(
        free=Min(
            "next_attempt_at", filter=Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
        ),
        held=Min("claimed_until", filter=Q(claimed_until__gte=now)),
    )
    candidates = [t for t in times.values() if t is not None]
    return min(candidates) if candidates else None


def uses_database_backend() -> bool:
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task_backends["default"], DatabaseBackend)


def schedule_followup() -> None:
    when = next_pending_time()
    if when is None:
        return
    if uses_database_backend():
        from django_tasks_db.models import DBTaskResult

        # One waiting delivery task that runs soon enough is all that is needed.
        waiting = DBTaskResult.objects.filter(
            status="READY", task_path=deliver_outbox.module_path, run_after__lte=when
        )
        if waiting.exists():
            return
    when = max(when, timezone.now()) + timedelta(seconds=1)
    deliver_outbox.using(run_after=when).enqueue()


def worker_seems_missing(now: datetime | None = None) -> bool:
    """True when delivery tasks have waited more than a minute: no worker is running."""
    if not uses_database_backend():
        return False
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    late = now - timedelta(seconds=60)
    return (
        DBTaskResult.objects.ready()
        .filter(task_path=deliver_outbox.module_path)
        .filter(Q(enqueued_at__lt=late))
        .filter(Q(run_after__lt=late) | Q(run_after__year=9999))
        .exists()
    )


def rescue_stalled() -> bool:
    """Queue a delivery task if messages wait but no task will send them (the worker that
    had them was killed, or none ran). Called by ``manage.py outbox_tick``."""
    if OutboxEmail.objects.due().exists():
        if uses_database_backend():
            from django_tasks_db.models import DBTaskResult

            ready = DBTaskResult.objects.ready().filter(task_path=deliver_outbox.module_path)
            if ready.exists():
                return False
        deliver_outbox.enqueue()
        return True
    schedule_followup()
    return False
