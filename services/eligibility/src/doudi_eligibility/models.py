"""Tables owned by eligibility. Nobody else reads them."""

from __future__ import annotations

import sqlalchemy as sa

from doudi_common.tables import add_common_tables

metadata = sa.MetaData()
outbox, inbox = add_common_tables(metadata)

persons = sa.Table(
    "persons", metadata,
    sa.Column("id_number", sa.String(18), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("birth_date", sa.Date, nullable=False),
    sa.Column("sex", sa.String(6), nullable=False),
    sa.Column("division_code", sa.String(12), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# Facts are a dated history, never overwritten: what was known, from whom, valid when.
person_facts = sa.Table(
    "person_facts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("id_number", sa.String(18), sa.ForeignKey("persons.id_number"), nullable=False,
              index=True),
    sa.Column("kind", sa.String(50), nullable=False),
    sa.Column("source", sa.String(50), nullable=False),
    sa.Column("source_event_id", sa.String(64), nullable=True),
    sa.Column("valid_from", sa.Date, nullable=True),
    sa.Column("valid_until", sa.Date, nullable=True),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
)
