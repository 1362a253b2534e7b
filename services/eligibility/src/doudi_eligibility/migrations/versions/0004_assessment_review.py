"""enrolments: when the incapacity assessment they rest on expires, and whether
its review was announced

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
    op.add_column("enrolments", sa.Column("assessment_valid_until", sa.Date, nullable=True))
    op.add_column("enrolments", sa.Column("assessment_review_sent_for", sa.Date,
                                          nullable=True))


def downgrade() -> None:
    op.drop_column("enrolments", "assessment_review_sent_for")
    op.drop_column("enrolments", "assessment_valid_until")
