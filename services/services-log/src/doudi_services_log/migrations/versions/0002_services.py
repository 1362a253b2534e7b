"""services: item prices, service cards, records, visits, alerts, month close,
time bank

Revision ID: 0002
Revises: 0001
"""
from alembic import op
from doudi_services_log import models as m

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = [
    ("service_item_prices", m.service_item_columns),
    ("service_cards", m.card_columns),
    ("card_items", m.card_item_columns),
    ("card_providers", m.card_provider_columns),
    ("card_history", m.card_history_columns),
    ("counters", m.counter_columns),
    ("deaths", m.death_columns),
    ("service_records", m.record_columns),
    ("visit_schedules", m.schedule_columns),
    ("visits", m.visit_columns),
    ("alerts", m.alert_columns),
    ("month_closes", m.month_close_columns),
    ("time_accounts", m.time_account_columns),
    ("time_entries", m.time_entry_columns),
]


def upgrade() -> None:
    for name, columns in TABLES:
        op.create_table(name, *columns())
    for name, cols in m.RECORD_INDEXES:
        op.create_index(name, "service_records", cols)
    op.create_index("ix_service_cards_division", "service_cards", ["division_code", "service_no"])
    op.create_index("ix_alerts_open", "alerts", ["status", "raised_at"])
    op.create_index("ix_schedules_due", "visit_schedules", ["active", "next_due_on"])


def downgrade() -> None:
    for name, _ in reversed(TABLES):
        op.drop_table(name)
