"""The priced service catalogue (luan-2021 §三(二) 标价化): items, dated prices,
the monthly price of a bed at a care level."""


from __future__ import annotations

from datetime import date

from doudi_common.entrypoints import rpc
from doudi_common.logs import get_logger
from doudi_common.money import money_str

from doudi_institutions.domain import catalogue as catalogue_rules
from doudi_institutions.domain import inputs as inputs_rules
from doudi_institutions.domain import vocab
from doudi_institutions.store import catalogue as catalogue_store

log = get_logger(__name__)


class Catalogue:
    def _item_view(self, item: dict, on: date) -> dict:
        prices = catalogue_store.prices_of(self.session, item["id"])
        current = catalogue_rules.price_on(prices, on)
        return {"code": item["code"], "category": item["category"], "name": item["name"],
                "unit": item["unit"], "room_type": item["room_type"],
                "care_level": item["care_level"], "monthly": item["monthly"],
                "price": money_str(current) if current is not None else None,
                "prices": [{"price": money_str(p), "effective_from": d.isoformat()}
                           for d, p in prices]}

    def _add_price(self, inst: dict, item: dict, price, effective_from, reason=None) -> None:
        amount = catalogue_rules.check_price(price)
        day = inputs_rules.as_date(effective_from, "effective_from")
        prices = catalogue_store.prices_of(self.session, item["id"])
        catalogue_rules.check_new_price(day, self.clock.today(), [d for d, _ in prices])
        previous = catalogue_rules.price_on(prices, day)
        catalogue_store.insert_price(self.session, item["id"], amount, day, reason)
        self.db.outbox.add("catalog.price_changed", {
            "institution_uscc": inst["uscc"], "item_code": item["code"],
            "category": item["category"], "name": item["name"], "unit": item["unit"],
            "price": amount, "previous_price": previous, "effective_from": day,
            "room_type": item["room_type"], "care_level": item["care_level"],
        }, division_code=inst["division_code"], key=inst["uscc"])

    @rpc
    def add_catalog_item(self, uscc, code, category, name, unit, price, effective_from,
                         room_type=None, care_level=None, monthly=True) -> dict:
        inst = self._institution(uscc, lock=True)
        code = catalogue_rules.check_item_code(code)
        inputs_rules.choice(category, vocab.CATALOG_CATEGORIES, "category")
        inputs_rules.choice(unit, vocab.UNITS, "unit")
        if care_level is not None:
            inputs_rules.choice(care_level, vocab.CARE_LEVELS, "care_level")
        catalogue_rules.check_catalog_item(category, room_type, care_level)
        catalogue_rules.check_code_free(catalogue_store.item_code_taken(self.session, inst["id"],
                                                                        code), code)
        pk = catalogue_store.insert_catalog_item(self.session, inst["id"], code=code,
                                                 category=category,
                                       name=name, unit=unit, room_type=room_type,
                                       care_level=care_level, monthly=bool(monthly))
        item = catalogue_store.catalog_item(self.session, inst["id"], code)
        assert item["id"] == pk
        self._add_price(inst, item, price, effective_from, "初始定价")
        return self._item_view(item, self.clock.today())

    @rpc
    def set_price(self, uscc, code, price, effective_from, reason=None) -> dict:
        inst = self._institution(uscc, lock=True)
        item = catalogue_store.catalog_item(self.session, inst["id"], code)
        self._add_price(inst, item, price, effective_from, reason)
        return self._item_view(item, self.clock.today())

    @rpc
    def get_catalog(self, uscc, on=None) -> list:
        inst = self._institution(uscc)
        day = inputs_rules.opt_date(on, "on") or self.clock.today()
        return [self._item_view(item, day) for item in catalogue_store.catalog_of(self.session,
                                                                                  inst["id"])]

    def _monthly_price(self, inst_id: int, room_type, care_level, on: date):
        priced = [(item, prices) for item, prices
                  in catalogue_store.monthly_items_priced(self.session, inst_id)
                  if catalogue_rules.item_applies(item, room_type, care_level)]
        return catalogue_rules.monthly_total(priced, on)

    @rpc
    def monthly_price(self, uscc, room_type=None, care_level=None, on=None) -> dict:
        inst = self._institution(uscc)
        day = inputs_rules.opt_date(on, "on") or self.clock.today()
        total, parts = self._monthly_price(inst["id"], room_type, care_level, day)
        return {"uscc": inst["uscc"], "on": day.isoformat(), "monthly_price": money_str(total),
                "items": parts}
