"""services: item prices, service cards, records, visits, alerts, month close,
time bank

Revision ID: 0002
Revises: 0001

Frozen: the tables as they were at this revision, written out here (a
migration never imports the live models, which move on).
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ["service_item_prices", "service_cards", "card_items", "card_providers", "card_history",
          "counters", "deaths", "service_records", "visit_schedules", "visits", "alerts",
          "month_closes", "time_accounts", "time_entries"]
RECORD_INDEXES = [
    ("ix_records_worker_time", ["worker_key", "started_at"]),
    ("ix_records_person_month", ["id_number", "month"]),
    ("ix_records_unit_settle", ["unit_kind", "unit_code", "settle_month"]),
    ("ix_records_provider_month", ["provider_key", "month"]),
    ("ix_records_division_month", ["division_code", "month"]),
]


def upgrade() -> None:
    op.create_table('service_item_prices',
    sa.Column('jurisdiction', sa.String(length=6), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('jurisdiction', 'code')
    )
    op.create_table('service_cards',
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('jurisdiction', sa.String(length=6), nullable=True),
    sa.Column('service_no', sa.String(length=32), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('care_mode', sa.String(length=20), nullable=True),
    sa.Column('enrolment_id', sa.String(length=64), nullable=True),
    sa.Column('assessed_on', sa.Date(), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('end_reason', sa.String(length=100), nullable=True),
    sa.Column('suspended_reason', sa.String(length=500), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id_number'),
    sa.UniqueConstraint('service_no')
    )
    op.create_table('card_items',
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('times_per_month', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id_number', 'code')
    )
    op.create_table('card_providers',
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('provider_key', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=True),
    sa.Column('provider_id_number', sa.String(length=18), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('items', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id_number', 'provider_key')
    )
    op.create_table('card_history',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('by', sa.String(length=100), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('counters',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('deaths',
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('date_of_death', sa.Date(), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id_number')
    )
    op.create_table('service_records',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('record_id', sa.String(length=40), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('card_no', sa.String(length=32), nullable=True),
    sa.Column('service_item', sa.String(length=40), nullable=False),
    sa.Column('unit', sa.String(length=10), nullable=False),
    sa.Column('provider_kind', sa.String(length=20), nullable=False),
    sa.Column('provider_key', sa.String(length=40), nullable=False),
    sa.Column('provider_uscc', sa.String(length=18), nullable=True),
    sa.Column('provider_id_number', sa.String(length=18), nullable=True),
    sa.Column('provider_name', sa.String(length=100), nullable=True),
    sa.Column('worker_key', sa.String(length=60), nullable=False),
    sa.Column('worker_id_number', sa.String(length=18), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('served_on', sa.Date(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('place', sa.String(length=200), nullable=True),
    sa.Column('notes', sa.String(length=1000), nullable=True),
    sa.Column('evidence_ref', sa.String(length=200), nullable=True),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('unit_kind', sa.String(length=12), nullable=False),
    sa.Column('unit_code', sa.String(length=18), nullable=False),
    sa.Column('settle_month', sa.String(length=7), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('entry_kind', sa.String(length=12), nullable=False),
    sa.Column('corrects', sa.String(length=40), nullable=True),
    sa.Column('corrected_by_record', sa.String(length=40), nullable=True),
    sa.Column('correction_reason', sa.String(length=500), nullable=True),
    sa.Column('verified_by', sa.String(length=100), nullable=True),
    sa.Column('verifier_role', sa.String(length=20), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('verify_note', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('record_id')
    )
    op.create_table('visit_schedules',
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('every_days', sa.Integer(), nullable=False),
    sa.Column('start_on', sa.Date(), nullable=False),
    sa.Column('last_visit_on', sa.Date(), nullable=True),
    sa.Column('next_due_on', sa.Date(), nullable=False),
    sa.Column('overdue_notified_on', sa.Date(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id_number', 'kind')
    )
    op.create_table('visits',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('visit_id', sa.String(length=40), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('visited_on', sa.Date(), nullable=False),
    sa.Column('visitor', sa.JSON(), nullable=False),
    sa.Column('content', sa.String(length=1000), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('visit_id')
    )
    op.create_table('alerts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('alert_id', sa.String(length=40), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=True),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('raised_by', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=100), nullable=True),
    sa.Column('escalation_level', sa.Integer(), server_default='0', nullable=False),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=100), nullable=True),
    sa.Column('resolution', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('alert_id')
    )
    op.create_table('month_closes',
    sa.Column('unit_kind', sa.String(length=12), nullable=False),
    sa.Column('unit_code', sa.String(length=18), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_by', sa.String(length=100), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('unit_kind', 'unit_code', 'month')
    )
    op.create_table('time_accounts',
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('balance_minutes', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('balance_minutes >= 0', name='ck_time_accounts_not_negative'),
    sa.PrimaryKeyConstraint('id_number')
    )
    op.create_table('time_entries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('balance_after', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.String(length=40), nullable=True),
    sa.Column('counterparty', sa.String(length=18), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('by', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    for name, cols in RECORD_INDEXES:
        op.create_index(name, "service_records", cols)
    op.create_index("ix_service_cards_division", "service_cards", ["division_code", "service_no"])
    op.create_index("ix_alerts_open", "alerts", ["status", "raised_at"])
    op.create_index("ix_schedules_due", "visit_schedules", ["active", "next_due_on"])
    for table in ("card_history", "visits", "alerts", "time_entries"):
        op.create_index(f"ix_{table}_id_number", table, ["id_number"])


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
