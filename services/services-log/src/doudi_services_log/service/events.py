"""Events in: persons and enrolments from eligibility (a card opens, changes
or ends with the enrolment), deaths and hospital stays from health."""

from __future__ import annotations

from datetime import timedelta

from doudi_common.entrypoints import subscribe
from doudi_common.persons import record_person

from doudi_services_log.domain.cards import care_mode_change
from doudi_services_log.models import person_directory
from doudi_services_log.store import cards as store


class SuiteAndDepartmentEvents:
    @subscribe("eligibility", "person.registered")
    def on_person_registered(self, event):
        record_person(self.db, person_directory, event)

    @subscribe("eligibility", ["enrolment.started", "enrolment.changed", "enrolment.ended",
                               "person.handed_over"])
    def on_enrolment(self, event):
        data, now, session = event["data"], self.clock.now(), self.db.session
        kind = event["type"]
        if kind == "enrolment.started":
            store.open_card(session, now, id_number=data["id_number"],
                            division_code=data["division_code"], care_mode=data["care_mode"],
                            enrolment_id=data["enrolment_id"], by="eligibility",
                            detail={"event_id": event["id"], "care_mode": data["care_mode"],
                                    "started_on": data["started_on"].isoformat()})
        elif kind == "enrolment.changed":
            self._enrolment_changed(event)
        elif kind == "enrolment.ended":
            store.end_card(session, now, id_number=data["id_number"], ended_on=data["ended_on"],
                           reason=data["reason"], by="eligibility",
                           detail={"event_id": event["id"]}, missing_ok=True)
        elif kind == "person.handed_over":
            row = store.card_row(session, data["id_number"])
            if row is not None and row.care_mode in data["ended_care_modes"]:
                store.end_card(session, now, id_number=data["id_number"],
                               ended_on=data["handed_over_on"] - timedelta(days=1),
                               reason="handed_over", by="eligibility",
                               detail={"event_id": event["id"], "clause": data["clause"]},
                               missing_ok=True)

    def _enrolment_changed(self, event):
        data, now, session = event["data"], self.clock.now(), self.db.session
        row = store.card_row(session, data["id_number"], lock=True)
        if row is None:
            return
        values, action = care_mode_change(row.status, data["previous_care_mode"],
                                          data["care_mode"])
        store.update_card(session, now, data["id_number"], values)
        store.history(session, now, data["id_number"], action, "eligibility",
                       {"event_id": event["id"], "care_mode": data["care_mode"],
                        "previous_care_mode": data["previous_care_mode"],
                        "reason": data["reason"]})

    # A department's whole exchange comes through one queue: an unknown type is
    # dead-lettered before we run; known types we do not act on are recorded in
    # the inbox only.
    @subscribe("health", "#")
    def on_health(self, event):
        data, session, now = event["data"], self.db.session, self.clock.now()
        if event["type"] == "person.deceased":
            store.record_death(session, now, id_number=data["id_number"],
                               date_of_death=data["date_of_death"], event_id=event["id"])
        elif event["type"] in ("hospital.admitted", "hospital.discharged") and \
                store.card_row(session, data["id_number"]) is not None:
            # into the person's file for the township (qingyunpu-2021 §五5): home
            # services usually pause, but the card is not changed automatically
            store.history(session, now, data["id_number"], event["type"].replace(".", "_"),
                           "health", {"event_id": event["id"], "on": data["on"].isoformat(),
                                      "hospital_uscc": data["hospital_uscc"]})
