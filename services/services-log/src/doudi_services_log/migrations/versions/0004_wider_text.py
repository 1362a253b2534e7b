"""wider text columns, as the gateway accepts them: card end reason 500,
provider names 128, evidence references 256, visit content 2000

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


WIDER = [
    ("service_cards", "end_reason", 100, 500, True),
    ("card_providers", "name", 100, 128, True),
    ("service_records", "provider_name", 100, 128, True),
    ("service_records", "evidence_ref", 200, 256, True),
    ("visits", "content", 1000, 2000, False),
]


def upgrade() -> None:
    for table, column, _, new, nullable in WIDER:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, type_=sa.String(new), existing_nullable=nullable)


def downgrade() -> None:
    for table, column, old, _, nullable in WIDER:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, type_=sa.String(old), existing_nullable=nullable)
