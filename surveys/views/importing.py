"""Facilitator pages for importing responses collected offline: upload, preview, confirm.

Thin views: the rules live in surveys.importing. The uploaded file waits in a
PendingImport that only the facilitator who uploaded it can see or confirm.
"""

from __future__ import annotations

from pathlib import PurePath

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.views.decorators.cache import never_cache

from config.forms import GDSForm

from ..access import diagnostic_for_facilitator
from ..diagnostics import round_systems
from ..importing import (
    COLUMNS,
    ImportFileError,
    pending_import_confirm,
    pending_import_create,
    pending_import_of,
    pending_import_plan,
)
from ..models import Diagnostic, PendingImport

ERRORS_IN_SUMMARY = 10
ERRORS_IN_TABLE = 500


class ImportUploadForm(GDSForm):
    submit_label = "Upload and check"

    file = forms.FileField(
        label="Upload a file",
        help_text="A CSV file or an Excel workbook (.xlsx), one row per rating.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
        error_messages={
            "required": "Select a CSV or Excel file",
            "empty": "The selected file is empty",
        },
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if PurePath(upload.name).suffix.lower() not in {".csv", ".xlsx"}:
            raise forms.ValidationError("The selected file must be a CSV or Excel (.xlsx) file")
        if upload.size > settings.MAX_UPLOAD_SIZE:
            raise forms.ValidationError(
                f"The selected file must be smaller than {filesizeformat(settings.MAX_UPLOAD_SIZE)}"
            )
        return upload


def _pending_import(request: HttpRequest, diagnostic: Diagnostic, public_id: str) -> PendingImport:
    """The user's own upload to this diagnostic, or 404: no one else's is reachable."""
    pending = pending_import_of(diagnostic=diagnostic, user=request.user, public_id=public_id)
    if pending is None:
        raise Http404("No such upload")
    return pending


@login_required
def import_upload(request: HttpRequest, slug: str) -> HttpResponse:
    diagnostic = diagnostic_for_facilitator(request, slug)
    # Bound on every POST: a POST without a file has empty POST and FILES, but still
    # needs its "Select a file" error.
    is_post = request.method == "POST"
    form = ImportUploadForm(request.POST, request.FILES) if is_post else ImportUploadForm()
    if is_post and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            pending = pending_import_create(
                diagnostic=diagnostic,
                user=request.user,
                filename=PurePath(upload.name).name,
                content=upload.read(),
            )
        except ImportFileError as error:
            form.add_error("file", str(error))
        else:
            return redirect("surveys:import_preview", diagnostic.slug, pending.public_id)
    return render(
        request,
        "surveys/import_upload.html",
        {
            "diagnostic": diagnostic,
            "form": form,
            "systems": round_systems(diagnostic),
            "columns": COLUMNS,
        },
    )


@login_required
@never_cache
def import_preview(request: HttpRequest, slug: str, public_id: str) -> HttpResponse:
    diagnostic = diagnostic_for_facilitator(request, slug)
    pending = _pending_import(request, diagnostic, public_id)
    try:
        if request.method == "POST":
            # Checked again: the diagnostic's systems may have changed since the preview.
            plan, result = pending_import_confirm(
                pending=pending, diagnostic=diagnostic, actor=request.user
            )
            if result is not None:
                messages.success(
                    request,
                    f"Imported {result.ratings} ratings in {result.responses} responses "
                    f"from {result.respondents} respondents.",
                )
                return redirect("surveys:diagnostic_detail", diagnostic.slug)
        else:
            plan = pending_import_plan(pending, diagnostic=diagnostic)
    except PendingImport.DoesNotExist:  # confirmed meanwhile, e.g. by a double click
        messages.info(request, "That file has already been imported.")
        return redirect("surveys:diagnostic_detail", diagnostic.slug)
    return render(
        request,
        "surveys/import_preview.html",
        {
            "diagnostic": diagnostic,
            "pending": pending,
            "plan": plan,
            "summary_errors": plan.errors[:ERRORS_IN_SUMMARY],
            "table_errors": plan.errors[:ERRORS_IN_TABLE],
            "errors_not_shown": max(0, len(plan.errors) - ERRORS_IN_TABLE),
        },
    )
