"""care level changes during a stay

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "care_level_changes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("placement_id", sa.Integer, sa.ForeignKey("placements.id"), nullable=False,
                  index=True),
        sa.Column("care_level", sa.String(8), nullable=False),
        sa.Column("from_on", sa.Date, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("care_level_changes")
