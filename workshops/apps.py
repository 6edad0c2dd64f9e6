from django.apps import AppConfig


class WorkshopsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "workshops"
    verbose_name = "Workshops"

    def ready(self) -> None:
        # A round closing ends its running workshops first, so that their answers are in
        # the final release (surveys calls its close hooks; it never imports workshops).
        from surveys.diagnostics import register_close_hook

        from .rules import workshops_end_on_close

        register_close_hook(workshops_end_on_close, first=True)
