"""end_reason up to 500 characters (staff write a sentence)

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
    with op.batch_alter_table("service_cards") as batch:
        batch.alter_column("end_reason", type_=sa.String(500), existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("service_cards") as batch:
        batch.alter_column("end_reason", type_=sa.String(100), existing_nullable=True)
