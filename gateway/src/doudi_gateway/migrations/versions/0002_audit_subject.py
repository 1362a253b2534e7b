"""audit_log.subject: a keyed hash of the person's ID number, so auditors can
ask "who touched this person" without the trail holding full ID numbers

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("subject", sa.String(64), nullable=True))
        batch.create_index("ix_audit_log_subject", ["subject"])


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_index("ix_audit_log_subject")
        batch.drop_column("subject")
