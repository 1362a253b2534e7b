"""The institution registry: registration, changes, status, reads and lists."""


from __future__ import annotations

from doudi_common.entrypoints import rpc
from doudi_common.ids import (
    validate_division_code,
    validate_uscc,
)
from doudi_common.logs import get_logger

from doudi_institutions.domain import inputs as inputs_rules
from doudi_institutions.domain import registry as registry_rules
from doudi_institutions.domain import vocab
from doudi_institutions.store import registry as registry_store

log = get_logger(__name__)


class Registry:
    @rpc
    def register_institution(self, uscc, name, legal_form, kind, operating_model, division_code,
                             opened_on=None, address=None, operator=None, contact_name=None,
                             contact_phone=None, status="preparing", parent_uscc=None) -> dict:
        code = validate_uscc(uscc)
        name = registry_rules.check_name(name)
        inputs_rules.choice(legal_form, vocab.LEGAL_FORMS, "legal_form")
        inputs_rules.choice(kind, vocab.KINDS, "kind")
        inputs_rules.choice(operating_model, vocab.OPERATING_MODELS, "operating_model")
        inputs_rules.choice(status, ("preparing", "open"), "status")
        division = registry_rules.check_county_or_below(validate_division_code(division_code))
        registry_rules.check_not_registered(registry_store.uscc_registered(self.session, code),
                                            code)
        parent_id = self._institution(parent_uscc)["id"] if parent_uscc else None
        today = self.clock.today()
        registry_store.insert_institution(
            self.session, status=status, registered_on=today,
            uscc=code, name=name, legal_form=legal_form, kind=kind,
            operating_model=operating_model, division_code=division, county_code=division[:6],
            address=address, operator=operator, contact_name=contact_name,
            contact_phone=contact_phone, opened_on=inputs_rules.opt_date(opened_on, "opened_on"),
            parent_id=parent_id)
        self.db.outbox.add("institution.registered", {
            "institution_uscc": code, "name": name, "division_code": division,
            "operating_model": operating_model, "beds": 0, "registered_on": today,
        }, division_code=division, key=code)
        return self._view(self._institution(code), full=True)

    @rpc
    def update_institution(self, uscc, **changes) -> dict:
        inst = self._institution(uscc, lock=True)
        values = registry_rules.check_updatable(changes, vocab.UPDATABLE)
        if "legal_form" in values:
            inputs_rules.choice(values["legal_form"], vocab.LEGAL_FORMS, "legal_form")
        if "kind" in values:
            inputs_rules.choice(values["kind"], vocab.KINDS, "kind")
        if "operating_model" in values:
            inputs_rules.choice(values["operating_model"], vocab.OPERATING_MODELS,
                                "operating_model")
        if "division_code" in values:
            values["division_code"] = validate_division_code(values["division_code"])
            values["county_code"] = values["division_code"][:6]
        if "opened_on" in values:
            values["opened_on"] = inputs_rules.opt_date(values["opened_on"], "opened_on")
        if values:
            registry_store.update_institution(self.session, inst["id"], **values)
        return self._view(self._institution(uscc), full=True)

    @rpc
    def set_status(self, uscc, status, on, reason) -> dict:
        inst = self._institution(uscc, lock=True)
        inputs_rules.choice(status, vocab.STATUSES, "status")
        day = inputs_rules.as_date(on, "on")
        inputs_rules.required(reason, "reason", "原因")
        registry_rules.check_transition(inst["status"], status)
        registry_rules.check_can_close(
            status, registry_store.bed_counts(self.session, inst["id"])["occupied"])
        registry_store.record_status(self.session, inst["id"], status, day, reason)
        if status == "suspended":
            self.db.outbox.add("institution.suspended", {
                "institution_uscc": inst["uscc"], "suspended_on": day, "reason": reason[:500]},
                division_code=inst["division_code"], key=inst["uscc"])
        elif status == "closed":
            self.db.outbox.add("institution.closed", {
                "institution_uscc": inst["uscc"], "closed_on": day, "reason": reason[:500]},
                division_code=inst["division_code"], key=inst["uscc"])
        return self._view(self._institution(uscc), full=True)

    @rpc
    def get_institution(self, uscc) -> dict:
        return self._view(self._institution(uscc), full=True)

    @rpc
    def list_institutions(self, division_code=None, kind=None, status=None, page=1,
                          per_page=50) -> dict:
        query = registry_store.institutions_query(
            division_code,
            kind=inputs_rules.choice(kind, vocab.KINDS, "kind") if kind else None,
            status=inputs_rules.choice(status, vocab.STATUSES, "status") if status else None)
        return self._page(query, page, per_page, self._view)
