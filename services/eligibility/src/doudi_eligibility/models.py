"""Tables owned by eligibility. Nobody else reads them."""

from __future__ import annotations

import sqlalchemy as sa
from doudi_common.figures import add_figure_tables
from doudi_common.queries import add_counters
from doudi_common.tables import add_common_tables
from doudi_common.timestamps import MOMENT

metadata = sa.MetaData()
outbox, inbox = add_common_tables(metadata)
# the officials' figures, kept per division and month (doudi_common.figures);
# a write to any of FIGURE_TABLES makes them be computed again
figure_versions, figure_cache = add_figure_tables(metadata)
FIGURE_TABLES = ("persons", "decisions", "enrolments", "applications", "application_steps")

# living persons registered and eligible per division code, kept by triggers
# on persons and decisions (migration 0007) in the writing transaction
division_tallies = sa.Table(
    "division_tallies", metadata,
    sa.Column("division_code", sa.String(12), primary_key=True),
    sa.Column("registered", sa.Integer, nullable=False),
    sa.Column("eligible", sa.Integer, nullable=False),
)

persons = sa.Table(
    "persons", metadata,
    sa.Column("id_number", sa.String(18), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("birth_date", sa.Date, nullable=False),
    sa.Column("sex", sa.String(6), nullable=False),
    sa.Column("division_code", sa.String(12), nullable=False, index=True),
    sa.Column("registration", sa.String(8), nullable=True),
    sa.Column("deceased_on", sa.Date, nullable=True),
    sa.Column("created_at", MOMENT, nullable=False),
    sa.Column("updated_at", MOMENT, nullable=False),
)

# Facts are a dated history, never overwritten: what was known, from whom, valid when.
person_facts = sa.Table(
    "person_facts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("id_number", sa.String(18), sa.ForeignKey("persons.id_number"), nullable=False,
              index=True),
    sa.Column("kind", sa.String(50), nullable=False, index=True),
    sa.Column("source", sa.String(50), nullable=False),
    sa.Column("source_event_id", sa.String(64), nullable=True),
    sa.Column("valid_from", sa.Date, nullable=True),
    sa.Column("valid_until", sa.Date, nullable=True),
    sa.Column("recorded_at", MOMENT, nullable=False),
    # the department's moment (its event's time): orders facts of one day
    sa.Column("reported_at", MOMENT, nullable=True),
    sa.Column("payload", sa.JSON, nullable=False),
)

# The last decision per person (its outcome); eligibility.changed when it changes.
decisions = sa.Table(
    "decisions", metadata,
    sa.Column("id_number", sa.String(18), sa.ForeignKey("persons.id_number"), primary_key=True),
    sa.Column("decided_on", sa.Date, nullable=False),
    sa.Column("policy_pack", sa.String(64), nullable=True),
    sa.Column("pack_version", sa.String(32), nullable=True),
    sa.Column("eligible", sa.Boolean, nullable=False),
    sa.Column("care_modes", sa.JSON, nullable=False),
    sa.Column("target_groups", sa.JSON, nullable=False),
    sa.Column("priority", sa.Integer, nullable=True),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("trigger", sa.String(64), nullable=False),
    sa.Column("decided_at", MOMENT, nullable=False),
)

# gap-free numbers of applications, decisions, enrolments (doudi_common.queries)
counters = add_counters(metadata)

applications = sa.Table(
    "applications", metadata,
    sa.Column("application_id", sa.String(64), primary_key=True),
    sa.Column("id_number", sa.String(18), sa.ForeignKey("persons.id_number"), nullable=False,
              index=True),
    sa.Column("division_code", sa.String(12), nullable=False, index=True),
    sa.Column("care_mode", sa.String(20), nullable=False),
    sa.Column("policy_pack", sa.String(64), nullable=False),
    sa.Column("pack_version", sa.String(32), nullable=False),
    sa.Column("state", sa.String(20), nullable=False, index=True),
    sa.Column("channel", sa.String(10), nullable=False),
    sa.Column("submitted_by", sa.String(100), nullable=False),
    sa.Column("submitted_role", sa.String(40), nullable=False),
    sa.Column("submitted_on", sa.Date, nullable=False, index=True),
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
    sa.Column("created_at", MOMENT, nullable=False),
    sa.Column("updated_at", MOMENT, nullable=False),
)

application_steps = sa.Table(
    "application_steps", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("application_id", sa.String(64), sa.ForeignKey("applications.application_id"),
              nullable=False, index=True),
    sa.Column("action", sa.String(30), nullable=False),
    sa.Column("from_state", sa.String(20), nullable=True),
    sa.Column("to_state", sa.String(20), nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("role", sa.String(40), nullable=False),
    sa.Column("on_date", sa.Date, nullable=False),
    sa.Column("at", MOMENT, nullable=False),
    sa.Column("comment", sa.String(1000), nullable=True),
    sa.Column("data", sa.JSON, nullable=False),
)

enrolments = sa.Table(
    "enrolments", metadata,
    sa.Column("enrolment_id", sa.String(64), primary_key=True),
    sa.Column("id_number", sa.String(18), sa.ForeignKey("persons.id_number"), nullable=False,
              index=True),
    sa.Column("application_id", sa.String(64), nullable=True),
    sa.Column("division_code", sa.String(12), nullable=False, index=True),
    sa.Column("policy_pack", sa.String(64), nullable=False),
    sa.Column("pack_version", sa.String(32), nullable=False),
    sa.Column("care_mode", sa.String(20), nullable=False),
    sa.Column("institution_uscc", sa.String(18), nullable=True),
    sa.Column("incapacity_level", sa.String(10), nullable=False),
    sa.Column("hardship", sa.JSON, nullable=False),
    sa.Column("status", sa.String(10), nullable=False, index=True),
    sa.Column("started_on", sa.Date, nullable=False),
    sa.Column("ended_on", sa.Date, nullable=True),
    sa.Column("end_reason", sa.String(30), nullable=True),
    sa.Column("next_review_on", sa.Date, nullable=True, index=True),
    sa.Column("review_due_sent_for", sa.Date, nullable=True),
    sa.Column("copay_band", sa.String(10), nullable=True),
    sa.Column("created_at", MOMENT, nullable=False),
    sa.Column("updated_at", MOMENT, nullable=False),
    sa.Column("assessment_valid_until", sa.Date, nullable=True),
    sa.Column("assessment_review_sent_for", sa.Date, nullable=True),
)

enrolment_history = sa.Table(
    "enrolment_history", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("enrolment_id", sa.String(64), sa.ForeignKey("enrolments.enrolment_id"),
              nullable=False, index=True),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("on_date", sa.Date, nullable=False),
    sa.Column("at", MOMENT, nullable=False),
    sa.Column("actor", sa.String(100), nullable=True),
    sa.Column("data", sa.JSON, nullable=False),
)

# Facts about a person nobody has registered yet (no name or division known):
# kept here and moved into person_facts, in order, when the person is registered.
pending_facts = sa.Table(
    "pending_facts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("id_number", sa.String(18), nullable=False, index=True),
    sa.Column("kind", sa.String(50), nullable=False),
    sa.Column("source", sa.String(50), nullable=False),
    sa.Column("source_event_id", sa.String(64), nullable=True),
    sa.Column("valid_from", sa.Date, nullable=True),
    sa.Column("valid_until", sa.Date, nullable=True),
    sa.Column("recorded_at", MOMENT, nullable=False),
    # the department's moment (its event's time): orders facts of one day
    sa.Column("reported_at", MOMENT, nullable=True),
    sa.Column("payload", sa.JSON, nullable=False),
)
