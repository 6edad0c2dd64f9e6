"""Plain SQL for the few statements that run on every request of a hot path."""

from __future__ import annotations

import re

from django.db import DatabaseError
from django.db.backends.utils import CursorWrapper


class PreparedStatement:
    """A statement written with ``%(name)s`` parameters, run as a server-side prepared
    statement on PostgreSQL (planned once per connection, not on every call) and as
    plain SQL elsewhere."""

    def __init__(self, name: str, sql_by_vendor: dict[str, str]) -> None:
        self.name = name
        self.sql_by_vendor = sql_by_vendor
        sql = sql_by_vendor["postgresql"]
        self.parameters = list(dict.fromkeys(re.findall(r"%\((\w+)\)s", sql)))
        numbered = {name: f"${n}" for n, name in enumerate(self.parameters, start=1)}
        self.prepare_sql = f"PREPARE {name} AS " + re.sub(
            r"%\((\w+)\)s", lambda m: numbered[m.group(1)], sql
        )
        placeholders = ", ".join(["%s"] * len(self.parameters))
        self.execute_sql = f"EXECUTE {name} ({placeholders})"

    def execute(self, cursor: CursorWrapper, params: dict) -> None:
        database = cursor.db
        plain_sql = self.sql_by_vendor[database.vendor]
        if database.vendor != "postgresql" or database.in_atomic_block:
            # Inside a transaction, plain SQL: a failed EXECUTE would abort the caller's
            # transaction. (A request's save runs outside one.)
            cursor.execute(plain_sql, params)
            return
        # Prepared statements belong to one server connection: remember which.
        prepared = database.__dict__.setdefault("prepared_statements", {})
        if prepared.get(self.name) is not database.connection:
            try:
                cursor.execute(self.prepare_sql)
            except DatabaseError as error:
                if _pgcode(error) != DUPLICATE_PREPARED_STATEMENT:
                    raise
                # Prepared already on this server connection (a pooler hands out server
                # connections): use it.
            prepared[self.name] = database.connection
        try:
            cursor.execute(self.execute_sql, [params[name] for name in self.parameters])
        except DatabaseError as error:
            code = _pgcode(error)
            if code not in (UNDEFINED_PREPARED_STATEMENT, STALE_PREPARED_STATEMENT):
                raise
            # Gone (a pooler in transaction mode swapped the server connection) or stale
            # (a table changed under a long-lived connection): plain SQL works anywhere,
            # and the next save prepares it again.
            prepared.pop(self.name, None)
            if code == STALE_PREPARED_STATEMENT:
                cursor.execute(f"DEALLOCATE {self.name}")
            cursor.execute(plain_sql, params)


# PostgreSQL's error codes for prepared statements.
UNDEFINED_PREPARED_STATEMENT = "26000"
DUPLICATE_PREPARED_STATEMENT = "42P05"
STALE_PREPARED_STATEMENT = "0A000"  # "cached plan must not change result type"


def _pgcode(error: DatabaseError) -> str | None:
    return getattr(error.__cause__, "pgcode", None)
