"""person_facts, pending_facts: when the department reported the fact (its
event's time), so the history reads the same whatever order events arrive in

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op
from doudi_common.timestamps import MOMENT

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("person_facts", "pending_facts"):
        op.add_column(table, sa.Column("reported_at", MOMENT, nullable=True))


def downgrade() -> None:
    for table in ("pending_facts", "person_facts"):
        op.drop_column(table, "reported_at")
