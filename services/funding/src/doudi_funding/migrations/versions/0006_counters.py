"""counters: race-free, gap-free numbers per county for donations, funding
receipts and spending (they were counted with
``count(*) + 1``, which two concurrent writers can both take); seeded from the
rows already numbered, so numbering carries on where it stood

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "counters",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Integer, nullable=False),
    )
    op.execute("INSERT INTO counters (name, value) SELECT 'donation-' || county, count(*)"
               " FROM donations GROUP BY county")
    for cause in ("funding", "spend"):
        op.execute(f"INSERT INTO counters (name, value) SELECT '{cause}-' || county, count(*)"
                   f" FROM ledger_txns WHERE cause = '{cause}' AND county IS NOT NULL"
                   " GROUP BY county")


def downgrade() -> None:
    op.drop_table("counters")
