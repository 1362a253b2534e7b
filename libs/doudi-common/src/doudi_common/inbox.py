"""Inbox: a consumer records (event id, handler) in the same transaction as its
effect, so a redelivered or duplicated event has no second effect.

Claims use INSERT … ON CONFLICT DO NOTHING … RETURNING: on PostgreSQL a
concurrent duplicate waits for the first transaction and then finds the row.
"""

from __future__ import annotations

from doudi_common.dates import utcnow
from doudi_common.queries import insert_rows


class Inbox:
    def __init__(self, uow, database):
        self._uow = uow
        self._database = database

    def claim(self, event_id: str, handler: str, event_type: str = "", source: str = "") -> bool:
        """True the first time (go on and apply the effect); False for a duplicate."""
        return bool(self._claim([{"event_id": event_id, "handler": handler,
                                  "event_type": event_type, "source": source,
                                  "received_at": utcnow()}]))

    def claim_many(self, events: list[dict], handler: str, source: str = "") -> list[dict]:
        """Claim a batch of envelopes in one statement; returns those claimed
        for the first time, in the given order (a repeat inside the batch counts
        as a duplicate too)."""
        now = utcnow()
        firsts, seen = [], set()
        for event in events:
            if event["id"] not in seen:
                seen.add(event["id"])
                firsts.append(event)
        if not firsts:
            return []
        claimed = self._claim([{"event_id": e["id"], "handler": handler,
                                "event_type": e.get("type", ""), "source": source,
                                "received_at": now} for e in firsts])
        return [event for event in firsts if event["id"] in claimed]

    def _claim(self, rows: list[dict]) -> set[str]:
        table = self._database.inbox_table
        # one statement whatever the batch size; RETURNING tells inserted from
        # skipped (rowcount is not reliable here)
        stmt, params = insert_rows(self._uow.session, table, rows)
        result = self._uow.session.execute(
            stmt.on_conflict_do_nothing(index_elements=["event_id", "handler"])
            .returning(table.c.event_id), params)
        return {row[0] for row in result}
