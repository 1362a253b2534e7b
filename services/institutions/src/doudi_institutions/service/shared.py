"""Look-ups and views every area of the institutions service uses:
the unit of work's session, an institution by USCC, the institution view, pages."""


from __future__ import annotations

from doudi_common.ids import (
    validate_uscc,
)
from doudi_common.logs import get_logger
from doudi_common.paging import page_args, page_of
from doudi_common.queries import fetch_page
from doudi_common.serialize import to_jsonable

from doudi_institutions import policy
from doudi_institutions.domain import admission as admission_rules
from doudi_institutions.domain import registry as registry_rules
from doudi_institutions.schemas import (
    institution_view,
    licence_view,
)
from doudi_institutions.store import licences as licences_store
from doudi_institutions.store import registry as registry_store

log = get_logger(__name__)


class Shared:
    @property
    def session(self):
        """The unit of work's session (``store`` functions take it)."""
        return self.db.session

    def _institution(self, uscc, lock: bool = False) -> dict:
        return registry_store.institution_by_uscc(self.session, validate_uscc(uscc), lock)

    def _view(self, inst: dict, full: bool = False) -> dict:
        today = self.clock.today()
        parent = None
        if inst["parent_id"]:
            parent = registry_store.institution_by_id(self.session, inst["parent_id"])["uscc"]
        extra = {**registry_store.bed_counts(self.session, inst["id"]), "parent_uscc": parent,
                 "co_housing_post": self._co_housing_post(inst),
                 "designation": registry_rules.designation_status(
                     licences_store.designations_newest_first(self.session, inst["uscc"]), today)}
        if full:
            extra["status_history"] = registry_store.status_history_of(self.session, inst["id"])
            extra["grade_history"] = registry_store.grade_history_of(self.session, inst["id"])
            extra["licences"] = self._licences(inst)
        return institution_view(inst, extra)

    def _co_housing_post(self, inst: dict) -> dict | None:
        """The site's public-welfare post duty; its households are counted only
        where the duty applies (not for every row of a list)."""
        rule = admission_rules.co_housing_post_rule(inst["kind"],
                                                    policy.rules_for(inst["county_code"]))
        if rule is None:
            return None
        return admission_rules.co_housing_post_duty(
            rule, registry_store.households_at(self.session, inst["id"]),
            inst["public_welfare_posts"])

    def _licences(self, inst: dict) -> list[dict]:
        out = [licence_view(row, inst["uscc"], self.clock.today())
               for row in licences_store.licences_of(self.session, inst["id"])]
        for d in licences_store.designations_of(self.session, inst["uscc"]):
            out.append(licence_view({"id": None, "kind": "medical_insurance",
                                     "number": d["agreement_no"], "issuer": "医疗保障局",
                                     "valid_from": d["valid_from"],
                                     "valid_until": d["valid_until"]},
                                    inst["uscc"], self.clock.today(), status=d["status"]))
        return out

    def _page(self, query, page, per_page, view) -> dict:
        page, per_page = page_args(page, per_page)
        rows, total = fetch_page(self.session, query, page, per_page)
        return page_of([view(r) for r in rows], page, per_page, total)

    @staticmethod
    def _slice(items: list, page, per_page) -> dict:
        page, per_page = page_args(page, per_page)
        return to_jsonable(page_of(items, page, per_page))
