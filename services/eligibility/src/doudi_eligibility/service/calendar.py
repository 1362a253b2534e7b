"""Calendar work: annual reviews due, incapacity assessments expired, and the
hand-over at the pack's age (puyang-2020 §六: civil affairs takes over at 60)."""

from __future__ import annotations

from datetime import date

from doudi_common.args import parse_date
from doudi_common.entrypoints import config_timer, rpc

from doudi_eligibility.domain.enrolment import (
    birthday,
    handover_fact,
    last_day_before,
    latest_birth_date_for_age,
)
from doudi_eligibility.domain.person import hardship_fact
from doudi_eligibility.store import enrolments as enrolment_store
from doudi_eligibility.store import persons as person_store


class Calendar:
    @config_timer("CALENDAR_INTERVAL", 300.0)
    def calendar(self):
        self._run_calendar(self.clock.today())

    @rpc
    def run_calendar(self, on=None) -> dict:
        return self._run_calendar(parse_date(on, "on", self.clock.today()))

    def _run_calendar(self, today: date) -> dict:
        reviews = self._reviews_due(today) + self._assessments_expired(today)
        handed = 0
        for pack in self.registry.packs:
            if not pack.handover_age:
                continue
            cutoff = latest_birth_date_for_age(pack.handover_age, today)
            for id_number, rows in enrolment_store.reaching_age(
                    self.db.session, pack.id, pack.handover_modes, cutoff).items():
                self._hand_over(pack, id_number, rows,
                                birthday(rows[0]["birth_date"], pack.handover_age))
                handed += 1
        return {"on": today.isoformat(), "reviews_due": reviews, "handed_over": handed}

    def _review_due(self, row: dict, kind: str, due_on: date, sent_column: str) -> None:
        self.db.outbox.add("review.due", {
            "enrolment_id": row["enrolment_id"], "id_number": row["id_number"],
            "division_code": row["division_code"], "kind": kind, "due_on": due_on,
        }, division_code=row["division_code"], key=row["id_number"])
        enrolment_store.update_enrolment(self.db.session, row["enrolment_id"], touch=False,
                                         **{sent_column: due_on})
        self._history(row["enrolment_id"], "review_due", due_on, None, {"kind": kind})

    def _reviews_due(self, today: date) -> int:
        rows = enrolment_store.reviews_due(self.db.session, today)
        for row in rows:
            self._review_due(row, "annual_income", row["next_review_on"], "review_due_sent_for")
        return len(rows)

    def _assessments_expired(self, today: date) -> int:
        # the assessment the care rests on expired: re-assess (lanzhou-2021 §四(一)2
        # 定期对失能等级进行复核)
        rows = enrolment_store.assessments_expired(self.db.session, today)
        for row in rows:
            self._review_due(row, "incapacity", row["assessment_valid_until"],
                             "assessment_review_sent_for")
        return len(rows)

    def _hand_over(self, pack, id_number: str, rows: list[dict], on: date):
        """puyang-2020 §六: at 60 civil affairs takes over (五保/tekun); neighbour
        and centralised care under this policy end the day before."""
        session = self.db.session
        ended_modes = []
        for r in rows:
            row = {k: v for k, v in r.items() if k != "birth_date"}
            self._end(row, "handed_over", last_day_before(on), "calendar",
                      f"年满{pack.handover_age}周岁，由民政部门接管（{pack.handover_clause}）")
            ended_modes.append(row["care_mode"])
        person = person_store.get_person_row(session, id_number, lock=True)
        person_store.add_fact(session, id_number, handover_fact(pack, on, ended_modes))
        person_store.add_fact(session, id_number, hardship_fact(
            "tekun", "civil_affairs", on, None, f"{pack.handover_clause} 年满60周岁转民政接管"))
        self.db.outbox.add("person.handed_over", {
            "id_number": id_number, "division_code": person["division_code"],
            "handed_over_on": on, "age": pack.handover_age, "to_status": "tekun",
            "ended_care_modes": sorted(set(ended_modes)), "clause": pack.handover_clause,
        }, division_code=person["division_code"], key=id_number)
        self._redecide(person, "person.handed_over")
