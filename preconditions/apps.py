from django.apps import AppConfig


class PreconditionsConfig(AppConfig):
    name = "preconditions"
    verbose_name = "Pre-conditions framework"
