"""Django's database sessions, read with one prepared SQL statement.

A partner's browser saves every few seconds while they type, and each save reads the
session to know which invitation the browser holds. Django reads it through the ORM,
whose query building cost more CPU than the save's own UPDATE (docs/performance.md).
Same table, same rows, same expiry rule; writing, cycling and deleting are Django's own.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone

from .db import PreparedStatement

_READ_SQL = (
    "SELECT session_data FROM django_session WHERE session_key = %(key)s AND expire_date > %(now)s"
)
_READ = PreparedStatement("config_session_read", {"postgresql": _READ_SQL, "sqlite": _READ_SQL})


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        model = self.model
        connection = connections[router.db_for_read(model)]
        if model._meta.db_table != "django_session" or connection.vendor not in (
            "postgresql",
            "sqlite",
        ):
            return super()._get_session_from_db()  # another session model or database
        with connection.cursor() as cursor:
            _READ.execute(
                cursor,
                {
                    "key": self.session_key,
                    "now": connection.ops.adapt_datetimefield_value(timezone.now()),
                },
            )
            row = cursor.fetchone()
        if row is None:
            # As Django's: an unknown or expired key is forgotten, so a new one is made.
            self._session_key = None
            return None
        # What load() reads: the data (decoded, and its own expiry checked, by Django).
        return model(session_key=self.session_key, session_data=row[0])
