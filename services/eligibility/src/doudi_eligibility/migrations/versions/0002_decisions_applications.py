"""persons registration and death; decisions, counters, applications and their
steps, enrolments and their history

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("persons", sa.Column("registration", sa.String(8), nullable=True))
    op.add_column("persons", sa.Column("deceased_on", sa.Date, nullable=True))
    op.create_index("ix_person_facts_kind", "person_facts", ["kind"])
    op.create_table(
        "decisions",
        sa.Column("id_number", sa.String(18), sa.ForeignKey("persons.id_number"),
                  primary_key=True),
        sa.Column("decided_on", sa.Date, nullable=False),
        sa.Column("policy_pack", sa.String(64), nullable=True),
        sa.Column("pack_version", sa.String(32), nullable=True),
        sa.Column("eligible", sa.Boolean, nullable=False),
        sa.Column("care_modes", sa.JSON, nullable=False),
        sa.Column("target_groups", sa.JSON, nullable=False),
        sa.Column("priority", sa.Integer, nullable=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("trigger", sa.String(64), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "counters",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Integer, nullable=False),
    )
    op.create_table(
        "applications",
        sa.Column("application_id", sa.String(64), primary_key=True),
        sa.Column("id_number", sa.String(18), sa.ForeignKey("persons.id_number"),
                  nullable=False),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("care_mode", sa.String(20), nullable=False),
        sa.Column("policy_pack", sa.String(64), nullable=False),
        sa.Column("pack_version", sa.String(32), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("submitted_by", sa.String(100), nullable=False),
        sa.Column("submitted_role", sa.String(40), nullable=False),
        sa.Column("submitted_on", sa.Date, nullable=False),
        sa.Column("documents", sa.JSON, nullable=False),
        sa.Column("consent", sa.JSON, nullable=False),
        sa.Column("institution_uscc", sa.String(18), nullable=True),
        sa.Column("caregiver", sa.JSON, nullable=True),
        sa.Column("signoffs", sa.JSON, nullable=False),
        sa.Column("notice_from", sa.Date, nullable=True),
        sa.Column("notice_until", sa.Date, nullable=True),
        sa.Column("approved_on", sa.Date, nullable=True),
        sa.Column("rejected_on", sa.Date, nullable=True),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("decision_id", sa.String(64), nullable=True),
        sa.Column("enrolment_id", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_applications_id_number", "applications", ["id_number"])
    op.create_index("ix_applications_division_code", "applications", ["division_code"])
    op.create_index("ix_applications_state", "applications", ["state"])
    op.create_index("ix_applications_submitted_on", "applications", ["submitted_on"])
    op.create_table(
        "application_steps",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.String(64),
                  sa.ForeignKey("applications.application_id"), nullable=False),
        sa.Column("action", sa.String(30), nullable=False),
        sa.Column("from_state", sa.String(20), nullable=True),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("on_date", sa.Date, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("comment", sa.String(1000), nullable=True),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_index("ix_application_steps_application_id", "application_steps",
                    ["application_id"])
    op.create_table(
        "enrolments",
        sa.Column("enrolment_id", sa.String(64), primary_key=True),
        sa.Column("id_number", sa.String(18), sa.ForeignKey("persons.id_number"),
                  nullable=False),
        sa.Column("application_id", sa.String(64), nullable=True),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("policy_pack", sa.String(64), nullable=False),
        sa.Column("pack_version", sa.String(32), nullable=False),
        sa.Column("care_mode", sa.String(20), nullable=False),
        sa.Column("institution_uscc", sa.String(18), nullable=True),
        sa.Column("incapacity_level", sa.String(10), nullable=False),
        sa.Column("hardship", sa.JSON, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("started_on", sa.Date, nullable=False),
        sa.Column("ended_on", sa.Date, nullable=True),
        sa.Column("end_reason", sa.String(30), nullable=True),
        sa.Column("next_review_on", sa.Date, nullable=True),
        sa.Column("review_due_sent_for", sa.Date, nullable=True),
        sa.Column("copay_band", sa.String(10), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_enrolments_id_number", "enrolments", ["id_number"])
    op.create_index("ix_enrolments_status", "enrolments", ["status"])
    op.create_index("ix_enrolments_next_review_on", "enrolments", ["next_review_on"])
    op.create_table(
        "enrolment_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("enrolment_id", sa.String(64), sa.ForeignKey("enrolments.enrolment_id"),
                  nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("on_date", sa.Date, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(100), nullable=True),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_index("ix_enrolment_history_enrolment_id", "enrolment_history",
                    ["enrolment_id"])


def downgrade() -> None:
    op.drop_table("enrolment_history")
    op.drop_table("enrolments")
    op.drop_table("application_steps")
    op.drop_table("applications")
    op.drop_table("counters")
    op.drop_table("decisions")
    op.drop_index("ix_person_facts_kind", "person_facts")
    op.drop_column("persons", "deceased_on")
    op.drop_column("persons", "registration")
