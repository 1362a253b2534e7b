"""Placements: admission, discharge, transfer with consent, care level over
the stay, the price segments funding settles against."""


from __future__ import annotations

from datetime import timedelta

from doudi_common.entrypoints import rpc
from doudi_common.errors import Conflict, Invalid, NotFound
from doudi_common.ids import (
    mask_id_number,
    validate_division_code,
    validate_id_number,
    validate_uscc,
)
from doudi_common.logs import get_logger
from doudi_common.money import money_str
from doudi_common.persons import get_person

from doudi_institutions import policy
from doudi_institutions.domain import admission as admission_rules
from doudi_institutions.domain import beds as beds_rules
from doudi_institutions.domain import inputs as inputs_rules
from doudi_institutions.domain import references as references_rules
from doudi_institutions.domain import vocab
from doudi_institutions.models import person_directory
from doudi_institutions.schemas import (
    admission_request_view,
    placement_view,
)
from doudi_institutions.store import admissions as admissions_store
from doudi_institutions.store import beds as beds_store
from doudi_institutions.store import catalogue as catalogue_store
from doudi_institutions.store import placements as placements_store
from doudi_institutions.store import registry as registry_store

log = get_logger(__name__)


class Placements:
    def _admit(self, *, id_number, uscc, admitted_on, care_level, care_mode="centralized",
               bed_no=None, division_code=None, enrolment_id=None, health_record_ref=None,
               rehab_plan_ref=None, transferred_from=None, event=True) -> dict:
        id_number, uscc = validate_id_number(id_number), validate_uscc(uscc)
        day = inputs_rules.as_date(admitted_on, "admitted_on")
        inputs_rules.choice(care_level, vocab.CARE_LEVELS, "care_level")
        inputs_rules.choice(care_mode, vocab.CARE_MODES, "care_mode")
        division_code = validate_division_code(
            self._division_of(id_number) if division_code is None else division_code)
        # a first read may miss what an admission this one queued behind
        # committed (admission_read): the insert then finds the person or the
        # bed taken, and the second read, under the lock, is current
        for last_try in (False, True):
            inst, bed = self._admission_target(uscc, id_number, bed_no)
            price, _ = self._monthly_price(inst["id"], bed["room_type"], care_level, day)
            row = placements_store.insert_placement(
                self.session, care_level=care_level, admitted_on=day,
                id_number=id_number, division_code=division_code, institution_id=inst["id"],
                bed_id=bed["id"], care_mode=care_mode, monthly_price=price,
                enrolment_id=enrolment_id, health_record_ref=health_record_ref,
                rehab_plan_ref=rehab_plan_ref, transferred_from=transferred_from)
            if row is not None:
                break
            if last_try:
                raise Conflict("该人员已入住或床位已被占用", reason="already_placed")
        if event:
            self.db.outbox.add("placement.admitted", {
                "placement_id": references_rules.placement_no(row["id"]),
                "id_number": id_number,
                "division_code": division_code, "institution_uscc": inst["uscc"],
                "care_mode": care_mode, "admitted_on": day, "bed_no": bed["bed_no"],
                "monthly_price": price, "enrolment_id": enrolment_id, "care_level": care_level,
            }, division_code=division_code, key=id_number)
        # the row as placements_query() joins it: a new placement has no absences
        return {**row, "uscc": inst["uscc"], "institution_name": inst["name"],
                "bed_no": bed["bed_no"], "room_type": bed["room_type"]}

    def _division_of(self, id_number: str) -> str:
        person = get_person(self.db, person_directory, id_number)
        if person is None:
            raise Invalid("未知人员，请提供其所在区划代码", field="division_code",
                          reason="unknown_person")
        return person["division_code"]

    def _admission_target(self, uscc: str, id_number: str, bed_no) -> tuple[dict, dict]:
        """The institution and the bed, once the admission rules allow them."""
        inst, placed, infected, bed = placements_store.admission_read(
            self.session, uscc, id_number, bed_no)
        block_clause = admission_rules.infection_clause(policy.rules_for(inst["county_code"]))
        blocked = infected and block_clause is not None
        if bed_no is not None and inst["status"] == "open" and not placed and not blocked:
            if bed is None:
                raise NotFound("未找到该床位", resource="bed", bed_no=bed_no)
            beds_rules.check_bed_available(bool(bed["placement_pk"]),
                                           bool(bed["out_of_service"]), bed_no)
        admission_rules.check_admission(admission_rules.AdmissionFacts(
            institution_status=inst["status"], has_open_placement=placed,
            infection_open=infected, free_beds=1 if bed is not None else 0,
            infection_block_clause=block_clause))
        return inst, bed

    def _placement_out(self, row: dict) -> dict:
        return placement_view(row, placements_store.absences_of(self.session, row["id"]))

    def _placement(self, pk: int) -> dict:
        row = placements_store.placement_joined(self.session, pk)
        if row is None:
            raise NotFound("未找到该入住记录", resource="placement")
        return self._placement_out(row)

    def _discharge(self, placement: dict, discharged_on, reason: str, note=None,
                   event=True) -> None:
        day = inputs_rules.as_date(discharged_on, "discharged_on")
        admission_rules.check_open(placement)
        admission_rules.check_not_before_admission(day, placement, "discharged_on", "离院日期")
        placements_store.close_placement(self.session, placement["id"], day, reason,
                              (note or None) and str(note)[:500])
        if event:
            inst = registry_store.institution_by_id(self.session, placement["institution_id"])
            self.db.outbox.add("placement.discharged", {
                "placement_id": references_rules.placement_no(placement["id"]),
                "id_number": placement["id_number"],
                "division_code": placement["division_code"], "institution_uscc": inst["uscc"],
                "discharged_on": day, "reason": reason, "care_level": placement["care_level"],
            }, division_code=placement["division_code"], key=placement["id_number"])

    def _discharge_open(self, id_number, on, reason, note) -> None:
        placement = placements_store.open_placement_for(self.session, id_number)
        if placement is not None:
            on = max(inputs_rules.as_date(on, "on"), placement["admitted_on"])
            self._discharge(placement, on, reason, note)

    @rpc
    def admission_policy(self, division_code: str) -> dict:
        """The admission rules of a jurisdiction (its 6-digit code)."""
        code = str(division_code or "")
        if not code.isdigit() or len(code) != 6:
            raise Invalid("区划代码应为6位数字", field="division_code")
        return admission_rules.admission_policy(policy.rules_for(code))

    @rpc
    def admit(self, id_number, uscc, admitted_on, care_level, care_mode="centralized",
              bed_no=None, division_code=None, enrolment_id=None, health_record_ref=None,
              rehab_plan_ref=None) -> dict:
        row = self._admit(id_number=id_number, uscc=uscc, admitted_on=admitted_on,
                          care_level=care_level, care_mode=care_mode, bed_no=bed_no,
                          division_code=division_code, enrolment_id=enrolment_id,
                          health_record_ref=health_record_ref, rehab_plan_ref=rehab_plan_ref)
        if enrolment_id:
            # staff placed someone whose enrolment was waiting for an institution
            admissions_store.mark_pending_admitted(self.session, enrolment_id, row["id"],
                                                   row["uscc"])
        return placement_view(row, [])

    @rpc
    def discharge(self, placement_id, discharged_on, reason, note=None) -> dict:
        pk = references_rules.placement_pk(placement_id)
        inputs_rules.choice(reason, vocab.DISCHARGE_REASONS, "reason")
        self._discharge(placements_store.placement_row(self.session, pk), discharged_on, reason,
                        note)
        return self._placement(pk)

    @rpc
    def record_consent(self, id_number, to_uscc, given, recorded_on, recorded_by=None,
                       note=None) -> dict:
        id_number = validate_id_number(id_number)
        inst = self._institution(to_uscc)
        inputs_rules.check_flag(given, "given")
        day = inputs_rules.as_date(recorded_on, "recorded_on")
        pk = placements_store.insert_consent(self.session, id_number, inst["id"], given, day,
                                             recorded_by, note)
        return {"id": pk, "id_number_masked": mask_id_number(id_number), "to_uscc": inst["uscc"],
                "given": given, "recorded_on": day.isoformat(), "recorded_by": recorded_by}

    def _transfer(self, placement: dict, target: dict, on, bed_no=None) -> dict:
        day = inputs_rules.as_date(on, "transferred_on")
        admission_rules.check_open(placement)
        admission_rules.check_other_institution(placement, target)
        admission_rules.check_transfer_consent(
            placements_store.latest_consent(self.session, placement["id_number"], target["id"]))
        source = registry_store.institution_by_id(self.session, placement["institution_id"])
        # consumers that follow placements see the old one end (its last day is the
        # day before the move, so no day is paid twice) and the new one start at the
        # target's price, tied together by placement.transferred
        last_day = max(day - timedelta(days=1), placement["admitted_on"])
        self._discharge(placement, last_day, "transferred", f"转入 {target['uscc']}")
        new = self._admit(id_number=placement["id_number"], uscc=target["uscc"], admitted_on=day,
                          care_level=placement["care_level"], care_mode=placement["care_mode"],
                          bed_no=bed_no, division_code=placement["division_code"],
                          enrolment_id=placement["enrolment_id"],
                          health_record_ref=placement["health_record_ref"],
                          rehab_plan_ref=placement["rehab_plan_ref"],
                          transferred_from=placement["id"])
        self.db.outbox.add("placement.transferred", {
            "placement_id": references_rules.placement_no(placement["id"]),
            "id_number": placement["id_number"], "division_code": placement["division_code"],
            "from_institution_uscc": source["uscc"], "to_institution_uscc": target["uscc"],
            "transferred_on": day, "consent_recorded": True,
            "care_level": placement["care_level"],
            "to_placement_id": references_rules.placement_no(new["id"]),
        }, division_code=placement["division_code"], key=placement["id_number"])
        return new

    @rpc
    def transfer(self, placement_id, to_uscc, transferred_on, bed_no=None) -> dict:
        placement = placements_store.placement_row(self.session,
                                                   references_rules.placement_pk(placement_id))
        target = self._institution(to_uscc)
        new = self._transfer(placement, target, transferred_on, bed_no)
        return self._placement(new["id"])

    @rpc
    def update_placement(self, placement_id, health_record_ref=None, rehab_plan_ref=None) -> dict:
        """The personal health record and one-person rehab plan references
        (luan-2021 §三(二)(五))."""
        pk = references_rules.placement_pk(placement_id)
        placements_store.placement_row(self.session, pk)
        values = {k: str(val)[:64] for k, val in (("health_record_ref", health_record_ref),
                                                   ("rehab_plan_ref", rehab_plan_ref))
                  if val is not None}
        if values:
            placements_store.update_placement(self.session, pk, **values)
        return self._placement(pk)

    @rpc
    def change_care_level(self, placement_id, care_level, on) -> dict:
        pk = references_rules.placement_pk(placement_id)
        placement = placements_store.placement_row(self.session, pk)
        day = inputs_rules.as_date(on, "on")
        admission_rules.check_not_before_admission(day, placement, "on", "变更日期")
        admission_rules.check_not_before(day, self._care_levels(placement)[-1][0], "on")
        self._change_care_level(placement, care_level, day, "staff")
        return self._placement(pk)

    @rpc
    def price_segments(self, placement_id, month) -> dict:
        """The monthly price in force over each part of ``month`` the person
        stayed: funding settles against these (luan-2021 §三(四))."""
        pk = references_rules.placement_pk(placement_id)
        placement = placements_store.placement_row(self.session, pk)
        first, last = references_rules.month_bounds(month)
        start = max(first, placement["admitted_on"])
        end = min(last, placement["discharged_on"] or last)
        out = {"placement_id": references_rules.placement_no(pk), "month": str(month),
               "segments": []}
        if start > end:
            return out
        room_type = None
        if placement["bed_id"]:
            room_type = beds_store.room_type_of_bed(self.session, placement["bed_id"])
        levels = self._care_levels(placement)
        price_days = catalogue_store.price_change_days(self.session, placement["institution_id"],
                                                       start, end)
        points = sorted({start, *price_days, *(d for d, _ in levels if start < d <= end)})
        for i, begin in enumerate(points):
            until = points[i + 1] - timedelta(days=1) if i + 1 < len(points) else end
            level = [lvl for d, lvl in levels if d <= begin][-1:] or [levels[0][1]]
            price, _ = self._monthly_price(placement["institution_id"], room_type, level[0],
                                           begin)
            out["segments"].append({"from": begin.isoformat(), "until": until.isoformat(),
                                    "days": (until - begin).days + 1, "care_level": level[0],
                                    "monthly_price": money_str(price)})
        return out

    @rpc
    def get_placement(self, placement_id) -> dict:
        return self._placement(references_rules.placement_pk(placement_id))

    @rpc
    def list_placements(self, uscc=None, id_number=None, status=None, division_code=None,
                        active_in=None, page=1, per_page=50) -> dict:
        query = placements_store.list_placements_query(
            division_code=division_code,
            active_between=references_rules.month_bounds(active_in) if active_in else None,
            uscc=validate_uscc(uscc) if uscc else None,
            id_number=validate_id_number(id_number) if id_number else None,
            status=inputs_rules.choice(status, ("open", "closed"), "status") if status else None)
        return self._page(query, page, per_page, self._placement_out)

    @rpc
    def list_admission_requests(self, status=None, uscc=None, page=1, per_page=50) -> dict:
        query = admissions_store.admission_requests_query(
            status, validate_uscc(uscc) if uscc else None)
        return self._page(query, page, per_page, admission_request_view)
