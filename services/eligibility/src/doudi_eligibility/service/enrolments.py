"""Enrolments: reads, the annual income review (co-payment band), a change of
care mode, the end of care — each with its history and event."""

from __future__ import annotations

from datetime import date

from doudi_common.args import parse_date
from doudi_common.entrypoints import rpc
from doudi_common.ids import mask_id_number, validate_id_number
from doudi_common.serialize import to_jsonable

from doudi_eligibility.domain import enrolment as enrolment_rules
from doudi_eligibility.domain.enrolment import (
    add_months,
    check_end_reason,
    parse_income,
)
from doudi_eligibility.store import enrolments as enrolment_store
from doudi_eligibility.store import persons as person_store
from doudi_eligibility.store.decisions import evaluate

HIDDEN = ("id_number", "review_due_sent_for", "assessment_review_sent_for", "created_at")


class Enrolments:
    def _history(self, enrolment_id, kind, on_date, actor, data):
        enrolment_store.add_history(self.db.session, enrolment_id, kind, on_date, actor, data)

    def _enrolment_dict(self, row: dict) -> dict:
        out = to_jsonable({k: v for k, v in row.items() if k not in HIDDEN})
        out["id_number_masked"] = mask_id_number(row["id_number"])
        out["history"] = [to_jsonable({"kind": h["kind"], "on": h["on_date"], "at": h["at"],
                                       "actor": h["actor"], "data": h["data"]})
                          for h in enrolment_store.history_of(self.db.session,
                                                              row["enrolment_id"])]
        return out

    @rpc
    def person_enrolments(self, id_number: str) -> list:
        id_number = validate_id_number(id_number)
        person_store.get_person_row(self.db.session, id_number)
        return [self._enrolment_dict(r)
                for r in enrolment_store.enrolments_of(self.db.session, id_number)]

    @rpc
    def get_enrolment(self, enrolment_id: str) -> dict:
        return self._enrolment_dict(enrolment_store.enrolment_row(self.db.session, enrolment_id))

    def _active(self, enrolment_id: str) -> dict:
        row = enrolment_store.enrolment_row(self.db.session, enrolment_id, lock=True)
        enrolment_rules.check_active(row)
        return row

    @rpc
    def complete_review(self, enrolment_id: str, completed_on, income_per_head, actor: str,
                        role: str = "county_officer", note: str | None = None) -> dict:
        row = self._active(enrolment_id)
        pack = self.registry.get(row["policy_pack"], row["pack_version"])
        on = parse_date(completed_on, "completed_on", self.clock.today())
        income = parse_income(income_per_head)
        band = pack.copay_band(income, on)
        new_band = band.band if band else None
        share = str(band.share) if band else None
        clause = band.clause if band else pack.review_clause
        next_review = add_months(on, pack.review_interval_months)
        enrolment_store.update_enrolment(self.db.session, enrolment_id, copay_band=new_band,
                                         next_review_on=next_review)
        self._history(enrolment_id, "review_completed", on, actor, {
            "income_per_head": income, "copay_band": new_band, "copay_share": share,
            "clause": clause, "role": role, "note": note, "next_review_on": next_review})
        self.db.outbox.add("review.completed", {
            "enrolment_id": enrolment_id, "id_number": row["id_number"],
            "division_code": row["division_code"], "kind": "annual_income",
            "completed_on": on, "income_per_head": income,
            "copay_band": new_band, "previous_copay_band": row["copay_band"],
            "copay_share": share, "next_review_on": next_review, "clause": clause,
        }, division_code=row["division_code"], key=row["id_number"])
        return self.get_enrolment(enrolment_id)

    @rpc
    def change_care_mode(self, enrolment_id: str, care_mode: str, on, reason: str, actor: str,
                         role: str = "county_officer") -> dict:
        row = self._active(enrolment_id)
        on = parse_date(on, "on", self.clock.today())
        enrolment_rules.check_mode_change(row["care_mode"], care_mode, reason)
        person = person_store.get_person_row(self.db.session, row["id_number"])
        decision, pf = evaluate(self.db.session, self.registry, person, on)
        enrolment_rules.check_eligible_for(care_mode, decision.outcome.care_modes,
                                           decision.summary)
        enrolment_store.update_enrolment(self.db.session, enrolment_id, care_mode=care_mode,
                                         incapacity_level=pf.incapacity_level)
        self._history(enrolment_id, "care_mode_changed", on, actor, {
            "from": row["care_mode"], "to": care_mode, "reason": reason, "role": role})
        self.db.outbox.add("enrolment.changed", {
            "enrolment_id": enrolment_id, "id_number": row["id_number"],
            "division_code": row["division_code"], "care_mode": care_mode,
            "previous_care_mode": row["care_mode"], "incapacity_level": pf.incapacity_level,
            "changed_on": on, "reason": reason[:500],
        }, division_code=row["division_code"], key=row["id_number"])
        return self.get_enrolment(enrolment_id)

    @rpc
    def end_enrolment(self, enrolment_id: str, reason: str, on, actor: str,
                      role: str = "county_officer", note: str | None = None) -> dict:
        row = self._active(enrolment_id)
        check_end_reason(reason)
        on = parse_date(on, "on", self.clock.today())
        enrolment_rules.check_end_after_start(on, row["started_on"])
        self._end(row, reason, on, actor, note, role=role)
        return self.get_enrolment(enrolment_id)

    def _end(self, row: dict, reason: str, on: date, actor: str | None, note: str | None,
             role: str | None = None):
        enrolment_store.update_enrolment(self.db.session, row["enrolment_id"], status="ended",
                                         ended_on=on, end_reason=reason)
        self._history(row["enrolment_id"], "ended", on, actor,
                      {"reason": reason, "note": note, "role": role})
        self.db.outbox.add("enrolment.ended", {
            "enrolment_id": row["enrolment_id"], "id_number": row["id_number"],
            "division_code": row["division_code"], "care_mode": row["care_mode"],
            "ended_on": on, "reason": reason, "note": note,
        }, division_code=row["division_code"], key=row["id_number"])
