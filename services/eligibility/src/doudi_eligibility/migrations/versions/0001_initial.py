"""initial: outbox, inbox, persons, person facts

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op
from doudi_common.tables import create_common_tables, drop_common_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_common_tables(op)
    op.create_table(
        "persons",
        sa.Column("id_number", sa.String(18), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("sex", sa.String(6), nullable=False),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_persons_division_code", "persons", ["division_code"])
    op.create_table(
        "person_facts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id_number", sa.String(18), sa.ForeignKey("persons.id_number"),
                  nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("source", sa.String(50), nullable=False),
        sa.Column("source_event_id", sa.String(64), nullable=True),
        sa.Column("valid_from", sa.Date, nullable=True),
        sa.Column("valid_until", sa.Date, nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
    )
    op.create_index("ix_person_facts_id_number", "person_facts", ["id_number"])


def downgrade() -> None:
    op.drop_table("person_facts")
    op.drop_table("persons")
    drop_common_tables(op)
