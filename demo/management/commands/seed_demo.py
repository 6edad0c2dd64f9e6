"""``manage.py seed_demo``: the fictional Northbridge demo, with demo accounts.

Safe to run again: the data is built once, and each run resets the demo accounts to the
passwords it prints.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from demo.northbridge import (
    CURRENT_TITLE,
    DEMO_ACCOUNTS,
    PLACE_NAME,
    SITE_URL,
    DemoFrameworkMissingError,
    demo_seed,
)


class Command(BaseCommand):
    help = (
        "Create demo data (a fictional city, Northbridge, with two rounds of a diagnostic) "
        "and demo accounts. Running it again only resets the demo accounts' passwords."
    )

    def handle(self, *args, **options) -> None:
        try:
            result = demo_seed()
        except DemoFrameworkMissingError:
            raise CommandError("Run manage.py loaddata framework first") from None

        counts = result.counts
        if result.created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created the {PLACE_NAME} demo: {counts['organisations']} organisations, "
                    f"{counts['systems']} systems, {counts['diagnostics']} rounds, "
                    f"{counts['invitations']} invitations, {counts['responses']} responses "
                    f"({counts['submitted']} submitted), {counts['ratings']} ratings."
                )
            )
        else:
            self.stdout.write(f"Demo data already present ({PLACE_NAME}); accounts reset.")

        self.stdout.write(f"\nOpen {SITE_URL} and sign in with a demo account:")
        for account in DEMO_ACCOUNTS:
            self.stdout.write(f"  {account.username} / {account.password}  ({account.what})")
        self.stdout.write(f'The current round is "{CURRENT_TITLE}".')
        self.stdout.write(
            self.style.WARNING(
                "These are demo accounts with published passwords: use them only on your "
                "own computer, never on a site others can reach."
            )
        )
