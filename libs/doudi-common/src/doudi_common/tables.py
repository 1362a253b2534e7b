"""Tables every service has: the outbox (events waiting to be published) and
the inbox (events already handled, for idempotent consumers).

Each service owns its own copies; ``add_common_tables(metadata)`` puts them into
the service's metadata and ``create_common_tables(op)`` is called from each
service's first alembic migration.
"""

from __future__ import annotations

import sqlalchemy as sa

from doudi_common.timestamps import MOMENT

OUTBOX = "outbox"
INBOX = "inbox"


def outbox_columns() -> list[sa.Column]:
    return [
        # seq gives the publish order; the relay publishes strictly by seq
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("aggregate_key", sa.String(100), nullable=True),
        sa.Column("envelope", sa.Text, nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("sent_at", MOMENT, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    ]


def inbox_columns() -> list[sa.Column]:
    return [
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("handler", sa.String(200), primary_key=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("received_at", MOMENT, nullable=False),
    ]


def add_common_tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    outbox = sa.Table(OUTBOX, metadata, *outbox_columns(),
                      sa.Index("ix_outbox_pending", "sent_at", "seq"))
    inbox = sa.Table(INBOX, metadata, *inbox_columns())
    return outbox, inbox


def create_common_tables(op) -> None:
    """For a service's first alembic migration."""
    op.create_table(OUTBOX, *outbox_columns())
    op.create_index("ix_outbox_pending", OUTBOX, ["sent_at", "seq"])
    op.create_table(INBOX, *inbox_columns())


def drop_common_tables(op) -> None:
    op.drop_table(INBOX)
    op.drop_index("ix_outbox_pending", OUTBOX)
    op.drop_table(OUTBOX)
