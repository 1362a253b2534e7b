"""A service's local directory of persons, fed by eligibility's
``person.registered``: who exists and in which division, so a service can check
scope and names without asking eligibility. Each service keeps its own copy."""

from __future__ import annotations

import sqlalchemy as sa

from doudi_common.dates import utcnow
from doudi_common.timestamps import MOMENT

PERSON_DIRECTORY = "person_directory"


def person_directory_columns() -> list[sa.Column]:
    return [
        sa.Column("id_number", sa.String(18), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("division_code", sa.String(12), nullable=False, index=True),
        sa.Column("registered_event_id", sa.String(36), nullable=False),
        sa.Column("updated_at", MOMENT, nullable=False),
    ]


def add_person_directory(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(PERSON_DIRECTORY, metadata, *person_directory_columns())


def create_person_directory(op) -> None:
    op.create_table(PERSON_DIRECTORY, *person_directory_columns())


def record_person(uow, table: sa.Table, event: dict) -> None:
    """Upsert from a validated ``person.registered`` envelope."""
    data = event["data"]
    values = {"name": data["name"], "division_code": data["division_code"],
              "registered_event_id": event["id"], "updated_at": utcnow()}
    row = uow.session.execute(sa.select(table.c.id_number)
                              .where(table.c.id_number == data["id_number"])).first()
    if row is None:
        uow.session.execute(sa.insert(table).values(id_number=data["id_number"], **values))
    else:
        uow.session.execute(sa.update(table).where(table.c.id_number == data["id_number"])
                            .values(**values))


def get_person(uow, table: sa.Table, id_number: str) -> dict | None:
    row = uow.session.execute(sa.select(table).where(table.c.id_number == id_number)).first()
    return dict(row._mapping) if row else None
