"""counters: the suite's one race-free counter shape (doudi_common.queries):
``value`` instead of ``last``, names up to 64 characters

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("counters") as batch:
        batch.alter_column("last", new_column_name="value", existing_type=sa.Integer,
                           existing_nullable=False)
        batch.alter_column("name", type_=sa.String(64), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("counters") as batch:
        batch.alter_column("value", new_column_name="last", existing_type=sa.Integer,
                           existing_nullable=False)
        batch.alter_column("name", type_=sa.String(40), existing_nullable=False)
