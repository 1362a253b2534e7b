"""The priced service catalogue and its price history."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from doudi_common.dates import utcnow
from doudi_common.errors import NotFound
from doudi_common.queries import built_once

from doudi_institutions.models import (
    catalog_items,
    item_prices,
)


def catalog_item(session, inst_id: int, code: str) -> dict:
    row = session.execute(sa.select(catalog_items).where(
        catalog_items.c.institution_id == inst_id, catalog_items.c.code == code)).first()
    if row is None:
        raise NotFound("未找到该服务项目", resource="catalog_item", code=code)
    return dict(row._mapping)


def item_code_taken(session, inst_id: int, code: str) -> bool:
    return session.execute(sa.select(catalog_items.c.id).where(
        catalog_items.c.institution_id == inst_id,
        catalog_items.c.code == code)).first() is not None


def insert_catalog_item(session, inst_id: int, **values) -> int:
    return session.execute(sa.insert(catalog_items).values(
        institution_id=inst_id, created_at=utcnow(), **values)
        .returning(catalog_items.c.id)).scalar_one()


def catalog_of(session, inst_id: int) -> list[dict]:
    return [dict(r._mapping) for r in session.execute(sa.select(catalog_items).where(
        catalog_items.c.institution_id == inst_id).order_by(catalog_items.c.id)).all()]


@built_once
def _monthly_items_query(dialect: str):
    return (sa.select(catalog_items, item_prices.c.effective_from.label("price_from"),
                      item_prices.c.price.label("price_value"))
            .outerjoin(item_prices, item_prices.c.item_id == catalog_items.c.id)
            .where(catalog_items.c.institution_id == sa.bindparam("inst_id"),
                   catalog_items.c.monthly.is_(True))
            .order_by(catalog_items.c.id, item_prices.c.effective_from))


def monthly_items_priced(session, inst_id: int) -> list[tuple[dict, list[tuple[date, object]]]]:
    """The institution's monthly items, each with its (effective_from, price)
    history oldest first — in one query (an admission prices a bed with it)."""
    rows = session.execute(_monthly_items_query(session), {"inst_id": inst_id}).all()
    priced: dict[int, tuple[dict, list]] = {}
    for r in rows:
        item = dict(r._mapping)
        when, price = item.pop("price_from"), item.pop("price_value")
        entry = priced.setdefault(item["id"], (item, []))
        if when is not None:
            entry[1].append((when, price))
    return list(priced.values())


def prices_of(session, item_id: int) -> list[tuple[date, object]]:
    """(effective_from, price) of an item, oldest first."""
    return [(r.effective_from, r.price) for r in session.execute(
        sa.select(item_prices.c.effective_from, item_prices.c.price)
        .where(item_prices.c.item_id == item_id)
        .order_by(item_prices.c.effective_from)).all()]


def insert_price(session, item_id: int, price, effective_from: date, reason=None) -> None:
    session.execute(sa.insert(item_prices).values(
        item_id=item_id, price=price, effective_from=effective_from, reason=reason,
        recorded_at=utcnow()))


def price_change_days(session, inst_id: int, after: date, until: date) -> list[date]:
    """Days in (after, until] on which a monthly item's price changes."""
    return session.execute(
        sa.select(item_prices.c.effective_from).join(
            catalog_items, catalog_items.c.id == item_prices.c.item_id)
        .where(catalog_items.c.institution_id == inst_id,
               catalog_items.c.monthly.is_(True),
               item_prices.c.effective_from > after, item_prices.c.effective_from <= until)
    ).scalars().all()
