"""public-welfare posts (公益岗) held at an institution (puyang-2020 §四(三))

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
    with op.batch_alter_table("institutions") as batch:
        batch.add_column(sa.Column("public_welfare_posts", sa.Integer, nullable=False,
                                   server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("institutions") as batch:
        batch.drop_column("public_welfare_posts")
