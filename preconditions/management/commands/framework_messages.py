"""Write preconditions/framework_messages.py from the framework fixture, for makemessages."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from preconditions.translation import MESSAGES_MODULE, fixture_messages, messages_module_source


class Command(BaseCommand):
    help = (
        "List the framework fixture's texts for makemessages (preconditions/framework_messages.py)."
    )

    def handle(self, *args, **options) -> None:
        MESSAGES_MODULE.write_text(messages_module_source(), encoding="utf-8")
        self.stdout.write(f"Wrote {len(fixture_messages())} texts to {MESSAGES_MODULE.name}.")
