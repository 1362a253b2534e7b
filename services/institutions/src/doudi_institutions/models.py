"""Tables owned by institutions. Nobody else reads them.

Every change is a new migration that writes the change out (the migrations
never import this module); ``tests/test_migrations.py`` checks that they build
exactly these tables."""

from __future__ import annotations

import sqlalchemy as sa
from doudi_common.persons import add_person_directory
from doudi_common.tables import add_common_tables
from doudi_common.timestamps import MOMENT

metadata = sa.MetaData()
outbox, inbox = add_common_tables(metadata)
person_directory = add_person_directory(metadata)

TS = MOMENT
MONEY = sa.Numeric(12, 2)


institutions = sa.Table(
    "institutions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("uscc", sa.String(18), nullable=False, unique=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("legal_form", sa.String(32), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("operating_model", sa.String(32), nullable=False),
    sa.Column("division_code", sa.String(12), nullable=False, index=True),
    sa.Column("county_code", sa.String(6), nullable=False, index=True),
    sa.Column("address", sa.String(200)),
    sa.Column("operator", sa.String(100)),
    sa.Column("contact_name", sa.String(50)),
    sa.Column("contact_phone", sa.String(32)),
    sa.Column("opened_on", sa.Date),
    sa.Column("registered_on", sa.Date, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("institutions.id")),
    sa.Column("grade", sa.Integer),
    sa.Column("graded_on", sa.Date),
    sa.Column("nurses", sa.Integer, nullable=False, server_default="0"),
    sa.Column("carers", sa.Integer, nullable=False, server_default="0"),
    sa.Column("safety_officers", sa.Integer, nullable=False, server_default="0"),
    sa.Column("social_workers", sa.Integer, nullable=False, server_default="0"),
    sa.Column("other_staff", sa.Integer, nullable=False, server_default="0"),
    # puyang-2020 §四(三): public-welfare posts (公益岗) the township arranged here
    sa.Column("public_welfare_posts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)

status_history = sa.Table(
    "institution_status_history", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"),
              nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("on", sa.Date, nullable=False),
    sa.Column("reason", sa.String(500)),
    sa.Column("recorded_at", TS, nullable=False),
)

grade_history = sa.Table(
    "grade_history", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"),
              nullable=False, index=True),
    sa.Column("grade", sa.Integer, nullable=False),
    sa.Column("assessed_on", sa.Date, nullable=False),
    sa.Column("recorded_at", TS, nullable=False),
)

licences = sa.Table(
    "licences", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"),
              nullable=False, index=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("number", sa.String(64), nullable=False),
    sa.Column("issuer", sa.String(100), nullable=False),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_until", sa.Date),
    sa.Column("alerted_until", sa.Date),
    sa.Column("created_at", TS, nullable=False),
)

designations = sa.Table(
    "designations", metadata,
    sa.Column("uscc", sa.String(18), primary_key=True),
    sa.Column("agreement_no", sa.String(64), primary_key=True),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_until", sa.Date, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)

catalog_items = sa.Table(
    "catalog_items", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"),
              nullable=False),
    sa.Column("code", sa.String(64), nullable=False),
    sa.Column("category", sa.String(32), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("unit", sa.String(8), nullable=False),
    sa.Column("room_type", sa.String(32)),
    sa.Column("care_level", sa.String(8)),
    sa.Column("monthly", sa.Boolean, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.UniqueConstraint("institution_id", "code", name="uq_catalog_item_code"),
)

item_prices = sa.Table(
    "item_prices", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("item_id", sa.Integer, sa.ForeignKey("catalog_items.id"), nullable=False),
    sa.Column("price", MONEY, nullable=False),
    sa.Column("effective_from", sa.Date, nullable=False),
    sa.Column("reason", sa.String(200)),
    sa.Column("recorded_at", TS, nullable=False),
    sa.UniqueConstraint("item_id", "effective_from", name="uq_item_price_day"),
)

rooms = sa.Table(
    "rooms", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"),
              nullable=False),
    sa.Column("room_no", sa.String(32), nullable=False),
    sa.Column("room_type", sa.String(32), nullable=False),
    sa.UniqueConstraint("institution_id", "room_no", name="uq_room_no"),
)

beds = sa.Table(
    "beds", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"),
              nullable=False, index=True),
    sa.Column("room_id", sa.Integer, sa.ForeignKey("rooms.id"), nullable=False),
    sa.Column("bed_no", sa.String(32), nullable=False),
    sa.Column("out_of_service", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.UniqueConstraint("institution_id", "bed_no", name="uq_bed_no"),
)

placements = sa.Table(
    "placements", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("id_number", sa.String(18), nullable=False, index=True),
    sa.Column("division_code", sa.String(12), nullable=False),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"),
              nullable=False, index=True),
    sa.Column("bed_id", sa.Integer, sa.ForeignKey("beds.id")),
    sa.Column("care_mode", sa.String(16), nullable=False),
    sa.Column("care_level", sa.String(8), nullable=False),
    sa.Column("status", sa.String(8), nullable=False),
    sa.Column("admitted_on", sa.Date, nullable=False),
    sa.Column("discharged_on", sa.Date),
    sa.Column("discharge_reason", sa.String(32)),
    sa.Column("discharge_note", sa.String(500)),
    sa.Column("monthly_price", MONEY, nullable=False),
    sa.Column("enrolment_id", sa.String(64)),
    sa.Column("health_record_ref", sa.String(64)),
    sa.Column("rehab_plan_ref", sa.String(64)),
    sa.Column("transferred_from", sa.Integer, sa.ForeignKey("placements.id")),
    sa.Column("created_at", TS, nullable=False),
    # one open placement per person, one open placement per bed (enforced by
    # the database too, so two concurrent admissions cannot both win)
    sa.Index("uq_open_placement_person", "id_number", unique=True,
             postgresql_where=sa.text("status = 'open'"),
             sqlite_where=sa.text("status = 'open'")),
    sa.Index("uq_open_placement_bed", "bed_id", unique=True,
             postgresql_where=sa.text("status = 'open'"),
             sqlite_where=sa.text("status = 'open'")),
)

absences = sa.Table(
    "absences", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("placement_id", sa.Integer, sa.ForeignKey("placements.id"),
              nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("hospital_uscc", sa.String(18)),
    sa.Column("started_on", sa.Date, nullable=False),
    sa.Column("ended_on", sa.Date),
)

infections = sa.Table(
    "infections", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("id_number", sa.String(18), nullable=False, index=True),
    sa.Column("disease_code", sa.String(20), nullable=False),
    sa.Column("flagged_on", sa.Date, nullable=False),
    sa.Column("cleared_on", sa.Date),
)

consents = sa.Table(
    "consents", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("id_number", sa.String(18), nullable=False, index=True),
    sa.Column("to_institution_id", sa.Integer, sa.ForeignKey("institutions.id"),
              nullable=False),
    sa.Column("given", sa.Boolean, nullable=False),
    sa.Column("recorded_on", sa.Date, nullable=False),
    sa.Column("recorded_by", sa.String(50)),
    sa.Column("note", sa.String(500)),
    sa.Column("recorded_at", TS, nullable=False),
)

enrolments = sa.Table(
    "enrolments", metadata,
    sa.Column("enrolment_id", sa.String(64), primary_key=True),
    sa.Column("id_number", sa.String(18), nullable=False, index=True),
    sa.Column("division_code", sa.String(12), nullable=False),
    sa.Column("county_code", sa.String(6), nullable=False, index=True),
    sa.Column("care_mode", sa.String(16), nullable=False),
    sa.Column("tekun", sa.Boolean, nullable=False),
    sa.Column("incapacity_level", sa.String(8), nullable=False),
    sa.Column("started_on", sa.Date, nullable=False),
    sa.Column("ended_on", sa.Date),
)

admission_requests = sa.Table(
    "admission_requests", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("enrolment_id", sa.String(64), nullable=False),
    sa.Column("id_number", sa.String(18), nullable=False),
    sa.Column("institution_uscc", sa.String(18)),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(64)),
    sa.Column("placement_id", sa.Integer, sa.ForeignKey("placements.id")),
    sa.Column("received_at", TS, nullable=False),
)

inspections = sa.Table(
    "inspections", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"),
              nullable=False, index=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("inspected_on", sa.Date, nullable=False),
    sa.Column("inspector", sa.String(50)),
    sa.Column("result", sa.String(32), nullable=False),
    sa.Column("notes", sa.String(2000)),
    sa.Column("created_at", TS, nullable=False),
)

findings = sa.Table(
    "findings", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("inspection_id", sa.Integer, sa.ForeignKey("inspections.id"),
              nullable=False, index=True),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("description", sa.String(1000), nullable=False),
    sa.Column("rectify_by", sa.Date, nullable=False),
    sa.Column("rectified_on", sa.Date),
    sa.Column("signed_off_by", sa.String(50)),
)

overdue_notices = sa.Table(
    "overdue_notices", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("institution_id", sa.Integer, sa.ForeignKey("institutions.id"),
              nullable=False),
    sa.Column("subject", sa.String(64), nullable=False),
    sa.Column("due_on", sa.Date, nullable=False),
    sa.Column("raised_at", TS, nullable=False),
    sa.UniqueConstraint("institution_id", "subject", "due_on", name="uq_overdue_notice"),
)

merges = sa.Table(
    "merges", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("source_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("target_id", sa.Integer, sa.ForeignKey("institutions.id"), nullable=False),
    sa.Column("on", sa.Date, nullable=False),
    sa.Column("moved", sa.Integer, nullable=False),
    sa.Column("staying", sa.Integer, nullable=False),
    sa.Column("recorded_at", TS, nullable=False),
)

# 0003: care level changes during a stay (re-assessment); the price of nursing follows
care_level_changes = sa.Table(
    "care_level_changes", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("placement_id", sa.Integer, sa.ForeignKey("placements.id"), nullable=False,
              index=True),
    sa.Column("care_level", sa.String(8), nullable=False),
    sa.Column("from_on", sa.Date, nullable=False),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("recorded_at", TS, nullable=False),
)
