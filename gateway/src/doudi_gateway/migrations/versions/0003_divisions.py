"""divisions: townships and villages by name, registered by an administrator

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "divisions",
        sa.Column("code", sa.String(12), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("parent_code", sa.String(12), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_divisions_parent_code", "divisions", ["parent_code"])


def downgrade() -> None:
    op.drop_index("ix_divisions_parent_code", "divisions")
    op.drop_table("divisions")
