"""Licences (and their expiry alerts), the grade under GB/T 37276-2018, staff counts."""


from __future__ import annotations

from doudi_common.entrypoints import rpc
from doudi_common.logs import get_logger

from doudi_institutions.domain import inputs as inputs_rules
from doudi_institutions.domain import licences as licences_rules
from doudi_institutions.domain import registry as registry_rules
from doudi_institutions.domain import vocab
from doudi_institutions.schemas import (
    licence_view,
)
from doudi_institutions.store import licences as licences_store
from doudi_institutions.store import registry as registry_store

log = get_logger(__name__)


class LicencesGradesStaff:
    @rpc
    def add_licence(self, uscc, kind, number, issuer, valid_from, valid_until=None) -> dict:
        inst = self._institution(uscc)
        if kind != "medical_insurance":
            inputs_rules.choice(kind, vocab.STAFF_LICENCE_KINDS, "kind")
        licences_rules.check_licence(kind, number, issuer)
        start = inputs_rules.as_date(valid_from, "valid_from")
        end = inputs_rules.opt_date(valid_until, "valid_until")
        registry_rules.check_period(start, end)
        row = licences_store.insert_licence(self.session, inst["id"], kind, str(number)[:64],
                                   str(issuer)[:100], start, end)
        return licence_view(row, inst["uscc"], self.clock.today())

    @rpc
    def list_licences(self, uscc) -> list:
        return self._licences(self._institution(uscc))

    @rpc
    def licence_alerts(self, within_days=60, division_code=None, page=1, per_page=50) -> dict:
        items = [{k: val for k, val in a.items() if k not in ("licence_id", "institution_id")}
                 for a in self._licence_alerts(int(within_days), division_code)]
        return self._slice(items, page, per_page)

    def _licence_alerts(self, within_days: int, division_code=None) -> list[dict]:
        return licences_rules.licence_alerts(licences_store.licences_expiring(self.session,
                                                                              division_code),
                                    licences_store.designations_signed(self.session, division_code),
                                    self.clock.today(), within_days)

    @rpc
    def set_grade(self, uscc, grade, assessed_on) -> dict:
        inst = self._institution(uscc, lock=True)
        grade = registry_rules.check_grade(grade)
        day = inputs_rules.not_in_future(inputs_rules.as_date(assessed_on, "assessed_on"),
                                         self.clock.today(), "assessed_on", "评定日期")
        registry_store.record_grade(self.session, inst["id"], grade, day)
        self.db.outbox.add("institution.graded", {
            "institution_uscc": inst["uscc"], "grade": grade, "graded_on": day,
            "standard": "GB/T 37276-2018"}, division_code=inst["division_code"],
            key=inst["uscc"])
        return self._view(self._institution(uscc), full=True)

    @rpc
    def set_staff(self, uscc, nurses=0, carers=0, safety_officers=0, social_workers=0,
                  others=0, public_welfare_posts=0) -> dict:
        inst = self._institution(uscc, lock=True)
        counts = {"nurses": nurses, "carers": carers, "safety_officers": safety_officers,
                  "social_workers": social_workers, "other_staff": others,
                  "public_welfare_posts": public_welfare_posts}
        registry_rules.check_staff_counts(counts)
        registry_store.update_institution(self.session, inst["id"], **counts)
        view = self._view(self._institution(uscc))
        residents = view["occupied"]
        return {"uscc": view["uscc"], "staff": view["staff"], "residents": residents,
                "carers_per_resident": registry_rules.carers_per_resident(carers, residents),
                "co_housing_post": view["co_housing_post"]}
