"""Inbox: a consumer records (event id, handler) in the same transaction as its
effect, so a redelivered or duplicated event has no second effect.

``claim`` uses INSERT … ON CONFLICT DO NOTHING: on PostgreSQL a concurrent
duplicate waits for the first transaction and then finds the row.
"""

from __future__ import annotations

from doudi_common.db import utcnow


class Inbox:
    def __init__(self, uow, database):
        self._uow = uow
        self._database = database

    def claim(self, event_id: str, handler: str, event_type: str = "", source: str = "") -> bool:
        """True the first time (go on and apply the effect); False for a duplicate."""
        session = self._uow.session
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        result = session.execute(
            insert(self._database.inbox_table)
            .values(event_id=event_id, handler=handler, event_type=event_type, source=source,
                    received_at=utcnow())
            .on_conflict_do_nothing(index_elements=["event_id", "handler"])
            # RETURNING tells inserted from skipped; rowcount is not reliable here
            .returning(self._database.inbox_table.c.event_id))
        return result.first() is not None
