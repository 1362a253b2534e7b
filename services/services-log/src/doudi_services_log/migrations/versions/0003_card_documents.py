"""card documents: the one-person file (qingyunpu-2021 §五3)

Revision ID: 0003
Revises: 0002
"""
from alembic import op
from doudi_services_log import models as m

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("card_documents", *m.card_document_columns())


def downgrade() -> None:
    op.drop_table("card_documents")
