"""Cost plans from an institution's priced catalogue (luan-2021 §三(二) 标价化,
§三(四): bed, nursing, meals, rehabilitation training, daily supplies, shared
overhead).

Rules, written once:

* A month's plan takes, per category, the *standard* item in force: for
  ``nursing`` the item for the person's care level (none/partial/full; an item
  without a level serves every level); for ``bed`` an item without a room type
  if there is one; among what is left the lowest price (a deterministic choice
  the county can see in the plan). ``extra`` items and ``each`` units are not
  part of the monthly plan (billed per use, outside the fund).
* A ``day`` price counts as price x days in the month.
* A price change takes effect on its ``effective_from`` day: a month with a
  change is costed in segments, each prorated by its days in care
  (``doudi_common.money.prorate``), then summed.
* Without a catalogue, the placement's ``monthly_price`` is the plan.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import NamedTuple

from doudi_funding.domain.settlement import prorate_fen

PLAN_CATEGORIES = ("bed", "nursing", "meals", "rehabilitation", "supplies", "overhead")


class CatalogItem(NamedTuple):
    item_code: str
    category: str
    unit: str  # month | day | each
    price_fen: int
    effective_from: date
    room_type: str | None = None
    care_level: str | None = None


def items_in_force(items: Iterable[CatalogItem], on: date) -> list[CatalogItem]:
    """The latest version of each item code effective on ``on``."""
    latest: dict[str, CatalogItem] = {}
    for item in sorted(items, key=lambda i: (i.item_code, i.effective_from)):
        if item.effective_from <= on:
            latest[item.item_code] = item
    return list(latest.values())


def plan(items: Iterable[CatalogItem], care_level: str | None, days_in_month: int
         ) -> dict[str, int]:
    """Monthly plan by category (fen) from the items in force."""
    out: dict[str, int] = {}
    level = care_level or "full"
    for category in PLAN_CATEGORIES:
        candidates = [i for i in items if i.category == category and i.unit in ("month", "day")]
        if category == "nursing":
            exact = [i for i in candidates if i.care_level == level]
            candidates = exact or [i for i in candidates if i.care_level is None]
        if category == "bed":
            candidates = [i for i in candidates if i.room_type is None] or candidates
        if not candidates:
            continue
        monthly = [i.price_fen * (days_in_month if i.unit == "day" else 1) for i in candidates]
        out[category] = min(monthly)
    return out


def segments(items: list[CatalogItem], care_level: str | None, first: date, last: date
             ) -> list[tuple[date, int]]:
    """(from day, monthly plan total) for each part of the month with one set of prices."""
    dim = (last - first).days + 1
    days = sorted({first} | {i.effective_from for i in items if first < i.effective_from <= last})
    return [(d, sum(plan(items_in_force(items, d), care_level, dim).values())) for d in days]


def month_cost(segs: list[tuple[date, int]], start: date, end: date | None, first: date,
               last: date) -> int:
    """The cost of the days in care, segment by segment."""
    dim = (last - first).days + 1
    merged: list[tuple[date, int]] = []
    for seg in sorted(segs):
        if not merged or merged[-1][1] != seg[1]:  # same price on: one segment, one rounding
            merged.append(seg)
    segs = merged
    total = 0
    for n, (seg_from, monthly) in enumerate(segs):
        seg_to = segs[n + 1][0] - timedelta(days=1) if n + 1 < len(segs) else last
        lo, hi = max(seg_from, start), min(seg_to, end or last)
        if hi >= lo:
            total += prorate_fen(monthly, (hi - lo).days + 1, dim)
    return total
