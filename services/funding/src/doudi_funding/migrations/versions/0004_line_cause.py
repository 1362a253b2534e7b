"""case_settlements.cause_event_id: the event behind each line

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("case_settlements",
                  sa.Column("cause_event_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_settlements") as batch:
        batch.drop_column("cause_event_id")
