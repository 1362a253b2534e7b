"""card documents: the one-person file (qingyunpu-2021 §五3)

Revision ID: 0003
Revises: 0002

Frozen: the tables as they were at this revision, written out here (a
migration never imports the live models, which move on).
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('card_documents',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('ref', sa.String(length=200), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('added_by', sa.String(length=100), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index("ix_card_documents_id_number", "card_documents", ["id_number"])


def downgrade() -> None:
    op.drop_table("card_documents")
