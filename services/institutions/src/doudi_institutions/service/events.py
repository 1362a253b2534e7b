"""Events in: persons and enrolments from eligibility (admission requests for
centralised care), infections, hospital stays, assessments and deaths from
health, designation agreements from medical insurance."""


from __future__ import annotations

from datetime import date

from doudi_common.entrypoints import subscribe
from doudi_common.errors import Conflict, Invalid, NotFound
from doudi_common.logs import get_logger
from doudi_common.persons import record_person

from doudi_institutions.domain import admission as admission_rules
from doudi_institutions.domain import inputs as inputs_rules
from doudi_institutions.domain import vocab
from doudi_institutions.models import person_directory
from doudi_institutions.store import admissions as admissions_store
from doudi_institutions.store import licences as licences_store
from doudi_institutions.store import placements as placements_store

log = get_logger(__name__)


class SuiteAndDepartmentEvents:
    @subscribe("eligibility", "person.registered")
    def on_person_registered(self, event):
        record_person(self.db, person_directory, event)

    @subscribe("eligibility", ["enrolment.started", "enrolment.changed", "enrolment.ended"])
    def on_enrolment(self, event):
        data, kind = event["data"], event["type"]
        if kind == "enrolment.started":
            self._enrolment_started(data)
        elif kind == "enrolment.changed":
            admissions_store.update_enrolment(self.session, data["enrolment_id"],
                                              care_mode=data["care_mode"],
                                   incapacity_level=data["incapacity_level"])
            if data["previous_care_mode"] == "centralized" and data["care_mode"] != "centralized":
                self._discharge_open(data["id_number"], data["changed_on"], "care_mode_changed",
                                     data["reason"])
            elif data["care_mode"] == "centralized":
                admissions_store.insert_admission_request(
                    self.session, enrolment_id=data["enrolment_id"], id_number=data["id_number"],
                    institution_uscc=None, status="pending", reason="no_institution")
        else:
            admissions_store.update_enrolment(self.session, data["enrolment_id"],
                                              ended_on=data["ended_on"])
            reason = admission_rules.ENDING_TO_DISCHARGE.get(data["reason"], "other")
            self._discharge_open(data["id_number"], data["ended_on"], reason, data.get("note"))

    def _enrolment_started(self, data: dict) -> None:
        admissions_store.upsert_enrolment(self.session, data)
        if data["care_mode"] != "centralized":
            return
        if admissions_store.enrolment_admitted(self.session, data["enrolment_id"]):
            return      # the same enrolment announced again: already placed
        self._request_admission(data["enrolment_id"], data["id_number"],
                                data.get("institution_uscc"), data["started_on"],
                                data["incapacity_level"], data["division_code"])

    def _request_admission(self, enrolment_id, id_number, uscc, on, care_level,
                           division_code) -> None:
        """Admit for an enrolment, or record why not (never dead-letter: staff see
        refused and pending requests through ``list_admission_requests``)."""
        request = {"enrolment_id": enrolment_id, "id_number": id_number,
                   "institution_uscc": uscc}
        if not uscc:
            admissions_store.insert_admission_request(self.session, status="pending",
                                                      reason="no_institution",
                                           **request)
            return
        savepoint = self.session.begin_nested()
        try:
            placement = self._admit(
                id_number=id_number, uscc=uscc, admitted_on=on, care_level=care_level,
                care_mode="centralized", division_code=division_code,
                enrolment_id=enrolment_id)
        except (Conflict, NotFound, Invalid) as exc:
            savepoint.rollback()
            reason = exc.fields.get("reason") or exc.code
            current = placements_store.open_placement_for(self.session, id_number)
            if reason == "already_placed" and current is not None \
                    and current["enrolment_id"] == enrolment_id:
                return      # the same enrolment announced twice at once: placed once
            log.info("admission refused", enrolment_id=enrolment_id, reason=reason)
            admissions_store.insert_admission_request(self.session, status="refused",
                                                      reason=reason, **request)
            return
        savepoint.commit()
        admissions_store.insert_admission_request(self.session, status="admitted",
                                                  placement_id=placement["id"],
                                       **request)

    @subscribe("health", "#")
    def on_health(self, event):
        handler = {"infection.flagged": self._infection_flagged,
                   "infection.cleared": self._infection_cleared,
                   "hospital.admitted": self._hospital_admitted,
                   "hospital.discharged": self._hospital_discharged,
                   "person.deceased": self._deceased,
                   "assessment.completed": self._assessed}.get(event["type"])
        if handler is not None:
            handler(event["data"])

    def _infection_flagged(self, data):
        admissions_store.insert_infection(self.session, data["id_number"], data["disease_code"],
                                          data["on"])

    def _infection_cleared(self, data):
        admissions_store.clear_infection(self.session, data["id_number"], data["disease_code"],
                                         data["on"])
        if admissions_store.infection_open(self.session, data["id_number"]):
            return
        # admissions refused only for the infection go ahead now (puyang-2020 §四(四))
        latest = admissions_store.latest_centralised_request(self.session, data["id_number"])
        if latest is not None and latest.status == "refused" \
                and latest.reason == "infection_open":
            self._request_admission(latest.enrolment_id, latest.id_number,
                                    latest.institution_uscc,
                                    max(data["on"], latest.started_on),
                                    latest.incapacity_level, latest.division_code)

    def _hospital_admitted(self, data):
        placement = placements_store.open_placement_for(self.session, data["id_number"])
        if placement is not None:
            placements_store.start_hospital_stay(self.session, placement["id"],
                                                 data["hospital_uscc"],
                                      data["on"])

    def _hospital_discharged(self, data):
        placement = placements_store.open_placement_for(self.session, data["id_number"])
        if placement is not None:
            placements_store.end_hospital_stay(self.session, placement["id"], data["on"])

    def _assessed(self, data):
        """A re-assessment changes the care level of an open placement from the
        assessment date (never before admission or an earlier change)."""
        placement = placements_store.open_placement_for(self.session, data["id_number"])
        if placement is None or placement["care_level"] == data["incapacity_level"]:
            return
        self._change_care_level(placement, data["incapacity_level"], data["assessed_on"],
                                f"assessment:{data['assessment_id']}"[:64])

    def _change_care_level(self, placement: dict, care_level: str, on, source: str) -> None:
        inputs_rules.choice(care_level, vocab.CARE_LEVELS, "care_level")
        day = inputs_rules.as_date(on, "on")
        admission_rules.check_open(placement)
        latest = placements_store.latest_care_level_change(self.session, placement["id"])
        day = max(day, placement["admitted_on"], latest or placement["admitted_on"])
        placements_store.insert_care_level_change(self.session, placement["id"], care_level, day,
                                                  source)

    def _care_levels(self, placement: dict) -> list[tuple[date, str]]:
        """(from, care level) over the stay, oldest first."""
        return placements_store.care_level_changes_of(self.session, placement["id"]) or \
            [(placement["admitted_on"], placement["care_level"])]

    def _deceased(self, data):
        self._discharge_open(data["id_number"], data["date_of_death"], "deceased", None)

    @subscribe("medical_insurance", "#")
    def on_medical_insurance(self, event):
        kind, data = event["type"], event["data"]
        if kind not in ("designation.signed", "designation.terminated"):
            return
        licences_store.save_designation(
            self.session, data["institution_uscc"], data["agreement_no"],
            valid_from=data["valid_from"], valid_until=data["valid_until"],
            status="signed" if kind == "designation.signed" else "terminated",
            event_id=event["id"])
