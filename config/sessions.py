"""Django's database sessions, read with one plain SQL statement.

A partner's browser saves every few seconds while they type, and each save reads the
session to know which invitation the browser holds. Django reads it through the ORM,
whose query building cost more CPU than the save's own UPDATE (docs/performance.md).
Same table, same rows, same expiry rule; writing, cycling and deleting are Django's own.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        model = self.model
        connection = connections[router.db_for_read(model)]
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s",
                [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())],
            )
            row = cursor.fetchone()
        if row is None:
            # As Django's: an unknown or expired key is forgotten, so a new one is made.
            self._session_key = None
            return None
        # What load() reads: the data (decoded, and its own expiry checked, by Django).
        return model(session_key=self.session_key, session_data=row[0])
