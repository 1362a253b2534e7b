"""Tables owned by funding. Nobody else reads them.

Money columns are integer fen (``*_fen``, BigInteger)."""

from __future__ import annotations

import sqlalchemy as sa
from doudi_common.persons import add_person_directory
from doudi_common.queries import add_counters
from doudi_common.tables import add_common_tables
from doudi_common.timestamps import MOMENT

metadata = sa.MetaData()
outbox, inbox = add_common_tables(metadata)
person_directory = add_person_directory(metadata)
# gap-free numbers per county: donations, receipts, spending, service batches
counters = add_counters(metadata)

TZ = MOMENT
FEN = sa.BigInteger


def case_columns():
    return [
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),  # centralized | neighbor
        sa.Column("id_number", sa.String(18), nullable=False, index=True),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("county", sa.String(6), nullable=False),
        sa.Column("institution_uscc", sa.String(18), nullable=True),
        sa.Column("caregiver_id_number", sa.String(18), nullable=True),
        sa.Column("monthly_price_fen", FEN, nullable=True),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date, nullable=True),
        sa.Column("end_reason", sa.String(40), nullable=True),
        sa.Column("enrolment_id", sa.String(64), nullable=True),
        sa.Column("source_event_id", sa.String(64), nullable=True),
        sa.Column("updated_at", TZ, nullable=False),
    ]


cases = sa.Table("cases", metadata, *case_columns(),
                 sa.Index("ix_cases_county_start", "county", "start_date"))

care_levels = sa.Table(
    "care_levels", metadata,
    sa.Column("id_number", sa.String(18), primary_key=True),
    sa.Column("incapacity_level", sa.String(10), nullable=False),
    sa.Column("hardship", sa.String(200), nullable=False, server_default=""),
    sa.Column("updated_at", TZ, nullable=False),
)

person_subsidies = sa.Table(
    "person_subsidies", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("id_number", sa.String(18), nullable=False, index=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("monthly_fen", FEN, nullable=False),
    sa.Column("from_month", sa.String(7), nullable=False),
    sa.Column("to_month", sa.String(7), nullable=True),
    sa.Column("source_event_id", sa.String(64), nullable=True),
    sa.Column("recorded_at", TZ, nullable=False),
)

self_pay_ratios = sa.Table(
    "self_pay_ratios", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("id_number", sa.String(18), nullable=False, index=True),
    sa.Column("from_month", sa.String(7), nullable=False),
    sa.Column("ratio", sa.String(8), nullable=False),
    sa.Column("band", sa.String(100), nullable=True),
    sa.Column("per_capita_fen", FEN, nullable=True),
    sa.Column("reason", sa.String(200), nullable=False),
    sa.Column("clause", sa.String(100), nullable=True),
    sa.Column("recorded_at", TZ, nullable=False),
)

catalog_items = sa.Table(
    # institutions' priced catalogue (catalog.price_changed), one row per version
    "catalog_items", metadata,
    sa.Column("institution_uscc", sa.String(18), primary_key=True),
    sa.Column("item_code", sa.String(64), primary_key=True),
    sa.Column("effective_from", sa.Date, primary_key=True),
    sa.Column("category", sa.String(20), nullable=False),
    sa.Column("unit", sa.String(10), nullable=False),
    sa.Column("price_fen", FEN, nullable=False),
    sa.Column("room_type", sa.String(32), nullable=True),
    sa.Column("care_level", sa.String(10), nullable=True),
    sa.Column("event_id", sa.String(64), nullable=True),
    sa.Column("recorded_at", TZ, nullable=False),
)

accounts = sa.Table(
    "accounts", metadata,
    sa.Column("code", sa.String(80), primary_key=True),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("county", sa.String(6), nullable=False, index=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("purposes", sa.String(200), nullable=True),  # comma list: restricted account
    sa.Column("created_at", TZ, nullable=False),
)

ledger_txns = sa.Table(
    "ledger_txns", metadata,
    sa.Column("txn_id", sa.String(100), primary_key=True),
    sa.Column("cause", sa.String(20), nullable=False),
    sa.Column("purpose", sa.String(30), nullable=True),
    sa.Column("county", sa.String(6), nullable=False),
    sa.Column("month", sa.String(7), nullable=True),
    sa.Column("settlement_id", sa.String(64), nullable=True, index=True),
    sa.Column("case_id", sa.String(64), nullable=True),
    sa.Column("event_id", sa.String(64), nullable=True),
    sa.Column("reverses", sa.String(100), nullable=True, unique=True),
    sa.Column("memo", sa.String(500), nullable=False, server_default=""),
    sa.Column("created_at", TZ, nullable=False),
)

ledger_entries = sa.Table(
    "ledger_entries", metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("txn_id", sa.String(100), nullable=False),
    sa.Column("account", sa.String(80), nullable=False),
    sa.Column("party", sa.String(18), nullable=True),
    sa.Column("id_number", sa.String(18), nullable=True),
    sa.Column("case_id", sa.String(64), nullable=True),
    sa.Column("amount_fen", FEN, nullable=False),
    sa.Index("ix_entries_txn", "txn_id"),
    sa.Index("ix_entries_account", "account", "party"),
    sa.Index("ix_entries_person", "id_number"),
)

settlement_runs = sa.Table(
    "settlement_runs", metadata,
    sa.Column("settlement_id", sa.String(64), primary_key=True),
    sa.Column("county", sa.String(6), nullable=False),
    sa.Column("month", sa.String(7), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("cases", sa.Integer, nullable=False),
    sa.Column("total_fen", FEN, nullable=False),
    sa.Column("own_fen", FEN, nullable=False),
    sa.Column("family_fen", FEN, nullable=False),
    sa.Column("donations_fen", FEN, nullable=False),
    sa.Column("county_fen", FEN, nullable=False),
    sa.Column("caregiver_subsidy_fen", FEN, nullable=False),
    sa.Column("service_subsidy_fen", FEN, nullable=False),
    sa.Column("management_fee_fen", FEN, nullable=False),
    sa.Column("adjustments_fen", FEN, nullable=False),
    sa.Column("trigger_event_id", sa.String(64), nullable=True),
    sa.Column("completed_at", TZ, nullable=False),
    sa.UniqueConstraint("county", "month", name="uq_runs_county_month"),
)

case_settlements = sa.Table(
    "case_settlements", metadata,
    sa.Column("txn_id", sa.String(100), primary_key=True),
    sa.Column("settlement_id", sa.String(64), nullable=False, index=True),
    sa.Column("case_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("line", sa.String(12), nullable=False),  # regular | adjustment
    sa.Column("month", sa.String(7), nullable=False),
    sa.Column("for_month", sa.String(7), nullable=False),
    sa.Column("id_number", sa.String(18), nullable=False, index=True),
    sa.Column("county", sa.String(6), nullable=False),
    sa.Column("institution_uscc", sa.String(18), nullable=True, index=True),
    sa.Column("caregiver_id_number", sa.String(18), nullable=True),
    sa.Column("days", sa.Integer, nullable=False),
    sa.Column("days_in_month", sa.Integer, nullable=False),
    sa.Column("self_pay_ratio", sa.String(8), nullable=False),
    sa.Column("cost_fen", FEN, nullable=False),
    sa.Column("dibao_fen", FEN, nullable=False),
    sa.Column("dla_fen", FEN, nullable=False),
    sa.Column("sdns_fen", FEN, nullable=False),
    sa.Column("family_fen", FEN, nullable=False),
    sa.Column("don_earmarked_fen", FEN, nullable=False),
    sa.Column("don_pool_fen", FEN, nullable=False),
    sa.Column("county_fen", FEN, nullable=False),
    sa.Column("caregiver_subsidy_fen", FEN, nullable=False),
    # the event that caused the line: the month's close (regular) or the late fact
    sa.Column("cause_event_id", sa.String(64), nullable=True),
    # idempotent per (case, month): one regular line per case and month; an
    # adjustment for ``for_month`` is booked once in a later ``month``
    sa.UniqueConstraint("case_id", "for_month", "month", name="uq_case_month"),
)

donations = sa.Table(
    "donations", metadata,
    sa.Column("donation_id", sa.String(64), primary_key=True),
    sa.Column("receipt_no", sa.String(64), nullable=False, unique=True),
    sa.Column("county", sa.String(6), nullable=False, index=True),
    sa.Column("division_code", sa.String(12), nullable=False),
    sa.Column("donor_name", sa.String(100), nullable=True),
    sa.Column("donor_uscc", sa.String(18), nullable=True),
    sa.Column("amount_fen", FEN, nullable=False),
    sa.Column("received_on", sa.Date, nullable=False),
    sa.Column("earmark", sa.String(20), nullable=False),
    sa.Column("institution_uscc", sa.String(18), nullable=True),
    sa.Column("txn_id", sa.String(100), nullable=False),
    sa.Column("created_at", TZ, nullable=False),
)

payouts = sa.Table(
    "payouts", metadata,
    sa.Column("payout_id", sa.String(100), primary_key=True),
    sa.Column("settlement_id", sa.String(64), nullable=True, index=True),
    sa.Column("month", sa.String(7), nullable=False),
    sa.Column("county", sa.String(6), nullable=False),
    sa.Column("payee_kind", sa.String(20), nullable=False),
    sa.Column("payee_uscc", sa.String(18), nullable=True),
    sa.Column("payee_id_number", sa.String(18), nullable=True),
    sa.Column("purpose", sa.String(30), nullable=False),
    sa.Column("amount_fen", FEN, nullable=False),
    sa.Column("issued_on", sa.Date, nullable=False),
    sa.Column("txn_id", sa.String(100), nullable=False),
)

service_lines = sa.Table(
    # verified services of a closed month (services-log ``month.closed`` lines):
    # serve-then-subsidise, paid to the provider (lanzhou-2021 §四(二)3,
    # qingyunpu-2021 §四(三)6)
    "service_lines", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(64), nullable=False, index=True),
    sa.Column("division_code", sa.String(12), nullable=False),
    sa.Column("county", sa.String(6), nullable=False),
    sa.Column("month", sa.String(7), nullable=False),
    sa.Column("id_number", sa.String(18), nullable=False),
    sa.Column("provider_kind", sa.String(20), nullable=False),
    sa.Column("provider_uscc", sa.String(18), nullable=True),
    sa.Column("provider_id_number", sa.String(18), nullable=True),
    sa.Column("service_item", sa.String(40), nullable=False),
    sa.Column("records", sa.Integer, nullable=False),
    sa.Column("minutes", sa.Integer, nullable=False),
    sa.Column("amount_fen", FEN, nullable=False),
    sa.Column("paid_ref", sa.String(64), nullable=True),
    sa.Index("ix_service_lines_county", "county", "paid_ref"),
)

hospital_stays = sa.Table(
    # health hospital.admitted / hospital.discharged (hospital-absence rules per pack)
    "hospital_stays", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("id_number", sa.String(18), nullable=False, index=True),
    sa.Column("hospital_uscc", sa.String(18), nullable=False),
    sa.Column("admitted_on", sa.Date, nullable=False),
    sa.Column("discharged_on", sa.Date, nullable=True),
    sa.Column("event_id", sa.String(64), nullable=False),
)

late_changes = sa.Table(
    "late_changes", metadata,
    sa.Column("case_id", sa.String(64), primary_key=True),
    sa.Column("for_month", sa.String(7), primary_key=True),
    sa.Column("county", sa.String(6), nullable=False),
    sa.Column("event_id", sa.String(64), nullable=True),
    sa.Column("noted_at", TZ, nullable=False),
)

closed_months = sa.Table(
    "closed_months", metadata,
    # division_code, or division_code/institution_uscc for an institution's close
    sa.Column("close_key", sa.String(40), primary_key=True),
    sa.Column("month", sa.String(7), primary_key=True),
    sa.Column("event_id", sa.String(64), nullable=False),
    sa.Column("closed_at", TZ, nullable=False),
)

FUNDING_TABLES = ("cases", "care_levels", "person_subsidies", "self_pay_ratios",
                  "catalog_items", "accounts", "ledger_txns", "ledger_entries",
                  "settlement_runs", "case_settlements", "donations", "payouts",
                  "service_lines", "late_changes", "closed_months", "hospital_stays")

# long work done in the background (a county's settlement): state, progress and
# result, durably, so a restarted process resumes what was running
jobs = sa.Table(
    "jobs", metadata,
    sa.Column("job_id", sa.String(40), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    # one job per (kind, key): a second request for the same county's month is the same job
    sa.Column("key", sa.String(64), nullable=False),
    sa.Column("county", sa.String(6), nullable=False, index=True),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("phase", sa.String(32), nullable=True),
    sa.Column("done", sa.Integer, nullable=False, server_default="0"),
    sa.Column("total", sa.Integer, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("result", sa.JSON, nullable=True),
    sa.Column("error", sa.JSON, nullable=True),
    sa.Column("requested_by", sa.String(64), nullable=False, index=True),
    sa.Column("created_at", MOMENT, nullable=False),
    sa.Column("started_at", MOMENT, nullable=True),
    sa.Column("heartbeat_at", MOMENT, nullable=True),
    sa.Column("finished_at", MOMENT, nullable=True),
    sa.UniqueConstraint("kind", "key", name="uq_jobs_kind_key"),
)
