"""The floors the partner's save is compared with, on the same gunicorn, Django and
PostgreSQL: (a) a view that answers "ok" and (b) the least a save can do."""

from __future__ import annotations

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET, require_POST


@require_GET
def ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@require_POST
def minimal_save(request: HttpRequest, rating_id: int) -> HttpResponse:
    """One indexed SELECT and one UPDATE of a row in a transaction, in raw SQL: what any
    save must pay for. The POST passes the same CSRF check as the partner's save."""
    score = 2 if request.POST.get("answer") == "2" else 4
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT version FROM surveys_rating WHERE id = %s FOR UPDATE", [rating_id])
        (version,) = cursor.fetchone()
        # dont_know goes with the score, as in a real save (a check constraint says so).
        cursor.execute(
            "UPDATE surveys_rating SET score = %s, dont_know = false, version = %s WHERE id = %s",
            [score, version + 1, rating_id],
        )
    return HttpResponse("saved", content_type="text/plain")
