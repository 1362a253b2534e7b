"""Tables owned by services_log. Nobody else reads them."""

from __future__ import annotations

import sqlalchemy as sa
from doudi_common.persons import add_person_directory
from doudi_common.queries import add_counters
from doudi_common.tables import add_common_tables
from doudi_common.timestamps import MOMENT

metadata = sa.MetaData()
outbox, inbox = add_common_tables(metadata)
person_directory = add_person_directory(metadata)

TZ = MOMENT
MONEY = sa.Numeric(14, 2)


def service_item_columns():
    return [
        sa.Column("jurisdiction", sa.String(6), primary_key=True),
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("unit_price", MONEY, nullable=True),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
    ]


def card_columns():
    return [
        sa.Column("id_number", sa.String(18), primary_key=True),
        sa.Column("name", sa.String(100), nullable=True),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("jurisdiction", sa.String(6), nullable=True),
        sa.Column("service_no", sa.String(32), nullable=True, unique=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("care_mode", sa.String(20), nullable=True),
        sa.Column("enrolment_id", sa.String(64), nullable=True),
        sa.Column("assessed_on", sa.Date, nullable=True),
        sa.Column("issued_on", sa.Date, nullable=True),
        sa.Column("ended_on", sa.Date, nullable=True),
        sa.Column("end_reason", sa.String(500), nullable=True),
        sa.Column("suspended_reason", sa.String(500), nullable=True),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    ]


def card_item_columns():
    return [
        sa.Column("id_number", sa.String(18), primary_key=True),
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("times_per_month", sa.Integer, nullable=True),
    ]


def card_provider_columns():
    return [
        sa.Column("id_number", sa.String(18), primary_key=True),
        sa.Column("provider_key", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=True),
        sa.Column("provider_id_number", sa.String(18), nullable=True),
        sa.Column("name", sa.String(128), nullable=True),
        sa.Column("items", sa.JSON, nullable=True),
    ]


def card_history_columns():
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id_number", sa.String(18), nullable=False, index=True),
        sa.Column("at", TZ, nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("by", sa.String(100), nullable=False),
        sa.Column("detail", sa.JSON, nullable=True),
    ]


def card_document_columns():
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id_number", sa.String(18), nullable=False, index=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("ref", sa.String(200), nullable=False),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("added_by", sa.String(100), nullable=False),
        sa.Column("added_at", TZ, nullable=False),
    ]


def death_columns():
    return [
        sa.Column("id_number", sa.String(18), primary_key=True),
        sa.Column("date_of_death", sa.Date, nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
    ]


def record_columns():
    return [
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("record_id", sa.String(40), nullable=False, unique=True),
        sa.Column("id_number", sa.String(18), nullable=False),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("card_no", sa.String(32), nullable=True),
        sa.Column("service_item", sa.String(40), nullable=False),
        sa.Column("unit", sa.String(10), nullable=False),
        sa.Column("provider_kind", sa.String(20), nullable=False),
        sa.Column("provider_key", sa.String(40), nullable=False),
        sa.Column("provider_uscc", sa.String(18), nullable=True),
        sa.Column("provider_id_number", sa.String(18), nullable=True),
        sa.Column("provider_name", sa.String(128), nullable=True),
        sa.Column("worker_key", sa.String(60), nullable=False),
        sa.Column("worker_id_number", sa.String(18), nullable=True),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("ended_at", TZ, nullable=False),
        sa.Column("served_on", sa.Date, nullable=False),
        sa.Column("minutes", sa.Integer, nullable=False),
        sa.Column("quantity", MONEY, nullable=False),
        sa.Column("unit_price", MONEY, nullable=True),
        sa.Column("amount", MONEY, nullable=True),
        sa.Column("place", sa.String(200), nullable=True),
        sa.Column("notes", sa.String(1000), nullable=True),
        sa.Column("evidence_ref", sa.String(256), nullable=True),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("unit_kind", sa.String(12), nullable=False),
        sa.Column("unit_code", sa.String(18), nullable=False),
        sa.Column("settle_month", sa.String(7), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("entry_kind", sa.String(12), nullable=False),
        sa.Column("corrects", sa.String(40), nullable=True),
        sa.Column("corrected_by_record", sa.String(40), nullable=True),
        sa.Column("correction_reason", sa.String(500), nullable=True),
        sa.Column("verified_by", sa.String(100), nullable=True),
        sa.Column("verifier_role", sa.String(20), nullable=True),
        sa.Column("verified_at", TZ, nullable=True),
        sa.Column("verify_note", sa.String(500), nullable=True),
    ]


RECORD_INDEXES = [
    ("ix_records_worker_time", ["worker_key", "started_at"]),
    ("ix_records_person_month", ["id_number", "month"]),
    ("ix_records_unit_settle", ["unit_kind", "unit_code", "settle_month"]),
    ("ix_records_provider_month", ["provider_key", "month"]),
    ("ix_records_division_month", ["division_code", "month"]),
]


def schedule_columns():
    return [
        sa.Column("id_number", sa.String(18), primary_key=True),
        sa.Column("kind", sa.String(12), primary_key=True),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("every_days", sa.Integer, nullable=False),
        sa.Column("start_on", sa.Date, nullable=False),
        sa.Column("last_visit_on", sa.Date, nullable=True),
        sa.Column("next_due_on", sa.Date, nullable=False),
        sa.Column("overdue_notified_on", sa.Date, nullable=True),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    ]


def visit_columns():
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("visit_id", sa.String(40), nullable=False, unique=True),
        sa.Column("id_number", sa.String(18), nullable=False, index=True),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("visited_on", sa.Date, nullable=False),
        sa.Column("visitor", sa.JSON, nullable=False),
        sa.Column("content", sa.String(2000), nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
    ]


def alert_columns():
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.String(40), nullable=False, unique=True),
        sa.Column("id_number", sa.String(18), nullable=False, index=True),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("summary", sa.String(500), nullable=True),
        sa.Column("raised_at", TZ, nullable=False),
        sa.Column("raised_by", sa.String(100), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("acknowledged_at", TZ, nullable=True),
        sa.Column("acknowledged_by", sa.String(100), nullable=True),
        sa.Column("escalation_level", sa.Integer, nullable=False, server_default="0"),
        sa.Column("escalated_at", TZ, nullable=True),
        sa.Column("resolved_at", TZ, nullable=True),
        sa.Column("resolved_by", sa.String(100), nullable=True),
        sa.Column("resolution", sa.String(500), nullable=True),
    ]


def month_close_columns():
    return [
        sa.Column("unit_kind", sa.String(12), primary_key=True),
        sa.Column("unit_code", sa.String(18), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("closed_at", TZ, nullable=False),
        sa.Column("closed_by", sa.String(100), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
    ]


def time_account_columns():
    return [
        sa.Column("id_number", sa.String(18), primary_key=True),
        sa.Column("balance_minutes", sa.Integer, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.CheckConstraint("balance_minutes >= 0", name="ck_time_accounts_not_negative"),
    ]


def time_entry_columns():
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id_number", sa.String(18), nullable=False, index=True),
        sa.Column("at", TZ, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("minutes", sa.Integer, nullable=False),
        sa.Column("balance_after", sa.Integer, nullable=False),
        sa.Column("record_id", sa.String(40), nullable=True),
        sa.Column("counterparty", sa.String(18), nullable=True),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("by", sa.String(100), nullable=False),
    ]


service_items = sa.Table("service_item_prices", metadata, *service_item_columns())
cards = sa.Table("service_cards", metadata, *card_columns(),
                 sa.Index("ix_service_cards_division", "division_code", "service_no"))
card_items = sa.Table("card_items", metadata, *card_item_columns())
card_providers = sa.Table("card_providers", metadata, *card_provider_columns())
card_history = sa.Table("card_history", metadata, *card_history_columns())
card_documents = sa.Table("card_documents", metadata, *card_document_columns())
counters = add_counters(metadata)
deaths = sa.Table("deaths", metadata, *death_columns())
records = sa.Table("service_records", metadata, *record_columns(),
                   *[sa.Index(name, *cols) for name, cols in RECORD_INDEXES])
schedules = sa.Table("visit_schedules", metadata, *schedule_columns(),
                     sa.Index("ix_schedules_due", "active", "next_due_on"))
visits = sa.Table("visits", metadata, *visit_columns())
alerts = sa.Table("alerts", metadata, *alert_columns(),
                  sa.Index("ix_alerts_open", "status", "raised_at"))
month_closes = sa.Table("month_closes", metadata, *month_close_columns())
time_accounts = sa.Table("time_accounts", metadata, *time_account_columns())
time_entries = sa.Table("time_entries", metadata, *time_entry_columns())
