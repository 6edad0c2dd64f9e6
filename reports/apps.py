from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        # The final release is made as the round closes; surveys calls its close hooks
        # so that it never imports reports (docs/decisions.md, "Releases").
        from surveys.diagnostics import register_close_hook

        from .releases import release_on_close

        register_close_hook(release_on_close)
