from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = "Outbox"

    def ready(self) -> None:
        # Erasure in surveys reaches the outbox's copies of addresses through a hook, so
        # that surveys never imports the outbox (dependencies point towards surveys).
        from surveys.privacy import register_erase_hook

        from .erasure import erase_partner_email

        register_erase_hook(erase_partner_email)
