from django.urls import path, register_converter

from . import views


class ExportFormatConverter:
    regex = "csv|xlsx|json"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ExportFormatConverter, "export_format")

app_name = "reports"

urlpatterns = [
    # Reports: diagnostics the signed-in user may read (facilitators and steering members).
    path("", views.report_index, name="index"),
    path("<slug:slug>/", views.diagnostic_report, name="diagnostic"),
    path("<slug:slug>/report.pdf", views.report_pdf, name="pdf"),
    path("<slug:slug>/export.<export_format:fmt>", views.report_export, name="export"),
    # Facilitators only. A dot cannot be in a system's slug, so these never hide one.
    path("<slug:slug>/release.publish", views.release_publish, name="release_publish"),
    path("<slug:slug>/evidence.html", views.raw_evidence, name="evidence"),
    path("<slug:slug>/<slug:system_slug>/", views.system_report, name="system"),
    path("<slug:slug>/<slug:system_slug>/evidence/", views.system_evidence, name="system_evidence"),
]
