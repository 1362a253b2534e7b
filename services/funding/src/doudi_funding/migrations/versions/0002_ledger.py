"""ledger, cases, settlements, donations, payouts, verified service lines

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = (
    "cases",
    "care_levels",
    "person_subsidies",
    "self_pay_ratios",
    "catalog_items",
    "accounts",
    "ledger_txns",
    "ledger_entries",
    "settlement_runs",
    "case_settlements",
    "donations",
    "payouts",
    "service_lines",
    "late_changes",
    "closed_months",
)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("county", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("purposes", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index(op.f("ix_accounts_county"), "accounts", ["county"], unique=False)
    op.create_table(
        "care_levels",
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("incapacity_level", sa.String(length=10), nullable=False),
        sa.Column("hardship", sa.String(length=200), server_default="", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id_number"),
    )
    op.create_table(
        "case_settlements",
        sa.Column("txn_id", sa.String(length=100), nullable=False),
        sa.Column("settlement_id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("line", sa.String(length=12), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("for_month", sa.String(length=7), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("county", sa.String(length=6), nullable=False),
        sa.Column("institution_uscc", sa.String(length=18), nullable=True),
        sa.Column("caregiver_id_number", sa.String(length=18), nullable=True),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("days_in_month", sa.Integer(), nullable=False),
        sa.Column("self_pay_ratio", sa.String(length=8), nullable=False),
        sa.Column("cost_fen", sa.BigInteger(), nullable=False),
        sa.Column("dibao_fen", sa.BigInteger(), nullable=False),
        sa.Column("dla_fen", sa.BigInteger(), nullable=False),
        sa.Column("sdns_fen", sa.BigInteger(), nullable=False),
        sa.Column("family_fen", sa.BigInteger(), nullable=False),
        sa.Column("don_earmarked_fen", sa.BigInteger(), nullable=False),
        sa.Column("don_pool_fen", sa.BigInteger(), nullable=False),
        sa.Column("county_fen", sa.BigInteger(), nullable=False),
        sa.Column("caregiver_subsidy_fen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("txn_id"),
        sa.UniqueConstraint("case_id", "for_month", "month", name="uq_case_month"),
    )
    op.create_index(
        op.f("ix_case_settlements_id_number"), "case_settlements", ["id_number"], unique=False
    )
    op.create_index(
        op.f("ix_case_settlements_institution_uscc"),
        "case_settlements",
        ["institution_uscc"],
        unique=False,
    )
    op.create_index(
        op.f("ix_case_settlements_settlement_id"),
        "case_settlements",
        ["settlement_id"],
        unique=False,
    )
    op.create_table(
        "cases",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("division_code", sa.String(length=12), nullable=False),
        sa.Column("county", sa.String(length=6), nullable=False),
        sa.Column("institution_uscc", sa.String(length=18), nullable=True),
        sa.Column("caregiver_id_number", sa.String(length=18), nullable=True),
        sa.Column("monthly_price_fen", sa.BigInteger(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.String(length=40), nullable=True),
        sa.Column("enrolment_id", sa.String(length=64), nullable=True),
        sa.Column("source_event_id", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index("ix_cases_county_start", "cases", ["county", "start_date"], unique=False)
    op.create_index(op.f("ix_cases_id_number"), "cases", ["id_number"], unique=False)
    op.create_table(
        "catalog_items",
        sa.Column("institution_uscc", sa.String(length=18), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("price_fen", sa.BigInteger(), nullable=False),
        sa.Column("room_type", sa.String(length=32), nullable=True),
        sa.Column("care_level", sa.String(length=10), nullable=True),
        sa.Column("event_id", sa.String(length=64), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("institution_uscc", "item_code", "effective_from"),
    )
    op.create_table(
        "closed_months",
        sa.Column("close_key", sa.String(length=40), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("close_key", "month"),
    )
    op.create_table(
        "donations",
        sa.Column("donation_id", sa.String(length=64), nullable=False),
        sa.Column("receipt_no", sa.String(length=64), nullable=False),
        sa.Column("county", sa.String(length=6), nullable=False),
        sa.Column("division_code", sa.String(length=12), nullable=False),
        sa.Column("donor_name", sa.String(length=100), nullable=True),
        sa.Column("donor_uscc", sa.String(length=18), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("earmark", sa.String(length=20), nullable=False),
        sa.Column("institution_uscc", sa.String(length=18), nullable=True),
        sa.Column("txn_id", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("donation_id"),
        sa.UniqueConstraint("receipt_no"),
    )
    op.create_index(op.f("ix_donations_county"), "donations", ["county"], unique=False)
    op.create_table(
        "late_changes",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("for_month", sa.String(length=7), nullable=False),
        sa.Column("county", sa.String(length=6), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=True),
        sa.Column("noted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "for_month"),
    )
    op.create_table(
        "ledger_entries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("txn_id", sa.String(length=100), nullable=False),
        sa.Column("account", sa.String(length=80), nullable=False),
        sa.Column("party", sa.String(length=18), nullable=True),
        sa.Column("id_number", sa.String(length=18), nullable=True),
        sa.Column("case_id", sa.String(length=64), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_entries_account", "ledger_entries", ["account", "party"], unique=False)
    op.create_index("ix_entries_person", "ledger_entries", ["id_number"], unique=False)
    op.create_index("ix_entries_txn", "ledger_entries", ["txn_id"], unique=False)
    op.create_table(
        "ledger_txns",
        sa.Column("txn_id", sa.String(length=100), nullable=False),
        sa.Column("cause", sa.String(length=20), nullable=False),
        sa.Column("purpose", sa.String(length=30), nullable=True),
        sa.Column("county", sa.String(length=6), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=True),
        sa.Column("settlement_id", sa.String(length=64), nullable=True),
        sa.Column("case_id", sa.String(length=64), nullable=True),
        sa.Column("event_id", sa.String(length=64), nullable=True),
        sa.Column("reverses", sa.String(length=100), nullable=True),
        sa.Column("memo", sa.String(length=500), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("txn_id"),
        sa.UniqueConstraint("reverses"),
    )
    op.create_index(
        op.f("ix_ledger_txns_settlement_id"), "ledger_txns", ["settlement_id"], unique=False
    )
    op.create_table(
        "payouts",
        sa.Column("payout_id", sa.String(length=100), nullable=False),
        sa.Column("settlement_id", sa.String(length=64), nullable=True),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("county", sa.String(length=6), nullable=False),
        sa.Column("payee_kind", sa.String(length=20), nullable=False),
        sa.Column("payee_uscc", sa.String(length=18), nullable=True),
        sa.Column("payee_id_number", sa.String(length=18), nullable=True),
        sa.Column("purpose", sa.String(length=30), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("txn_id", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("payout_id"),
    )
    op.create_index(op.f("ix_payouts_settlement_id"), "payouts", ["settlement_id"], unique=False)
    op.create_table(
        "person_subsidies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("monthly_fen", sa.BigInteger(), nullable=False),
        sa.Column("from_month", sa.String(length=7), nullable=False),
        sa.Column("to_month", sa.String(length=7), nullable=True),
        sa.Column("source_event_id", sa.String(length=64), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_person_subsidies_id_number"), "person_subsidies", ["id_number"], unique=False
    )
    op.create_table(
        "self_pay_ratios",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("from_month", sa.String(length=7), nullable=False),
        sa.Column("ratio", sa.String(length=8), nullable=False),
        sa.Column("band", sa.String(length=100), nullable=True),
        sa.Column("per_capita_fen", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("clause", sa.String(length=100), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_self_pay_ratios_id_number"), "self_pay_ratios", ["id_number"], unique=False
    )
    op.create_table(
        "service_lines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("division_code", sa.String(length=12), nullable=False),
        sa.Column("county", sa.String(length=6), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("provider_kind", sa.String(length=20), nullable=False),
        sa.Column("provider_uscc", sa.String(length=18), nullable=True),
        sa.Column("provider_id_number", sa.String(length=18), nullable=True),
        sa.Column("service_item", sa.String(length=40), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("paid_ref", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_service_lines_county", "service_lines", ["county", "paid_ref"], unique=False
    )
    op.create_index(op.f("ix_service_lines_event_id"), "service_lines", ["event_id"], unique=False)
    op.create_table(
        "settlement_runs",
        sa.Column("settlement_id", sa.String(length=64), nullable=False),
        sa.Column("county", sa.String(length=6), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("own_fen", sa.BigInteger(), nullable=False),
        sa.Column("family_fen", sa.BigInteger(), nullable=False),
        sa.Column("donations_fen", sa.BigInteger(), nullable=False),
        sa.Column("county_fen", sa.BigInteger(), nullable=False),
        sa.Column("caregiver_subsidy_fen", sa.BigInteger(), nullable=False),
        sa.Column("service_subsidy_fen", sa.BigInteger(), nullable=False),
        sa.Column("management_fee_fen", sa.BigInteger(), nullable=False),
        sa.Column("adjustments_fen", sa.BigInteger(), nullable=False),
        sa.Column("trigger_event_id", sa.String(length=64), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("settlement_id"),
        sa.UniqueConstraint("county", "month", name="uq_runs_county_month"),
    )


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
