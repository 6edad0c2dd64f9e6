"""The application's routes plus the two floors of the load test. Only ``bench.settings``
(the benchmark's gunicorn) uses this module, so production has no such routes."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("bench/ok/", views.ok, name="bench_ok"),
    path("bench/minimal-save/<int:rating_id>/", views.minimal_save, name="bench_minimal_save"),
    path("", include("config.urls")),
]
