"""institutions: the institution registry, licences and grades, priced service
catalogue, beds and placements, inspections and regional consolidation (issue 5).

Thin entrypoints: parse, call the domain, store through the unit of work
(``store``), add events to the outbox. The RPC surface is described in ``RPC.md``.
"""

from __future__ import annotations

from datetime import date, timedelta

from doudi_common.clock import Clock
from doudi_common.db import Database
from doudi_common.entrypoints import rpc, subscribe, timer
from doudi_common.errors import Conflict, Invalid, NotFound
from doudi_common.ids import (
    mask_id_number,
    validate_division_code,
    validate_id_number,
    validate_uscc,
)
from doudi_common.logs import get_logger
from doudi_common.money import money_str
from doudi_common.persons import get_person, record_person
from doudi_common.serialize import to_jsonable
from doudi_common.service_base import ServiceBase

from doudi_institutions import store
from doudi_institutions.domain import consolidation as cons
from doudi_institutions.domain import rules
from doudi_institutions.domain import vocab as v
from doudi_institutions.models import metadata, person_directory
from doudi_institutions.schemas import (
    KnownPersonSchema,
    admission_request_view,
    bed_view,
    inspection_view,
    institution_view,
    licence_view,
    page_args,
    placement_view,
)

log = get_logger(__name__)


class InstitutionsService(ServiceBase):
    name = "institutions"

    db = Database(metadata)
    clock = Clock()

    # ------------------------------------------------------------------ helpers

    @property
    def s(self):
        return self.db.session

    def _institution(self, uscc, lock: bool = False) -> dict:
        return store.institution_by_uscc(self.s, validate_uscc(uscc), lock)

    def _view(self, inst: dict, full: bool = False) -> dict:
        today = self.clock.today()
        parent = None
        if inst["parent_id"]:
            parent = store.institution_by_id(self.s, inst["parent_id"])["uscc"]
        extra = {**store.bed_counts(self.s, inst["id"]), "parent_uscc": parent,
                 "designation": rules.designation_status(
                     store.designations_newest_first(self.s, inst["uscc"]), today)}
        if full:
            extra["status_history"] = store.status_history_of(self.s, inst["id"])
            extra["grade_history"] = store.grade_history_of(self.s, inst["id"])
            extra["licences"] = self._licences(inst)
        return institution_view(inst, extra)

    def _licences(self, inst: dict) -> list[dict]:
        out = [licence_view(row, inst["uscc"], self.clock.today())
               for row in store.licences_of(self.s, inst["id"])]
        for d in store.designations_of(self.s, inst["uscc"]):
            out.append(licence_view({"id": None, "kind": "medical_insurance",
                                     "number": d["agreement_no"], "issuer": "医疗保障局",
                                     "valid_from": d["valid_from"],
                                     "valid_until": d["valid_until"]},
                                    inst["uscc"], self.clock.today(), status=d["status"]))
        return out

    def _page(self, query, page, per_page, view) -> dict:
        page, per_page = page_args(page, per_page)
        rows, total = store.fetch_page(self.s, query, page, per_page)
        return {"items": [view(r) for r in rows], "page": page, "per_page": per_page,
                "total": total}

    @staticmethod
    def _slice(items: list, page, per_page) -> dict:
        page, per_page = page_args(page, per_page)
        return {"items": to_jsonable(items[(page - 1) * per_page:page * per_page]),
                "page": page, "per_page": per_page, "total": len(items)}

    # ------------------------------------------------------------------ events in

    @subscribe("eligibility", "person.registered")
    def on_person_registered(self, event):
        record_person(self.db, person_directory, event)

    @subscribe("eligibility", ["enrolment.started", "enrolment.changed", "enrolment.ended"])
    def on_enrolment(self, event):
        data, kind = event["data"], event["type"]
        if kind == "enrolment.started":
            self._enrolment_started(data)
        elif kind == "enrolment.changed":
            store.update_enrolment(self.s, data["enrolment_id"], care_mode=data["care_mode"],
                                   incapacity_level=data["incapacity_level"])
            if data["previous_care_mode"] == "centralized" and data["care_mode"] != "centralized":
                self._discharge_open(data["id_number"], data["changed_on"], "care_mode_changed",
                                     data["reason"])
            elif data["care_mode"] == "centralized":
                store.insert_admission_request(
                    self.s, enrolment_id=data["enrolment_id"], id_number=data["id_number"],
                    institution_uscc=None, status="pending", reason="no_institution")
        else:
            store.update_enrolment(self.s, data["enrolment_id"], ended_on=data["ended_on"])
            reason = rules.ENDING_TO_DISCHARGE.get(data["reason"], "other")
            self._discharge_open(data["id_number"], data["ended_on"], reason, data.get("note"))

    def _enrolment_started(self, data: dict) -> None:
        store.upsert_enrolment(self.s, data)
        if data["care_mode"] != "centralized":
            return
        if store.enrolment_admitted(self.s, data["enrolment_id"]):
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
            store.insert_admission_request(self.s, status="pending", reason="no_institution",
                                           **request)
            return
        savepoint = self.s.begin_nested()
        try:
            placement = self._admit(
                id_number=id_number, uscc=uscc, admitted_on=on, care_level=care_level,
                care_mode="centralized", division_code=division_code,
                enrolment_id=enrolment_id)
        except (Conflict, NotFound, Invalid) as exc:
            savepoint.rollback()
            reason = exc.fields.get("reason") or exc.code
            current = store.open_placement_for(self.s, id_number)
            if reason == "already_placed" and current is not None \
                    and current["enrolment_id"] == enrolment_id:
                return      # the same enrolment announced twice at once: placed once
            log.info("admission refused", enrolment_id=enrolment_id, reason=reason)
            store.insert_admission_request(self.s, status="refused", reason=reason, **request)
            return
        savepoint.commit()
        store.insert_admission_request(self.s, status="admitted", placement_id=placement["id"],
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
        store.insert_infection(self.s, data["id_number"], data["disease_code"], data["on"])

    def _infection_cleared(self, data):
        store.clear_infection(self.s, data["id_number"], data["disease_code"], data["on"])
        if store.infection_open(self.s, data["id_number"]):
            return
        # admissions refused only for the infection go ahead now (puyang-2020 §四(四))
        latest = store.latest_centralised_request(self.s, data["id_number"])
        if latest is not None and latest.status == "refused" \
                and latest.reason == "infection_open":
            self._request_admission(latest.enrolment_id, latest.id_number,
                                    latest.institution_uscc,
                                    max(data["on"], latest.started_on),
                                    latest.incapacity_level, latest.division_code)

    def _hospital_admitted(self, data):
        placement = store.open_placement_for(self.s, data["id_number"])
        if placement is not None:
            store.start_hospital_stay(self.s, placement["id"], data["hospital_uscc"],
                                      data["on"])

    def _hospital_discharged(self, data):
        placement = store.open_placement_for(self.s, data["id_number"])
        if placement is not None:
            store.end_hospital_stay(self.s, placement["id"], data["on"])

    def _assessed(self, data):
        """A re-assessment changes the care level of an open placement from the
        assessment date (never before admission or an earlier change)."""
        placement = store.open_placement_for(self.s, data["id_number"])
        if placement is None or placement["care_level"] == data["incapacity_level"]:
            return
        self._change_care_level(placement, data["incapacity_level"], data["assessed_on"],
                                f"assessment:{data['assessment_id']}"[:64])

    def _change_care_level(self, placement: dict, care_level: str, on, source: str) -> None:
        rules.choice(care_level, v.CARE_LEVELS, "care_level")
        day = rules.as_date(on, "on")
        if placement["status"] != "open":
            raise Conflict("该入住记录已结束", reason="closed")
        latest = store.latest_care_level_change(self.s, placement["id"])
        day = max(day, placement["admitted_on"], latest or placement["admitted_on"])
        store.insert_care_level_change(self.s, placement["id"], care_level, day, source)

    def _care_levels(self, placement: dict) -> list[tuple[date, str]]:
        """(from, care level) over the stay, oldest first."""
        return store.care_level_changes_of(self.s, placement["id"]) or \
            [(placement["admitted_on"], placement["care_level"])]

    def _deceased(self, data):
        self._discharge_open(data["id_number"], data["date_of_death"], "deceased", None)

    @subscribe("medical_insurance", "#")
    def on_medical_insurance(self, event):
        kind, data = event["type"], event["data"]
        if kind not in ("designation.signed", "designation.terminated"):
            return
        store.save_designation(
            self.s, data["institution_uscc"], data["agreement_no"],
            valid_from=data["valid_from"], valid_until=data["valid_until"],
            status="signed" if kind == "designation.signed" else "terminated",
            event_id=event["id"])

    # ------------------------------------------------------------------ registry

    @rpc
    def get_known_person(self, id_number: str) -> dict:
        person = get_person(self.db, person_directory, validate_id_number(id_number))
        if person is None:
            raise NotFound("未找到该人员", resource="person")
        return KnownPersonSchema().dump(person)

    @rpc
    def register_institution(self, uscc, name, legal_form, kind, operating_model, division_code,
                             opened_on=None, address=None, operator=None, contact_name=None,
                             contact_phone=None, status="preparing", parent_uscc=None) -> dict:
        code = validate_uscc(uscc)
        name = rules.check_name(name)
        rules.choice(legal_form, v.LEGAL_FORMS, "legal_form")
        rules.choice(kind, v.KINDS, "kind")
        rules.choice(operating_model, v.OPERATING_MODELS, "operating_model")
        rules.choice(status, ("preparing", "open"), "status")
        division = rules.check_county_or_below(validate_division_code(division_code))
        if store.uscc_registered(self.s, code):
            raise Conflict("该统一社会信用代码已登记", reason="exists", uscc=code)
        parent_id = self._institution(parent_uscc)["id"] if parent_uscc else None
        today = self.clock.today()
        store.insert_institution(
            self.s, status=status, registered_on=today,
            uscc=code, name=name, legal_form=legal_form, kind=kind,
            operating_model=operating_model, division_code=division, county_code=division[:6],
            address=address, operator=operator, contact_name=contact_name,
            contact_phone=contact_phone, opened_on=rules.opt_date(opened_on, "opened_on"),
            parent_id=parent_id)
        self.db.outbox.add("institution.registered", {
            "institution_uscc": code, "name": name, "division_code": division,
            "operating_model": operating_model, "beds": 0, "registered_on": today,
        }, division_code=division, key=code)
        return self._view(self._institution(code), full=True)

    @rpc
    def update_institution(self, uscc, **changes) -> dict:
        inst = self._institution(uscc, lock=True)
        unknown = set(changes) - set(v.UPDATABLE)
        if unknown:
            raise Invalid("不可修改的字段", reason="unknown_fields", unknown=sorted(unknown))
        values = dict(changes)
        if "legal_form" in values:
            rules.choice(values["legal_form"], v.LEGAL_FORMS, "legal_form")
        if "kind" in values:
            rules.choice(values["kind"], v.KINDS, "kind")
        if "operating_model" in values:
            rules.choice(values["operating_model"], v.OPERATING_MODELS, "operating_model")
        if "division_code" in values:
            values["division_code"] = validate_division_code(values["division_code"])
            values["county_code"] = values["division_code"][:6]
        if "opened_on" in values:
            values["opened_on"] = rules.opt_date(values["opened_on"], "opened_on")
        if values:
            store.update_institution(self.s, inst["id"], **values)
        return self._view(self._institution(uscc), full=True)

    @rpc
    def set_status(self, uscc, status, on, reason) -> dict:
        inst = self._institution(uscc, lock=True)
        rules.choice(status, v.STATUSES, "status")
        day = rules.as_date(on, "on")
        if not reason:
            raise Invalid("请填写原因", field="reason", reason="missing")
        rules.check_transition(inst["status"], status)
        if status == "closed" and store.bed_counts(self.s, inst["id"])["occupied"]:
            raise Conflict("机构仍有在住人员，不能关闭", reason="has_residents")
        store.record_status(self.s, inst["id"], status, day, reason)
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
        query = store.institutions_query(
            division_code,
            kind=rules.choice(kind, v.KINDS, "kind") if kind else None,
            status=rules.choice(status, v.STATUSES, "status") if status else None)
        return self._page(query, page, per_page, self._view)

    # ------------------------------------------------------------------ licences, grade, staff

    @rpc
    def add_licence(self, uscc, kind, number, issuer, valid_from, valid_until=None) -> dict:
        inst = self._institution(uscc)
        if kind == "medical_insurance":
            raise Invalid("医保定点协议由医保部门的事件维护", field="kind",
                          reason="from_medical_insurance")
        rules.choice(kind, v.STAFF_LICENCE_KINDS, "kind")
        if not number or not issuer:
            raise Invalid("证照编号和发证机关必填", reason="missing")
        start = rules.as_date(valid_from, "valid_from")
        end = rules.opt_date(valid_until, "valid_until")
        rules.check_period(start, end)
        row = store.insert_licence(self.s, inst["id"], kind, str(number)[:64],
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
        return rules.licence_alerts(store.licences_expiring(self.s, division_code),
                                    store.designations_signed(self.s, division_code),
                                    self.clock.today(), within_days)

    @rpc
    def set_grade(self, uscc, grade, assessed_on) -> dict:
        inst = self._institution(uscc, lock=True)
        grade = rules.check_grade(grade)
        day = rules.as_date(assessed_on, "assessed_on")
        if day > self.clock.today():
            raise Invalid("评定日期不能晚于今天", field="assessed_on", reason="future")
        store.record_grade(self.s, inst["id"], grade, day)
        self.db.outbox.add("institution.graded", {
            "institution_uscc": inst["uscc"], "grade": grade, "graded_on": day,
            "standard": "GB/T 37276-2018"}, division_code=inst["division_code"],
            key=inst["uscc"])
        return self._view(self._institution(uscc), full=True)

    @rpc
    def set_staff(self, uscc, nurses=0, carers=0, safety_officers=0, social_workers=0,
                  others=0) -> dict:
        inst = self._institution(uscc, lock=True)
        counts = {"nurses": nurses, "carers": carers, "safety_officers": safety_officers,
                  "social_workers": social_workers, "other_staff": others}
        rules.check_staff_counts(counts)
        store.update_institution(self.s, inst["id"], **counts)
        view = self._view(self._institution(uscc))
        residents = view["occupied"]
        return {"uscc": view["uscc"], "staff": view["staff"], "residents": residents,
                "carers_per_resident": rules.carers_per_resident(carers, residents)}

    # ------------------------------------------------------------------ catalogue and prices

    def _item_view(self, item: dict, on: date) -> dict:
        prices = store.prices_of(self.s, item["id"])
        current = rules.price_on(prices, on)
        return {"code": item["code"], "category": item["category"], "name": item["name"],
                "unit": item["unit"], "room_type": item["room_type"],
                "care_level": item["care_level"], "monthly": item["monthly"],
                "price": money_str(current) if current is not None else None,
                "prices": [{"price": money_str(p), "effective_from": d.isoformat()}
                           for d, p in prices]}

    def _add_price(self, inst: dict, item: dict, price, effective_from, reason=None) -> None:
        amount = rules.check_price(price)
        day = rules.as_date(effective_from, "effective_from")
        prices = store.prices_of(self.s, item["id"])
        rules.check_new_price(day, self.clock.today(), [d for d, _ in prices])
        previous = rules.price_on(prices, day)
        store.insert_price(self.s, item["id"], amount, day, reason)
        self.db.outbox.add("catalog.price_changed", {
            "institution_uscc": inst["uscc"], "item_code": item["code"],
            "category": item["category"], "name": item["name"], "unit": item["unit"],
            "price": amount, "previous_price": previous, "effective_from": day,
            "room_type": item["room_type"], "care_level": item["care_level"],
        }, division_code=inst["division_code"], key=inst["uscc"])

    @rpc
    def add_catalog_item(self, uscc, code, category, name, unit, price, effective_from,
                         room_type=None, care_level=None, monthly=True) -> dict:
        inst = self._institution(uscc, lock=True)
        if not code or not isinstance(code, str) or len(code) > 64:
            raise Invalid("项目编码必填（64字以内）", field="code", reason="bad_code")
        rules.choice(category, v.CATALOG_CATEGORIES, "category")
        rules.choice(unit, v.UNITS, "unit")
        if care_level is not None:
            rules.choice(care_level, v.CARE_LEVELS, "care_level")
        rules.check_catalog_item(category, room_type, care_level)
        if store.item_code_taken(self.s, inst["id"], code):
            raise Conflict("该项目编码已存在", reason="exists", code=code)
        pk = store.insert_catalog_item(self.s, inst["id"], code=code, category=category,
                                       name=name, unit=unit, room_type=room_type,
                                       care_level=care_level, monthly=bool(monthly))
        item = store.catalog_item(self.s, inst["id"], code)
        assert item["id"] == pk
        self._add_price(inst, item, price, effective_from, "初始定价")
        return self._item_view(item, self.clock.today())

    @rpc
    def set_price(self, uscc, code, price, effective_from, reason=None) -> dict:
        inst = self._institution(uscc, lock=True)
        item = store.catalog_item(self.s, inst["id"], code)
        self._add_price(inst, item, price, effective_from, reason)
        return self._item_view(item, self.clock.today())

    @rpc
    def get_catalog(self, uscc, on=None) -> list:
        inst = self._institution(uscc)
        day = rules.opt_date(on, "on") or self.clock.today()
        return [self._item_view(item, day) for item in store.catalog_of(self.s, inst["id"])]

    def _monthly_price(self, inst_id: int, room_type, care_level, on: date):
        priced = [(item, store.prices_of(self.s, item["id"]))
                  for item in store.monthly_items(self.s, inst_id)
                  if rules.item_applies(item, room_type, care_level)]
        return rules.monthly_total(priced, on)

    @rpc
    def monthly_price(self, uscc, room_type=None, care_level=None, on=None) -> dict:
        inst = self._institution(uscc)
        day = rules.opt_date(on, "on") or self.clock.today()
        total, parts = self._monthly_price(inst["id"], room_type, care_level, day)
        return {"uscc": inst["uscc"], "on": day.isoformat(), "monthly_price": money_str(total),
                "items": parts}

    # ------------------------------------------------------------------ rooms and beds

    @rpc
    def add_room(self, uscc, room_no, room_type, beds=()) -> dict:
        inst = self._institution(uscc, lock=True)
        bed_nos = list(beds or [])
        if not room_no or not room_type or not bed_nos:
            raise Invalid("房间号、房型和床位号必填", reason="missing")
        if len(set(bed_nos)) != len(bed_nos):
            raise Invalid("床位号重复", field="beds", reason="duplicate")
        if store.room_no_taken(self.s, inst["id"], room_no):
            raise Conflict("房间号已存在", reason="exists", room_no=room_no)
        taken = store.bed_nos_taken(self.s, inst["id"], bed_nos)
        if taken:
            raise Conflict("床位号已存在", reason="exists", beds=sorted(taken))
        store.insert_room(self.s, inst["id"], room_no, room_type, bed_nos)
        return {"uscc": inst["uscc"], "room_no": room_no, "room_type": room_type,
                "beds": [{"bed_no": str(b), "status": "available"} for b in bed_nos]}

    @rpc
    def list_beds(self, uscc, status=None, page=1, per_page=50) -> dict:
        inst = self._institution(uscc)
        if status:
            rules.choice(status, ("available", "occupied", "out_of_service"), "status")
        return self._page(store.beds_in_status_query(inst["id"], status), page, per_page,
                          bed_view)

    @rpc
    def set_bed_status(self, uscc, bed_no, status) -> dict:
        inst = self._institution(uscc, lock=True)
        rules.choice(status, v.BED_STATUSES, "status")
        row = store.bed_by_no(self.s, inst["id"], bed_no)
        if row is None:
            raise NotFound("未找到该床位", resource="bed", bed_no=bed_no)
        if row.placement_pk and status == "out_of_service":
            raise Conflict("床位有人入住，不能停用", reason="occupied")
        store.set_out_of_service(self.s, row.id, status == "out_of_service")
        return bed_view(dict(store.bed_by_id(self.s, inst["id"], row.id)._mapping))

    # ------------------------------------------------------------------ placements

    def _free_bed(self, inst_id: int, bed_no=None):
        if bed_no is None:
            return store.first_free_bed(self.s, inst_id)
        row = store.bed_by_no(self.s, inst_id, str(bed_no))
        if row is None:
            raise NotFound("未找到该床位", resource="bed", bed_no=bed_no)
        if row.placement_pk or row.out_of_service:
            raise Conflict("该床位不可用", reason="bed_taken", bed_no=bed_no)
        return row

    def _admit(self, *, id_number, uscc, admitted_on, care_level, care_mode="centralized",
               bed_no=None, division_code=None, enrolment_id=None, health_record_ref=None,
               rehab_plan_ref=None, transferred_from=None, event=True) -> dict:
        id_number = validate_id_number(id_number)
        inst = self._institution(uscc, lock=True)
        day = rules.as_date(admitted_on, "admitted_on")
        rules.choice(care_level, v.CARE_LEVELS, "care_level")
        rules.choice(care_mode, v.CARE_MODES, "care_mode")
        if division_code is None:
            person = get_person(self.db, person_directory, id_number)
            if person is None:
                raise Invalid("未知人员，请提供其所在区划代码", field="division_code",
                              reason="unknown_person")
            division_code = person["division_code"]
        division_code = validate_division_code(division_code)
        placed = store.open_placement_for(self.s, id_number) is not None
        infected = store.infection_open(self.s, id_number)
        bed = None
        if inst["status"] == "open" and not placed and not infected:
            bed = self._free_bed(inst["id"], bed_no)
        rules.check_admission(rules.AdmissionFacts(
            institution_status=inst["status"], has_open_placement=placed,
            infection_open=infected, free_beds=1 if bed is not None else 0))
        price, _ = self._monthly_price(inst["id"], bed.room_type, care_level, day)
        pk = store.insert_placement(
            self.s, care_level=care_level, admitted_on=day,
            id_number=id_number, division_code=division_code, institution_id=inst["id"],
            bed_id=bed.id, care_mode=care_mode, monthly_price=price,
            enrolment_id=enrolment_id, health_record_ref=health_record_ref,
            rehab_plan_ref=rehab_plan_ref, transferred_from=transferred_from)
        if event:
            self.db.outbox.add("placement.admitted", {
                "placement_id": rules.placement_no(pk), "id_number": id_number,
                "division_code": division_code, "institution_uscc": inst["uscc"],
                "care_mode": care_mode, "admitted_on": day, "bed_no": bed.bed_no,
                "monthly_price": price, "enrolment_id": enrolment_id, "care_level": care_level,
            }, division_code=division_code, key=id_number)
        return store.placement_row(self.s, pk)

    def _placement_out(self, row: dict) -> dict:
        return placement_view(row, store.absences_of(self.s, row["id"]))

    def _placement(self, pk: int) -> dict:
        row = store.placement_joined(self.s, pk)
        if row is None:
            raise NotFound("未找到该入住记录", resource="placement")
        return self._placement_out(row)

    def _discharge(self, placement: dict, discharged_on, reason: str, note=None,
                   event=True) -> None:
        day = rules.as_date(discharged_on, "discharged_on")
        if placement["status"] != "open":
            raise Conflict("该入住记录已结束", reason="closed")
        if day < placement["admitted_on"]:
            raise Invalid("离院日期不能早于入住日期", field="discharged_on", reason="bad_date")
        store.close_placement(self.s, placement["id"], day, reason,
                              (note or None) and str(note)[:500])
        if event:
            inst = store.institution_by_id(self.s, placement["institution_id"])
            self.db.outbox.add("placement.discharged", {
                "placement_id": rules.placement_no(placement["id"]),
                "id_number": placement["id_number"],
                "division_code": placement["division_code"], "institution_uscc": inst["uscc"],
                "discharged_on": day, "reason": reason, "care_level": placement["care_level"],
            }, division_code=placement["division_code"], key=placement["id_number"])

    def _discharge_open(self, id_number, on, reason, note) -> None:
        placement = store.open_placement_for(self.s, id_number)
        if placement is not None:
            on = max(rules.as_date(on, "on"), placement["admitted_on"])
            self._discharge(placement, on, reason, note)

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
            store.mark_pending_admitted(
                self.s, enrolment_id, row["id"],
                store.institution_by_id(self.s, row["institution_id"])["uscc"])
        return self._placement(row["id"])

    @rpc
    def discharge(self, placement_id, discharged_on, reason, note=None) -> dict:
        pk = rules.placement_pk(placement_id)
        rules.choice(reason, v.DISCHARGE_REASONS, "reason")
        self._discharge(store.placement_row(self.s, pk), discharged_on, reason, note)
        return self._placement(pk)

    @rpc
    def record_consent(self, id_number, to_uscc, given, recorded_on, recorded_by=None,
                       note=None) -> dict:
        id_number = validate_id_number(id_number)
        inst = self._institution(to_uscc)
        if not isinstance(given, bool):
            raise Invalid("given 应为 true 或 false", field="given", reason="bad_choice")
        day = rules.as_date(recorded_on, "recorded_on")
        pk = store.insert_consent(self.s, id_number, inst["id"], given, day, recorded_by, note)
        return {"id": pk, "id_number_masked": mask_id_number(id_number), "to_uscc": inst["uscc"],
                "given": given, "recorded_on": day.isoformat(), "recorded_by": recorded_by}

    def _transfer(self, placement: dict, target: dict, on, bed_no=None) -> dict:
        day = rules.as_date(on, "transferred_on")
        if placement["status"] != "open":
            raise Conflict("该入住记录已结束", reason="closed")
        if placement["institution_id"] == target["id"]:
            raise Invalid("转出与转入机构不能相同", field="to_uscc", reason="same_institution")
        rules.check_transfer_consent(
            store.latest_consent(self.s, placement["id_number"], target["id"]))
        source = store.institution_by_id(self.s, placement["institution_id"])
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
            "placement_id": rules.placement_no(placement["id"]),
            "id_number": placement["id_number"], "division_code": placement["division_code"],
            "from_institution_uscc": source["uscc"], "to_institution_uscc": target["uscc"],
            "transferred_on": day, "consent_recorded": True,
            "care_level": placement["care_level"],
            "to_placement_id": rules.placement_no(new["id"]),
        }, division_code=placement["division_code"], key=placement["id_number"])
        return new

    @rpc
    def transfer(self, placement_id, to_uscc, transferred_on, bed_no=None) -> dict:
        placement = store.placement_row(self.s, rules.placement_pk(placement_id))
        target = self._institution(to_uscc)
        new = self._transfer(placement, target, transferred_on, bed_no)
        return self._placement(new["id"])

    @rpc
    def update_placement(self, placement_id, health_record_ref=None, rehab_plan_ref=None) -> dict:
        """The personal health record and one-person rehab plan references
        (luan-2021 §三(二)(五))."""
        pk = rules.placement_pk(placement_id)
        store.placement_row(self.s, pk)
        values = {k: str(val)[:64] for k, val in (("health_record_ref", health_record_ref),
                                                   ("rehab_plan_ref", rehab_plan_ref))
                  if val is not None}
        if values:
            store.update_placement(self.s, pk, **values)
        return self._placement(pk)

    @rpc
    def change_care_level(self, placement_id, care_level, on) -> dict:
        pk = rules.placement_pk(placement_id)
        placement = store.placement_row(self.s, pk)
        day = rules.as_date(on, "on")
        if day < placement["admitted_on"]:
            raise Invalid("变更日期不能早于入住日期", field="on", reason="bad_date")
        latest = self._care_levels(placement)[-1][0]
        if day < latest:
            raise Invalid("变更日期不能早于上次变更", field="on", reason="bad_date")
        self._change_care_level(placement, care_level, day, "staff")
        return self._placement(pk)

    @rpc
    def price_segments(self, placement_id, month) -> dict:
        """The monthly price in force over each part of ``month`` the person
        stayed: funding settles against these (luan-2021 §三(四))."""
        pk = rules.placement_pk(placement_id)
        placement = store.placement_row(self.s, pk)
        first, last = rules.month_bounds(month)
        start = max(first, placement["admitted_on"])
        end = min(last, placement["discharged_on"] or last)
        out = {"placement_id": rules.placement_no(pk), "month": str(month), "segments": []}
        if start > end:
            return out
        room_type = None
        if placement["bed_id"]:
            room_type = store.room_type_of_bed(self.s, placement["bed_id"])
        levels = self._care_levels(placement)
        price_days = store.price_change_days(self.s, placement["institution_id"], start, end)
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
        return self._placement(rules.placement_pk(placement_id))

    @rpc
    def list_placements(self, uscc=None, id_number=None, status=None, division_code=None,
                        active_in=None, page=1, per_page=50) -> dict:
        query = store.list_placements_query(
            division_code=division_code,
            active_between=rules.month_bounds(active_in) if active_in else None,
            uscc=validate_uscc(uscc) if uscc else None,
            id_number=validate_id_number(id_number) if id_number else None,
            status=rules.choice(status, ("open", "closed"), "status") if status else None)
        return self._page(query, page, per_page, self._placement_out)

    @rpc
    def list_admission_requests(self, status=None, uscc=None, page=1, per_page=50) -> dict:
        query = store.admission_requests_query(
            status, validate_uscc(uscc) if uscc else None)
        return self._page(query, page, per_page, admission_request_view)

    # ------------------------------------------------------------------ inspections

    def _inspection(self, pk: int) -> dict:
        row = store.inspection_row(self.s, pk)
        if row is None:
            raise NotFound("未找到该检查记录", resource="inspection")
        return self._inspection_out(row)

    def _inspection_out(self, row: dict) -> dict:
        return inspection_view(row, store.findings_of(self.s, row["id"]), self.clock.today())

    def _add_finding(self, inspection_id: int, inspected_on: date, f: dict) -> None:
        by = rules.check_finding(f, inspected_on)
        store.insert_finding(self.s, inspection_id, f["severity"],
                             str(f["description"])[:1000], by)

    @rpc
    def record_inspection(self, uscc, kind, inspected_on, result, inspector=None, notes=None,
                          findings=()) -> dict:
        inst = self._institution(uscc)
        rules.choice(kind, v.INSPECTION_KINDS, "kind")
        rules.choice(result, v.INSPECTION_RESULTS, "result")
        day = rules.as_date(inspected_on, "inspected_on")
        if day > self.clock.today():
            raise Invalid("检查日期不能晚于今天", field="inspected_on", reason="future")
        items = list(findings or [])
        if result == "rectification_required" and not items:
            raise Invalid("需要整改时必须列出问题和整改期限", field="findings", reason="missing")
        pk = store.insert_inspection(self.s, inst["id"], kind, day, inspector, result, notes)
        for f in items:
            self._add_finding(pk, day, f)
        view = self._inspection(pk)
        rectify = [f["rectify_by"] for f in view["findings"]]
        text = "；".join(f["description"] for f in view["findings"])[:2000] or notes
        self.db.outbox.add("inspection.recorded", {
            "inspection_id": view["inspection_id"], "institution_uscc": inst["uscc"],
            "kind": kind, "inspected_on": day, "result": result,
            "findings": (text or None) and text[:2000],
            "rectify_by": max(rectify) if rectify else None,
        }, division_code=inst["division_code"], key=inst["uscc"])
        return view

    @rpc
    def get_inspection(self, inspection_id) -> dict:
        return self._inspection(rules.inspection_pk(inspection_id))

    @rpc
    def update_inspection(self, inspection_id, inspector=None, notes=None) -> dict:
        pk = rules.inspection_pk(inspection_id)
        self._inspection(pk)
        values = {k: val for k, val in (("inspector", inspector), ("notes", notes))
                  if val is not None}
        if values:
            store.update_inspection(self.s, pk, **values)
        return self._inspection(pk)

    @rpc
    def add_finding(self, inspection_id, severity, description, rectify_by) -> dict:
        pk = rules.inspection_pk(inspection_id)
        view = self._inspection(pk)
        self._add_finding(pk, date.fromisoformat(view["inspected_on"]),
                          {"severity": severity, "description": description,
                           "rectify_by": rectify_by})
        return self._inspection(pk)

    @rpc
    def rectify_finding(self, finding_id, rectified_on, signed_off_by) -> dict:
        row = store.finding_row(self.s, int(finding_id))
        if row is None:
            raise NotFound("未找到该问题", resource="finding")
        if row.rectified_on is not None:
            raise Conflict("该问题已整改销号", reason="already_rectified")
        if not signed_off_by:
            raise Invalid("请填写销号人", field="signed_off_by", reason="missing")
        day = rules.as_date(rectified_on, "rectified_on")
        if day > self.clock.today():
            raise Invalid("整改日期不能晚于今天", field="rectified_on", reason="future")
        store.rectify_finding(self.s, row.id, day, signed_off_by)
        return self._inspection(row.inspection_id)

    @rpc
    def list_inspections(self, uscc=None, kind=None, division_code=None, page=1,
                         per_page=50) -> dict:
        query = store.inspections_query(
            uscc=validate_uscc(uscc) if uscc else None,
            kind=rules.choice(kind, v.INSPECTION_KINDS, "kind") if kind else None,
            division_code=division_code)
        return self._page(query, page, per_page, self._inspection_out)

    def _schedule(self, inst: dict) -> list[dict]:
        today = self.clock.today()
        out = []
        for kind, months in rules.SCHEDULE.items():
            last = store.last_inspected(self.s, inst["id"], kind)
            due = rules.due_on(kind, last, inst["opened_on"] or inst["registered_on"])
            out.append({"kind": kind, "every": "month" if months == 1 else "year",
                        "last_inspected_on": last, "due_on": due,
                        "overdue": rules.is_overdue(due, today)})
        return out

    @rpc
    def inspection_schedule(self, uscc) -> list:
        return to_jsonable(self._schedule(self._institution(uscc)))

    def _overdue(self, division_code=None) -> list[dict]:
        today = self.clock.today()
        out = []
        for inst in store.institutions_in_states(self.s, v.OPEN_STATES, division_code):
            for item in self._schedule(inst):
                if item["overdue"]:
                    out.append({"institution_id": inst["id"], "uscc": inst["uscc"],
                                "name": inst["name"], "division_code": inst["division_code"],
                                "what": "patrol", "kind": item["kind"], "due_on": item["due_on"],
                                "last_inspected_on": item["last_inspected_on"],
                                "finding_id": None, "subject": f"patrol:{item['kind']}"})
            for f in store.overdue_findings(self.s, inst["id"], today):
                out.append({"institution_id": inst["id"], "uscc": inst["uscc"],
                            "name": inst["name"], "division_code": inst["division_code"],
                            "what": "finding", "kind": f.kind, "due_on": f.rectify_by,
                            "last_inspected_on": f.inspected_on, "finding_id": f.id,
                            "subject": f"finding:{f.id}"})
        return out

    @rpc
    def list_overdue(self, division_code=None, page=1, per_page=50) -> dict:
        items = [{k: val for k, val in o.items() if k not in ("institution_id", "subject")}
                 for o in self._overdue(division_code)]
        return self._slice(items, page, per_page)

    def _run_checks(self) -> dict:
        raised = 0
        for item in self._overdue():
            if store.notice_raised(self.s, item["institution_id"], item["subject"],
                                   item["due_on"]):
                continue
            store.insert_notice(self.s, item["institution_id"], item["subject"],
                                item["due_on"])
            self.db.outbox.add("inspection.overdue", {
                "institution_uscc": item["uscc"], "kind": item["kind"],
                "due_on": item["due_on"], "last_inspected_on": item["last_inspected_on"],
            }, division_code=item["division_code"], key=item["uscc"])
            raised += 1
        alerts = 0
        for a in self._licence_alerts(60):
            until = date.fromisoformat(a["valid_until"])
            if a["licence_id"] is None:
                # a designation: remembered like an overdue notice, once per expiry date
                subject = f"designation:{a['number']}"[:64]
                if store.notice_raised(self.s, a["institution_id"], subject, until):
                    continue
                store.insert_notice(self.s, a["institution_id"], subject, until)
            elif a["alerted_until"] == until:
                continue
            else:
                store.set_licence_alerted(self.s, a["licence_id"], until)
            self.db.outbox.add("licence.expiring", {
                "institution_uscc": a["uscc"], "kind": a["kind"], "number": a["number"],
                "valid_until": a["valid_until"], "days_left": a["days_left"],
            }, division_code=a["division_code"], key=a["uscc"])
            alerts += 1
        if raised or alerts:
            log.info("deadline checks", overdue_raised=raised, licence_alerts=alerts)
        return {"overdue_raised": raised, "licence_alerts": alerts}

    @timer(interval=3600)
    def deadlines(self):
        self._run_checks()

    @rpc
    def run_deadline_checks(self) -> dict:
        return self._run_checks()

    # ------------------------------------------------------------------ consolidation

    def _county_sites(self, county: str):
        sites = []
        for inst in store.county_homes(self.s, county, v.OPEN_STATES + ("preparing",)):
            counts = store.bed_counts(self.s, inst["id"])
            sites.append((inst, cons.site_of(inst, counts["capacity"], counts["occupied"])))
        return sites

    @rpc
    def consolidation_plan(self, county_code) -> dict:
        county = validate_division_code(county_code, (6,))
        sites = self._county_sites(county)
        by_id = {inst["id"]: inst for inst, _ in sites}
        residents = [(row["id_number"], cons.Resident(
            rules.placement_no(row["id"]), by_id[row["institution_id"]]["uscc"]))
            for row in store.open_placements_in(self.s, by_id)]
        result = cons.plan(county, [s for _, s in sites], [r for _, r in residents])
        who = {r.placement_id: idn for idn, r in residents}
        uscc_id = {inst["uscc"]: inst["id"] for inst, _ in sites}
        keep = set(result.keep)

        def resident_view(r, target):
            idn = who[r.placement_id]
            return {"placement_id": r.placement_id, "id_number_masked": mask_id_number(idn),
                    "consent": store.latest_consent(self.s, idn, uscc_id[target])
                    if target else None}

        return {
            "county_code": county, "flagged": result.flagged, "reasons": result.reasons,
            "feasible": result.feasible,
            "institutions": [{"uscc": s.uscc, "name": s.name, "grade": s.grade,
                              "capacity": s.capacity, "occupied": s.occupied,
                              "occupancy": str(cons.occupancy(s)), "staff_total": s.staff,
                              "keep": s.uscc in keep} for _, s in sites],
            "merges": [{"source_uscc": m.source_uscc, "target_uscc": m.target_uscc,
                        "residents": [resident_view(r, m.target_uscc) for r in m.residents]}
                       for m in result.merges],
            "unplaced": [resident_view(r, None) for r in result.unplaced],
            "after": {"institutions": len(result.keep) if result.flagged else len(sites),
                      "all_grade_3_or_above": all(
                          (s.grade or 0) >= cons.MIN_GRADE for _, s in sites
                          if s.uscc in keep)},
        }

    @rpc
    def execute_merge(self, source_uscc, target_uscc, on) -> dict:
        source = self._institution(source_uscc, lock=True)
        target = self._institution(target_uscc, lock=True)
        day = rules.as_date(on, "on")
        if source["id"] == target["id"]:
            raise Invalid("不能合并到自身", field="target_uscc", reason="same_institution")
        if target["status"] != "open":
            raise Conflict("接收机构未开放", reason="institution_not_open")
        if source["status"] == "closed":
            raise Conflict("原机构已撤并关闭", reason="closed")
        if source["status"] != "merging":
            store.record_status(self.s, source["id"], "merging", day,
                                f"区域化集中：并入 {target['uscc']}（hangzhou-2024 §三(二)）")
        moved, staying = [], []
        for placement in store.open_placements_in(self.s, [source["id"]]):
            masked = mask_id_number(placement["id_number"])
            if store.latest_consent(self.s, placement["id_number"], target["id"]) is not True:
                staying.append({"placement_id": rules.placement_no(placement["id"]),
                                "id_number_masked": masked, "reason": "no_consent"})
                continue
            savepoint = self.s.begin_nested()
            try:
                self._transfer(placement, target, day)
            except Conflict as exc:
                savepoint.rollback()
                staying.append({"placement_id": rules.placement_no(placement["id"]),
                                "id_number_masked": masked,
                                "reason": exc.fields.get("reason", "conflict")})
                continue
            savepoint.commit()
            moved.append(rules.placement_no(placement["id"]))
        store.insert_merge(self.s, source["id"], target["id"], day, len(moved), len(staying))
        status = "merging"
        if not staying:
            self.db.outbox.add("institution.merged", {
                "institution_uscc": source["uscc"], "into_uscc": target["uscc"],
                "merged_on": day, "residents_moved": len(moved)},
                division_code=source["division_code"], key=source["uscc"])
            reason = f"并入 {target['uscc']}，原址转型（hangzhou-2024 §三(六)）"
            store.record_status(self.s, source["id"], "closed", day, reason)
            self.db.outbox.add("institution.closed", {
                "institution_uscc": source["uscc"], "closed_on": day, "reason": reason},
                division_code=source["division_code"], key=source["uscc"])
            status = "closed"
        return {"source_uscc": source["uscc"], "target_uscc": target["uscc"], "moved": moved,
                "staying": staying, "source_status": status}

    @rpc
    def county_statistics(self, county_code) -> dict:
        county = validate_division_code(county_code, (6,))
        insts = store.county_institutions(self.s, county)
        counted = [(inst, store.bed_counts(self.s, inst["id"])) for inst in insts]
        need, placed = store.count_tekun_needing_care(self.s, county)
        return cons.county_statistics(county, counted, need, placed)
