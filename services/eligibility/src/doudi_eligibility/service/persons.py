"""Persons: registration by a clerk (with household and hardship facts), the
end of a hardship status, reads and lists; and what every fact change leads to
— the person decided again, enrolments no longer eligible flagged for review."""

from __future__ import annotations

from doudi_common.args import parse_date
from doudi_common.entrypoints import read_over_http, rpc
from doudi_common.ids import mask_id_number, validate_id_number
from doudi_common.logs import get_logger
from doudi_common.paging import page_args, page_of
from doudi_common.serialize import to_jsonable
from doudi_contracts.vocabularies import check_code

from doudi_eligibility.domain.decision import mode_rules_failed
from doudi_eligibility.domain.enrolment import when_no_longer_eligible
from doudi_eligibility.domain.person import (
    REGISTRATIONS,
    check_ended_on,
    check_residence,
    hardship_ended_fact,
    hardship_fact,
    household_fact,
    identity_from,
    is_repeat,
    reregistration,
    residence_fact,
)
from doudi_eligibility.schemas import PersonSchema, registration_payload
from doudi_eligibility.store import enrolments as enrolment_store
from doudi_eligibility.store import persons as person_store
from doudi_eligibility.store.decisions import evaluate, record_decision, stored_decision

log = get_logger(__name__)


class Persons:
    def _upsert_person(self, identity, registration: str | None = None,
                       source_event: str | None = None, actor: str = "",
                       department: bool = False) -> dict:
        """Create or update a person (``domain.person.reregistration`` says what
        a department may change); ``person.registered`` when they are new or
        their name or division changed."""
        session = self.db.session
        row = person_store.find_person_row(session, identity.id_number, lock=True)
        if row is None:
            person_store.insert_person(session, identity, registration)
            announce = True
            log.info("person registered", id_number=identity.id_number)
            adopted = person_store.adopt_pending_facts(session, identity.id_number)
            deaths = [f.valid_from for f in adopted if f.kind == "death"]
            if deaths:
                person_store.set_deceased(session, identity.id_number, min(deaths),
                                          touch=False)
        else:
            again = reregistration(row, identity, registration, department)
            if again.name_differs:
                log.warning("department reports a different name; kept the registered one",
                            id_number=identity.id_number, source_event=source_event)
            announce = False
            if again.changes:
                person_store.update_person(session, identity.id_number, **again.changes)
                announce = again.announce
                if again.residence_changed:
                    person_store.add_fact(session, identity.id_number, residence_fact(
                        identity, registration, row, actor, self.clock.today()))
        if announce:
            self.db.outbox.add("person.registered", {
                "id_number": identity.id_number, "name": identity.name,
                "birth_date": identity.birth_date, "sex": identity.sex,
                "division_code": identity.division_code, "source_event": source_event,
            }, division_code=identity.division_code, key=identity.id_number)
        return person_store.get_person_row(session, identity.id_number)

    def _redecide(self, person: dict, trigger: str) -> bool:
        decision, _ = evaluate(self.db.session, self.registry, person, self.clock.today())
        changed = record_decision(self.db, person, decision, trigger)
        if changed:
            self._review_if_no_longer_eligible(person, decision)
        return changed

    def _review_if_no_longer_eligible(self, person: dict, decision):
        """An enrolment whose care mode is no longer eligible is flagged for county
        review (exit is a county decision, luan-2021 §三(六)), not ended — unless
        the pack changes or stops services with the status (qingyunpu-2021 §五5)."""
        today = self.clock.today()
        for row in enrolment_store.active_of(self.db.session, person["id_number"]):
            if row["care_mode"] in decision.outcome.care_modes:
                continue
            pack = self.registry.get(row["policy_pack"], row["pack_version"])
            action, mode = when_no_longer_eligible(pack, row["care_mode"],
                                                   decision.outcome.care_modes)
            note = f"{pack.status_change_clause}：{decision.summary}"[:500]
            if action == "change":
                self.change_care_mode(row["enrolment_id"], mode, today, note, "eligibility",
                                      "system")
                continue
            if action == "stop":
                self._end(row, "no_longer_eligible", today, "eligibility", note, "system")
                continue
            self.db.outbox.add("review.due", {
                "enrolment_id": row["enrolment_id"], "id_number": row["id_number"],
                "division_code": row["division_code"], "kind": "eligibility", "due_on": today,
            }, division_code=row["division_code"], key=row["id_number"])
            self._history(row["enrolment_id"], "review_due", today, None,
                          {"kind": "eligibility",
                           "rules_failed": mode_rules_failed(decision, row["care_mode"])})

    @rpc
    def register_person(self, person: dict) -> dict:
        person = registration_payload(person, REGISTRATIONS)
        registration = person.get("registration")
        identity = identity_from(person.get("id_number", ""), person.get("name", ""),
                                 person.get("division_code", ""),
                                 parse_date(person.get("birth_date"), "birth_date"),
                                 person.get("sex"))
        check_residence(identity.division_code)
        actor = str(person.get("actor") or "clerk")
        facts = []
        if person.get("household") is not None:
            household = dict(person["household"])
            household.setdefault("valid_from", self.clock.today())
            facts.append(household_fact(household, source=actor))
        for item in person.get("hardship") or []:
            facts.append(hardship_fact(item.get("status"), item.get("source") or "civil_affairs",
                                       item.get("valid_from"), item.get("valid_until"),
                                       item.get("note")))
        row = self._upsert_person(identity, registration, actor=actor)
        session = self.db.session
        for fact in facts:
            recorded = person_store.latest_facts_of_kind(session, identity.id_number, fact.kind)
            if not is_repeat(fact, recorded, to_jsonable(fact.payload)):
                person_store.add_fact(session, identity.id_number, fact)
        self._redecide(row, "person.updated")
        return self._person_reply(identity.id_number)

    @rpc
    def end_hardship(self, id_number: str, status: str, ended_on, source: str = "civil_affairs",
                     reason: str | None = None) -> dict:
        id_number = validate_id_number(id_number)
        row = person_store.get_person_row(self.db.session, id_number, lock=True)
        fact = check_ended_on(hardship_ended_fact(status, source,
                                                  parse_date(ended_on, "ended_on"), reason))
        person_store.add_fact(self.db.session, id_number, fact)
        self._redecide(row, "hardship.ended")
        return self._person_reply(id_number)

    @rpc
    @read_over_http
    def get_person(self, id_number: str) -> dict:
        id_number = validate_id_number(id_number)
        with self.db.reading() as conn:
            return self._person_reply(id_number, conn)

    def _person_reply(self, id_number: str, db=None) -> dict:
        session = db if db is not None else self.db.session
        person = person_store.get_person_row(session, id_number)
        person["facts"] = person_store.fact_rows(session, id_number)
        reply = PersonSchema().dump(person)
        reply["registration"] = person.get("registration")
        reply["deceased_on"] = person["deceased_on"].isoformat() if person.get("deceased_on") \
            else None
        decision = stored_decision(session, id_number)
        reply["decision"] = to_jsonable({k: v for k, v in decision.items() if k != "id_number"}) \
            if decision else None
        return reply

    @rpc
    def list_persons(self, division_prefix=None, eligible=None, name=None, page=1,
                     per_page=50, hardship=None, care_mode=None, enrolled=None,
                     alive=None) -> dict:
        page, per_page = page_args(page, per_page)
        rows, total = person_store.list_persons(
            self.db.session, division_prefix_=division_prefix, eligible=eligible, name=name,
            page=page, per_page=per_page, hardship=check_code("hardship", hardship),
            care_mode=check_code("care_modes", care_mode), enrolled=enrolled,
            alive=None if alive is None else bool(alive), on=self.clock.today())
        # the full number for the gateway, which masks it and seals a link (person_ref)
        items = [{"id_number": r["id_number"], "id_number_masked": mask_id_number(r["id_number"]),
                  "name": r["name"],
                  "division_code": r["division_code"], "registration": r["registration"],
                  "deceased_on": r["deceased_on"].isoformat() if r["deceased_on"] else None,
                  "eligible": bool(r["eligible"]), "care_modes": r["care_modes"] or [],
                  "policy_pack": r["policy_pack"], "priority": r["priority"]} for r in rows]
        return page_of(items, page, per_page, total)
