"""Sign-in lockout by username at an address, and by address across usernames.

django-axes compares one count with one limit. Locking an address after five failures
would lock a whole office behind one address because of five typing mistakes, yet
counting only a username at an address never stops one password tried over many
usernames (15 usernames, one attempt each, were never locked). So the address has its
own, higher limit, ``AXES_ADDRESS_FAILURE_LIMIT``, expressed here in the units of the
limit axes compares with.
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


class LockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials: dict | None = None) -> int:
        address = getattr(request, "axes_ip_address", None)
        attempts = AccessAttempt.objects.filter(
            ip_address=address, attempt_time__gte=get_cool_off_threshold(request)
        )
        username = get_client_username(request, credentials)
        for_username = _failures(attempts.filter(username=username))
        for_address = _failures(attempts)
        # for_address reaches AXES_FAILURE_LIMIT exactly when it reaches the address limit.
        scaled = for_address * settings.AXES_FAILURE_LIMIT // settings.AXES_ADDRESS_FAILURE_LIMIT
        return max(for_username, scaled)


def _failures(attempts) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
