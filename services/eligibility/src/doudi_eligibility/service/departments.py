"""Department events: CDPF certificates, health's assessments, infections,
hospital stays and deaths become dated facts, and the person is decided again."""

from __future__ import annotations

from doudi_common.entrypoints import each_event, subscribe
from doudi_common.logs import get_logger

from doudi_eligibility.domain.person import Fact, fact_from_event, identity_from
from doudi_eligibility.store import applications as application_store
from doudi_eligibility.store import enrolments as enrolment_store
from doudi_eligibility.store import persons as person_store
from doudi_eligibility.store.decisions import person_snapshot
from doudi_eligibility.store.ingest import register_new_certificates

log = get_logger(__name__)


class DepartmentEvents:
    # A department's whole exchange comes through one queue: a type the contract
    # does not know is dead-lettered before we run; a known type we do not act on
    # (subsidies: funding's business) is acknowledged and recorded in the inbox only.
    @subscribe("cdpf", "#", batch=True)
    def on_cdpf(self, events):
        # certificates of people not registered yet in bulk; the rest one by one
        rest = register_new_certificates(self.db, self.registry, self.clock.today(), events)
        for event in each_event(rest):
            if event["type"] in ("certificate.issued", "certificate.changed"):
                self._certificate(event)
            elif event["type"] == "certificate.revoked":
                self._fact_event("cdpf", event)

    @subscribe("health", "#")
    def on_health(self, event):
        self._fact_event("health", event)

    def _certificate(self, event):
        data = event["data"]
        identity = identity_from(data["id_number"], data["name"], data["division_code"])
        person = self._upsert_person(identity, source_event=event["id"], actor="cdpf",
                                     department=True)
        fact = fact_from_event("cdpf", event["type"], event["id"], data, event.get("time"))
        if identity.name != person["name"]:
            fact.payload["name_reported"] = identity.name
        person_store.add_fact(self.db.session, person["id_number"], fact)
        self._redecide(person, event["type"])

    def _fact_event(self, source: str, event):
        data = event["data"]
        session = self.db.session
        fact = fact_from_event(source, event["type"], event["id"], data, event.get("time"))
        person = person_store.find_person_row(session, data["id_number"], lock=True)
        if person is None:
            # nobody registered this person yet (no name, no division): keep the
            # fact until a clerk or CDPF registers them
            person_store.park_fact(session, data["id_number"], fact)
            log.info("fact kept for a person not registered yet", kind=fact.kind,
                     id_number=data["id_number"], event_id=event["id"])
            return
        person_store.add_fact(session, person["id_number"], fact)
        if event["type"] == "person.deceased":
            self._death(person, fact)
        elif event["type"] == "assessment.completed":
            self._reassessed(person)
        self._redecide(person, event["type"])

    def _reassessed(self, person: dict):
        """A new incapacity assessment: active enrolments follow the level in force
        today (``enrolment.changed`` when it moved) and its new expiry date."""
        session = self.db.session
        today = self.clock.today()
        pf = person_snapshot(session, person, today)
        level = pf.incapacity_level
        until = pf.assessment.valid_until if pf.assessment else None
        for row in enrolment_store.active_of(session, person["id_number"], lock=True):
            enrolment_store.update_enrolment(session, row["enrolment_id"],
                                             incapacity_level=level,
                                             assessment_valid_until=until)
            if level == row["incapacity_level"]:
                continue
            self._history(row["enrolment_id"], "incapacity_changed", today, "health",
                          {"from": row["incapacity_level"], "to": level})
            self.db.outbox.add("enrolment.changed", {
                "enrolment_id": row["enrolment_id"], "id_number": row["id_number"],
                "division_code": row["division_code"], "care_mode": row["care_mode"],
                "previous_care_mode": row["care_mode"], "incapacity_level": level,
                "changed_on": today,
                "reason": f"失能评估结果变化：{row['incapacity_level']} → {level}",
            }, division_code=row["division_code"], key=row["id_number"])

    def _death(self, person: dict, fact: Fact):
        """A death ends every active enrolment on the day and withdraws open
        applications."""
        died = fact.valid_from
        session = self.db.session
        person_store.set_deceased(session, person["id_number"], died)
        person["deceased_on"] = died
        for row in enrolment_store.active_of(session, person["id_number"], lock=True):
            self._end(row, "deceased", died, actor="health", note=None)
        for app in application_store.open_or_approved_of(session, person["id_number"]):
            self._step(app["application_id"], "withdraw", app["state"], "withdrawn", "health",
                       "department_liaison", died, "申请人死亡，申请终止", {})
            application_store.update_application(session, app["application_id"],
                                                 state="withdrawn", reason="申请人死亡")
