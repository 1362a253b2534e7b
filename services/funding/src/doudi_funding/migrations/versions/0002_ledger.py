"""ledger, cases, settlements, donations, payouts, service records

Revision ID: 0002
Revises: 0001
"""
from alembic import op
from doudi_funding.models import FUNDING_TABLES, metadata

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # the tables as of this revision (models.py is the single definition; a
    # later change to a table is a new migration that alters it)
    bind = op.get_bind()
    for name in FUNDING_TABLES:
        metadata.tables[name].create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    for name in reversed(FUNDING_TABLES):
        metadata.tables[name].drop(bind)
