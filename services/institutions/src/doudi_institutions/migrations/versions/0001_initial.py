"""initial: outbox, inbox, person directory

Revision ID: 0001
Revises:
"""
from alembic import op
from doudi_common.persons import create_person_directory
from doudi_common.tables import create_common_tables, drop_common_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_common_tables(op)
    create_person_directory(op)


def downgrade() -> None:
    op.drop_table("person_directory")
    drop_common_tables(op)
