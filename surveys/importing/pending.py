"""Uploads waiting for confirmation: the rows of an uploaded file, kept (they hold
personal data, so for a day at most) from the preview until the facilitator confirms."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..models import (
    Diagnostic,
    PendingImport,
)
from .apply import ImportResult, import_run
from .read import parse_import_file
from .validate import ImportPlan, validate_import

PENDING_IMPORT_MAX_AGE = timedelta(days=1)


# --- Uploads waiting for confirmation ----------------------------------------------------


def pending_import_create(
    *, diagnostic: Diagnostic, user, filename: str, content: bytes
) -> PendingImport:
    """Read an uploaded file once and keep its rows until the preview is confirmed.
    Raises ImportFileError if the file cannot be read at all, so that shows on the upload
    form. Replaces the user's earlier uploads to this diagnostic and clears anyone's
    abandoned ones, since they hold personal data."""
    rows = parse_import_file(filename, content)
    with transaction.atomic():
        PendingImport.objects.filter(
            Q(diagnostic=diagnostic, uploaded_by=user)
            | Q(created_at__lt=timezone.now() - PENDING_IMPORT_MAX_AGE)
        ).delete()
        return PendingImport.objects.create(
            diagnostic=diagnostic, uploaded_by=user, filename=filename[:255], rows=rows
        )


def pending_import_of(*, diagnostic: Diagnostic, user, public_id: str) -> PendingImport | None:
    """The user's own upload to this diagnostic (no one else's is reachable), if it has
    not expired; None otherwise."""
    if "\x00" in public_id:  # %00 in a URL: PostgreSQL refuses NUL in a query
        return None
    return PendingImport.objects.filter(
        public_id=public_id,
        diagnostic=diagnostic,
        uploaded_by=user,
        created_at__gte=timezone.now() - PENDING_IMPORT_MAX_AGE,
    ).first()


def pending_import_plan(pending: PendingImport, *, diagnostic: Diagnostic) -> ImportPlan:
    return validate_import(
        pending.rows,
        diagnostic=diagnostic,
        framework=diagnostic.framework,
        allow_new_systems=False,
    )


def pending_import_confirm(
    *, pending: PendingImport, diagnostic: Diagnostic, actor
) -> tuple[ImportPlan, ImportResult | None]:
    """Validate the rows again (the diagnostic may have changed since the preview) and
    import them. Raises PendingImport.DoesNotExist if they were confirmed meanwhile."""
    with transaction.atomic():
        locked = PendingImport.objects.select_for_update().filter(pk=pending.pk).first()
        if locked is None:
            raise PendingImport.DoesNotExist
        plan, result = import_run(
            rows=locked.rows,
            diagnostic=diagnostic,
            actor=actor,
            filename=locked.filename,
            allow_new_systems=False,
        )
        if result is not None:
            locked.delete()
    return plan, result
