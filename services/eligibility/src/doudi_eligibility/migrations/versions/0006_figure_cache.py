"""figure_versions, figure_cache: the officials' figures kept per division and
month, computed again after any write to the rows they are made of
(doudi_common.figures)

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op
from doudi_common.timestamps import MOMENT

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("figure_versions",
                    sa.Column("name", sa.String(40), primary_key=True),
                    sa.Column("value", sa.BigInteger, nullable=False))
    op.create_table("figure_cache",
                    sa.Column("key", sa.String(120), primary_key=True),
                    sa.Column("version", sa.BigInteger, nullable=False),
                    sa.Column("day", sa.Date, nullable=False),
                    sa.Column("data", sa.JSON, nullable=False),
                    sa.Column("computed_at", MOMENT, nullable=False))
    # the figures' division filters (prefixes of the 12-digit code)
    op.create_index("ix_enrolments_division_code", "enrolments", ["division_code"])


def downgrade() -> None:
    op.drop_index("ix_enrolments_division_code", "enrolments")
    op.drop_table("figure_cache")
    op.drop_table("figure_versions")
