"""Service items and their prices per jurisdiction."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from doudi_common.args import require_text
from doudi_common.ids import (
    division_within,
    validate_division_code,
)

from doudi_services_log import policy
from doudi_services_log.domain import catalogue
from doudi_services_log.models import (
    service_items,
)
from doudi_services_log.schemas import money

# -- items ---------------------------------------------------------------------------

def prices(session, jurisdiction: str) -> dict[str, Decimal | None]:
    rows = session.execute(sa.select(service_items.c.code, service_items.c.unit_price)
                           .where(service_items.c.jurisdiction == jurisdiction)).all()
    return {r.code: r.unit_price for r in rows}


def dump_item(j: catalogue.Jurisdiction, item: catalogue.Item, price) -> dict:
    return {"jurisdiction": j.code, "pack": j.pack, "code": item.code, "name": item.name,
            "category": item.category, "unit": item.unit,
            "paid_per_record": item.paid_per_record, "unit_price": money(price),
            "clause": item.clause}


def list_items(session, division_code: str | None, jurisdiction: str | None) -> list[dict]:
    if jurisdiction is not None:
        chosen = [policy.require_jurisdiction(jurisdiction)]
    elif division_code:
        # a division inside a jurisdiction gets its catalogue; a wider one (a
        # province, the whole country) every catalogue within it
        code = validate_division_code(division_code)
        inside = policy.jurisdiction_for(code)
        chosen = [j for j in policy.JURISDICTIONS.values()
                  if j is inside or division_within(j.code, code)]
    else:
        chosen = list(policy.JURISDICTIONS.values())
    out = []
    for j in chosen:
        p = prices(session, j.code)
        out += [dump_item(j, item, p.get(item.code)) for item in j.items]
    return out


def set_item_price(session, now, jurisdiction: str, code: str, unit_price, by: str) -> dict:
    j = policy.require_jurisdiction(jurisdiction)
    item = catalogue.item_of(j, code)
    by = require_text(by, "by", 100)
    price = catalogue.unit_price(unit_price)
    exists = session.execute(sa.select(service_items.c.code).where(
        service_items.c.jurisdiction == j.code, service_items.c.code == code)).first()
    values = {"unit_price": price, "updated_at": now, "updated_by": by}
    if exists:
        session.execute(sa.update(service_items).where(
            service_items.c.jurisdiction == j.code, service_items.c.code == code).values(**values))
    else:
        session.execute(sa.insert(service_items).values(jurisdiction=j.code, code=code, **values))
    return dump_item(j, item, price)
