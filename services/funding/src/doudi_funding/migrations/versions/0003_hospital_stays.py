"""hospital stays (hospital-absence rules per pack)

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
        "hospital_stays",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("hospital_uscc", sa.String(length=18), nullable=False),
        sa.Column("admitted_on", sa.Date(), nullable=False),
        sa.Column("discharged_on", sa.Date(), nullable=True),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_hospital_stays_id_number"), "hospital_stays", ["id_number"],
                    unique=False)


def downgrade() -> None:
    op.drop_table("hospital_stays")
