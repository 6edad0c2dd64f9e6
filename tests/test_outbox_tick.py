"""``outbox_tick`` also prunes old task results: django-tasks-db keeps every one."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult


def _result(days_ago: int | None, status: str = "SUCCESSFUL") -> DBTaskResult:
    finished = None if days_ago is None else timezone.now() - timedelta(days=days_ago)
    return DBTaskResult.objects.create(
        status=status,
        finished_at=finished,
        args_kwargs={"args": [], "kwargs": {}},
        task_path="outbox.tasks.deliver",
        backend_name="default",
        queue_name="default",
        run_after=timezone.now(),
        exception_class_path="",
        traceback="",
    )


def test_the_tick_deletes_finished_results_older_than_the_setting(db, settings):
    settings.TASK_RESULTS_KEEP_DAYS = 10
    old, old_failure = _result(11), _result(30, status="FAILED")
    recent, waiting = _result(2), _result(None, status="READY")
    call_command("outbox_tick", stdout=StringIO())
    remaining = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert remaining == {recent.pk, waiting.pk}
    assert old.pk not in remaining and old_failure.pk not in remaining
