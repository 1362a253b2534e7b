"""institutions: the institution registry, licences and grades, priced service
catalogue, beds and placements, inspections and regional consolidation (issue 5).

Thin entrypoints: parse, call the domain, store through the unit of work, add
events to the outbox. The RPC surface is described in ``RPC.md``.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from doudi_common.clock import Clock
from doudi_common.db import Database, utcnow
from doudi_common.entrypoints import rpc, subscribe, timer
from doudi_common.errors import Conflict, Invalid, NotFound
from doudi_common.ids import (
    division_prefix,
    mask_id_number,
    validate_division_code,
    validate_id_number,
    validate_uscc,
)
from doudi_common.logs import get_logger
from doudi_common.money import money_str, to_money
from doudi_common.persons import get_person, record_person
from doudi_common.service_base import ServiceBase

from doudi_institutions.domain import consolidation as cons
from doudi_institutions.domain import rules
from doudi_institutions.domain import vocab as v
from doudi_institutions.models import (
    absences,
    admission_requests,
    beds,
    care_level_changes,
    catalog_items,
    consents,
    designations,
    enrolments,
    findings,
    grade_history,
    infections,
    inspections,
    institutions,
    item_prices,
    licences,
    merges,
    metadata,
    overdue_notices,
    person_directory,
    placements,
    rooms,
    status_history,
)
from doudi_institutions.schemas import (
    KnownPersonSchema,
    inspection_view,
    institution_view,
    licence_view,
    page_args,
    placement_view,
)

log = get_logger(__name__)

UPDATABLE = ("name", "legal_form", "kind", "operating_model", "division_code", "address",
             "operator", "contact_name", "contact_phone", "opened_on")
OPEN_STATES = ("open", "suspended", "merging")


def _month_bounds(month) -> tuple[date, date]:
    import calendar

    from doudi_common.clock import parse_month

    try:
        year, mon = parse_month(str(month))
    except ValueError:
        raise Invalid("月份应为 YYYY-MM", field="active_in", reason="bad_month") from None
    return date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])


def _placement_no(pk: int) -> str:
    return f"PL-{pk}"


def _placement_pk(placement_id) -> int:
    text = str(placement_id)
    if text.startswith("PL-") and text[3:].isdigit():
        return int(text[3:])
    raise NotFound("未找到该入住记录", resource="placement")


def _inspection_pk(inspection_id) -> int:
    text = str(inspection_id)
    if text.startswith("INS-") and text[4:].isdigit():
        return int(text[4:])
    raise NotFound("未找到该检查记录", resource="inspection")


class InstitutionsService(ServiceBase):
    name = "institutions"

    db = Database(metadata)
    clock = Clock()

    # ------------------------------------------------------------------ helpers

    @property
    def s(self):
        return self.db.session

    def _institution(self, uscc, lock: bool = False) -> dict:
        code = validate_uscc(uscc)
        query = sa.select(institutions).where(institutions.c.uscc == code)
        if lock and self.s.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        row = self.s.execute(query).first()
        if row is None:
            raise NotFound("未找到该机构", resource="institution", uscc=code)
        return dict(row._mapping)

    def _institution_by_id(self, pk: int) -> dict:
        return dict(self.s.execute(sa.select(institutions).where(institutions.c.id == pk))
                    .first()._mapping)

    def _bed_counts(self, inst_id: int) -> dict:
        total = self.s.execute(sa.select(sa.func.count()).select_from(beds).where(
            beds.c.institution_id == inst_id, beds.c.out_of_service.is_(False))).scalar_one()
        occupied = self.s.execute(sa.select(sa.func.count()).select_from(placements).where(
            placements.c.institution_id == inst_id, placements.c.status == "open")
        ).scalar_one()
        return {"capacity": total, "occupied": occupied}

    def _designation(self, uscc: str, on: date) -> dict | None:
        rows = self.s.execute(sa.select(designations).where(designations.c.uscc == uscc)
                              .order_by(designations.c.valid_from.desc())).all()
        current = [dict(r._mapping) for r in rows]
        active = [d for d in current if d["status"] == "signed" and
                  d["valid_from"] <= on <= d["valid_until"]]
        chosen = active[0] if active else (current[0] if current else None)
        if chosen is None:
            return None
        state = "active" if active else ("terminated" if chosen["status"] == "terminated"
                                         else "expired" if chosen["valid_until"] < on
                                         else "not_yet_valid")
        return {"agreement_no": chosen["agreement_no"], "valid_from": chosen["valid_from"],
                "valid_until": chosen["valid_until"], "status": state}

    def _view(self, inst: dict, full: bool = False) -> dict:
        today = self.clock.today()
        parent = None
        if inst["parent_id"]:
            parent = self._institution_by_id(inst["parent_id"])["uscc"]
        extra = {**self._bed_counts(inst["id"]), "parent_uscc": parent,
                 "designation": self._designation(inst["uscc"], today)}
        if full:
            extra["status_history"] = [dict(r._mapping) for r in self.s.execute(
                sa.select(status_history.c.status, status_history.c.on, status_history.c.reason)
                .where(status_history.c.institution_id == inst["id"])
                .order_by(status_history.c.id)).all()]
            extra["grade_history"] = [dict(r._mapping) for r in self.s.execute(
                sa.select(grade_history.c.grade, grade_history.c.assessed_on)
                .where(grade_history.c.institution_id == inst["id"])
                .order_by(grade_history.c.id)).all()]
            extra["licences"] = self._licences(inst)
        return institution_view(inst, extra)

    def _licences(self, inst: dict) -> list[dict]:
        rows = self.s.execute(sa.select(licences).where(licences.c.institution_id == inst["id"])
                              .order_by(licences.c.id)).all()
        out = [licence_view(dict(r._mapping), inst["uscc"], self.clock.today()) for r in rows]
        for d in self.s.execute(sa.select(designations).where(
                designations.c.uscc == inst["uscc"])).all():
            d = dict(d._mapping)
            out.append(licence_view({"id": None, "kind": "medical_insurance",
                                     "number": d["agreement_no"], "issuer": "医疗保障局",
                                     "valid_from": d["valid_from"],
                                     "valid_until": d["valid_until"]},
                                    inst["uscc"], self.clock.today(), status=d["status"]))
        return out

    def _record_status(self, inst_id: int, status: str, on: date, reason: str | None) -> None:
        self.s.execute(sa.update(institutions).where(institutions.c.id == inst_id)
                       .values(status=status, updated_at=utcnow()))
        self.s.execute(sa.insert(status_history).values(
            institution_id=inst_id, status=status, on=on, reason=reason, recorded_at=utcnow()))

    def _page(self, query, page, per_page, view) -> dict:
        page, per_page = page_args(page, per_page)
        total = self.s.execute(sa.select(sa.func.count()).select_from(query.subquery())
                               ).scalar_one()
        rows = self.s.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
        return {"items": [view(dict(r._mapping)) for r in rows], "page": page,
                "per_page": per_page, "total": total}

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
            self.s.execute(sa.update(enrolments)
                           .where(enrolments.c.enrolment_id == data["enrolment_id"])
                           .values(care_mode=data["care_mode"],
                                   incapacity_level=data["incapacity_level"]))
            if data["previous_care_mode"] == "centralized" and data["care_mode"] != "centralized":
                self._discharge_open(data["id_number"], data["changed_on"], "care_mode_changed",
                                     data["reason"])
            elif data["care_mode"] == "centralized":
                self.s.execute(sa.insert(admission_requests).values(
                    enrolment_id=data["enrolment_id"], id_number=data["id_number"],
                    institution_uscc=None, status="pending", reason="no_institution",
                    received_at=utcnow()))
        else:
            self.s.execute(sa.update(enrolments)
                           .where(enrolments.c.enrolment_id == data["enrolment_id"])
                           .values(ended_on=data["ended_on"]))
            reason = rules.ENDING_TO_DISCHARGE.get(data["reason"], "other")
            self._discharge_open(data["id_number"], data["ended_on"], reason, data.get("note"))

    def _upsert_enrolment(self, data: dict) -> None:
        values = {"id_number": data["id_number"], "division_code": data["division_code"],
                  "county_code": data["division_code"][:6], "care_mode": data["care_mode"],
                  "tekun": "tekun" in data["hardship"],
                  "incapacity_level": data["incapacity_level"],
                  "started_on": data["started_on"]}
        if self.s.get_bind().dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        self.s.execute(insert(enrolments).values(enrolment_id=data["enrolment_id"], **values)
                       .on_conflict_do_update(index_elements=["enrolment_id"], set_=values))

    def _enrolment_started(self, data: dict) -> None:
        self._upsert_enrolment(data)
        if data["care_mode"] != "centralized":
            return
        done = self.s.execute(sa.select(admission_requests.c.id).where(
            admission_requests.c.enrolment_id == data["enrolment_id"],
            admission_requests.c.status == "admitted")).first()
        if done:
            return      # the same enrolment announced again: already placed
        self._request_admission(data["enrolment_id"], data["id_number"],
                                data.get("institution_uscc"), data["started_on"],
                                data["incapacity_level"], data["division_code"])

    def _request_admission(self, enrolment_id, id_number, uscc, on, care_level,
                           division_code) -> None:
        """Admit for an enrolment, or record why not (never dead-letter: staff see
        refused and pending requests through ``list_admission_requests``)."""
        request = {"enrolment_id": enrolment_id, "id_number": id_number,
                   "institution_uscc": uscc, "received_at": utcnow()}
        if not uscc:
            self.s.execute(sa.insert(admission_requests).values(
                status="pending", reason="no_institution", **request))
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
            current = self._open_placement(id_number)
            if reason == "already_placed" and current is not None \
                    and current["enrolment_id"] == enrolment_id:
                return      # the same enrolment announced twice at once: placed once
            log.info("admission refused", enrolment_id=enrolment_id, reason=reason)
            self.s.execute(sa.insert(admission_requests).values(
                status="refused", reason=reason, **request))
            return
        savepoint.commit()
        self.s.execute(sa.insert(admission_requests).values(
            status="admitted", placement_id=placement["id"], **request))

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
        self.s.execute(sa.insert(infections).values(
            id_number=data["id_number"], disease_code=data["disease_code"],
            flagged_on=data["on"]))

    def _infection_cleared(self, data):
        self.s.execute(sa.update(infections).where(
            infections.c.id_number == data["id_number"],
            infections.c.disease_code == data["disease_code"],
            infections.c.cleared_on.is_(None)).values(cleared_on=data["on"]))
        if self._infection_open(data["id_number"]):
            return
        # admissions refused only for the infection go ahead now (puyang-2020 §四(四))
        latest = self.s.execute(
            sa.select(admission_requests, enrolments.c.started_on,
                      enrolments.c.incapacity_level, enrolments.c.division_code)
            .join(enrolments, enrolments.c.enrolment_id == admission_requests.c.enrolment_id)
            .where(admission_requests.c.id_number == data["id_number"],
                   enrolments.c.ended_on.is_(None), enrolments.c.care_mode == "centralized")
            .order_by(admission_requests.c.id.desc()).limit(1)).first()
        if latest is not None and latest.status == "refused" \
                and latest.reason == "infection_open":
            self._request_admission(latest.enrolment_id, latest.id_number,
                                    latest.institution_uscc,
                                    max(data["on"], latest.started_on),
                                    latest.incapacity_level, latest.division_code)

    def _open_placement(self, id_number: str) -> dict | None:
        row = self.s.execute(sa.select(placements).where(
            placements.c.id_number == id_number, placements.c.status == "open")).first()
        return dict(row._mapping) if row else None

    def _hospital_admitted(self, data):
        placement = self._open_placement(data["id_number"])
        if placement is None:
            return
        self.s.execute(sa.insert(absences).values(
            placement_id=placement["id"], kind="hospital", hospital_uscc=data["hospital_uscc"],
            started_on=data["on"]))

    def _hospital_discharged(self, data):
        placement = self._open_placement(data["id_number"])
        if placement is None:
            return
        self.s.execute(sa.update(absences).where(
            absences.c.placement_id == placement["id"], absences.c.kind == "hospital",
            absences.c.ended_on.is_(None)).values(ended_on=data["on"]))

    def _assessed(self, data):
        """A re-assessment changes the care level of an open placement from the
        assessment date (never before admission or an earlier change)."""
        placement = self._open_placement(data["id_number"])
        if placement is None or placement["care_level"] == data["incapacity_level"]:
            return
        self._change_care_level(placement, data["incapacity_level"], data["assessed_on"],
                                f"assessment:{data['assessment_id']}"[:64])

    def _change_care_level(self, placement: dict, care_level: str, on, source: str) -> None:
        rules.choice(care_level, v.CARE_LEVELS, "care_level")
        day = rules.as_date(on, "on")
        if placement["status"] != "open":
            raise Conflict("该入住记录已结束", reason="closed")
        latest = self.s.execute(sa.select(sa.func.max(care_level_changes.c.from_on)).where(
            care_level_changes.c.placement_id == placement["id"])).scalar_one()
        day = max(day, placement["admitted_on"], latest or placement["admitted_on"])
        self.s.execute(sa.insert(care_level_changes).values(
            placement_id=placement["id"], care_level=care_level, from_on=day, source=source,
            recorded_at=utcnow()))
        self.s.execute(sa.update(placements).where(placements.c.id == placement["id"])
                       .values(care_level=care_level))

    def _care_levels(self, placement: dict) -> list[tuple[date, str]]:
        """(from, care level) over the stay, oldest first."""
        rows = self.s.execute(sa.select(care_level_changes).where(
            care_level_changes.c.placement_id == placement["id"])
            .order_by(care_level_changes.c.id)).all()
        return [(r.from_on, r.care_level) for r in rows] or \
            [(placement["admitted_on"], placement["care_level"])]

    def _deceased(self, data):
        self._discharge_open(data["id_number"], data["date_of_death"], "deceased", None)

    @subscribe("medical_insurance", "#")
    def on_medical_insurance(self, event):
        kind, data = event["type"], event["data"]
        if kind not in ("designation.signed", "designation.terminated"):
            return
        key = (designations.c.uscc == data["institution_uscc"]) & \
              (designations.c.agreement_no == data["agreement_no"])
        values = {"valid_from": data["valid_from"], "valid_until": data["valid_until"],
                      "status": "signed" if kind == "designation.signed" else "terminated",
                      "event_id": event["id"], "updated_at": utcnow()}
        if self.s.execute(sa.select(designations.c.uscc).where(key)).first():
            self.s.execute(sa.update(designations).where(key).values(**values))
        else:
            self.s.execute(sa.insert(designations).values(
                uscc=data["institution_uscc"], agreement_no=data["agreement_no"], **values))

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
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            raise Invalid("机构名称必填（100字以内）", field="name", reason="bad_name")
        rules.choice(legal_form, v.LEGAL_FORMS, "legal_form")
        rules.choice(kind, v.KINDS, "kind")
        rules.choice(operating_model, v.OPERATING_MODELS, "operating_model")
        rules.choice(status, ("preparing", "open"), "status")
        division = validate_division_code(division_code)
        if len(division) == 6 and division[4:] == "00":
            raise Invalid("机构所在地应为县级或以下区划", field="division_code",
                          reason="not_county")
        if self.s.execute(sa.select(institutions.c.id).where(institutions.c.uscc == code)
                          ).first():
            raise Conflict("该统一社会信用代码已登记", reason="exists", uscc=code)
        parent_id = self._institution(parent_uscc)["id"] if parent_uscc else None
        today, now = self.clock.today(), utcnow()
        pk = self.s.execute(sa.insert(institutions).values(
            uscc=code, name=name.strip(), legal_form=legal_form, kind=kind,
            operating_model=operating_model, division_code=division, county_code=division[:6],
            address=address, operator=operator, contact_name=contact_name,
            contact_phone=contact_phone, opened_on=rules.opt_date(opened_on, "opened_on"),
            registered_on=today, status=status, parent_id=parent_id, created_at=now,
            updated_at=now).returning(institutions.c.id)).scalar_one()
        self.s.execute(sa.insert(status_history).values(
            institution_id=pk, status=status, on=today, reason="登记", recorded_at=now))
        self.db.outbox.add("institution.registered", {
            "institution_uscc": code, "name": name.strip(), "division_code": division,
            "operating_model": operating_model, "beds": 0, "registered_on": today,
        }, division_code=division, key=code)
        return self._view(self._institution(code), full=True)

    @rpc
    def update_institution(self, uscc, **changes) -> dict:
        inst = self._institution(uscc, lock=True)
        unknown = set(changes) - set(UPDATABLE)
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
            self.s.execute(sa.update(institutions).where(institutions.c.id == inst["id"])
                           .values(updated_at=utcnow(), **values))
        return self._view(self._institution(uscc), full=True)

    @rpc
    def set_status(self, uscc, status, on, reason) -> dict:
        inst = self._institution(uscc, lock=True)
        rules.choice(status, v.STATUSES, "status")
        day = rules.as_date(on, "on")
        if not reason:
            raise Invalid("请填写原因", field="reason", reason="missing")
        rules.check_transition(inst["status"], status)
        if status == "closed" and self._bed_counts(inst["id"])["occupied"]:
            raise Conflict("机构仍有在住人员，不能关闭", reason="has_residents")
        self._record_status(inst["id"], status, day, reason)
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
        query = sa.select(institutions).order_by(institutions.c.id)
        if division_code:
            query = query.where(institutions.c.division_code.startswith(
                division_prefix(division_code), autoescape=True))
        if kind:
            query = query.where(institutions.c.kind == rules.choice(kind, v.KINDS, "kind"))
        if status:
            query = query.where(institutions.c.status == rules.choice(status, v.STATUSES,
                                                                      "status"))
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
        if end is not None and end < start:
            raise Invalid("有效期止不能早于起", field="valid_until", reason="bad_period")
        pk = self.s.execute(sa.insert(licences).values(
            institution_id=inst["id"], kind=kind, number=str(number)[:64],
            issuer=str(issuer)[:100], valid_from=start, valid_until=end, created_at=utcnow())
            .returning(licences.c.id)).scalar_one()
        row = self.s.execute(sa.select(licences).where(licences.c.id == pk)).first()
        return licence_view(dict(row._mapping), inst["uscc"], self.clock.today())

    @rpc
    def list_licences(self, uscc) -> list:
        return self._licences(self._institution(uscc))

    @rpc
    def licence_alerts(self, within_days=60, division_code=None, page=1, per_page=50) -> dict:
        from doudi_common.serialize import to_jsonable

        items = [{k: val for k, val in a.items() if k not in ("licence_id", "institution_id")}
                 for a in self._licence_alerts(int(within_days), division_code)]
        page, per_page = page_args(page, per_page)
        return {"items": to_jsonable(items[(page - 1) * per_page:page * per_page]),
                "page": page,
                "per_page": per_page, "total": len(items)}

    def _licence_alerts(self, within_days: int, division_code=None) -> list[dict]:
        today = self.clock.today()
        query = (sa.select(licences, institutions.c.uscc, institutions.c.name,
                           institutions.c.division_code)
                 .join(institutions, institutions.c.id == licences.c.institution_id)
                 .where(institutions.c.status != "closed",
                        licences.c.valid_until.is_not(None))
                 .order_by(licences.c.valid_until, licences.c.id))
        if division_code:
            query = query.where(institutions.c.division_code.startswith(
                division_prefix(division_code), autoescape=True))
        out = []
        for row in self.s.execute(query).all():
            r = dict(row._mapping)
            state = rules.licence_state(r["valid_until"], today, within_days)
            if state:
                out.append({"licence_id": r["id"], "uscc": r["uscc"], "name": r["name"],
                            "kind": r["kind"], "number": r["number"],
                            "valid_until": r["valid_until"].isoformat(),
                            "days_left": state[1], "state": state[0],
                            "division_code": r["division_code"],
                            "alerted_until": r["alerted_until"], "institution_id": r[
                                "institution_id"]})
        # the medical-insurance designation (kept from that department's events)
        query = (sa.select(designations, institutions.c.id.label("institution_id"),
                           institutions.c.name, institutions.c.division_code)
                 .join(institutions, institutions.c.uscc == designations.c.uscc)
                 .where(institutions.c.status != "closed", designations.c.status == "signed")
                 .order_by(designations.c.valid_until))
        if division_code:
            query = query.where(institutions.c.division_code.startswith(
                division_prefix(division_code), autoescape=True))
        for row in self.s.execute(query).all():
            r = dict(row._mapping)
            state = rules.licence_state(r["valid_until"], today, within_days)
            if state:
                out.append({"licence_id": None, "uscc": r["uscc"], "name": r["name"],
                            "kind": "medical_insurance", "number": r["agreement_no"],
                            "valid_until": r["valid_until"].isoformat(),
                            "days_left": state[1], "state": state[0],
                            "division_code": r["division_code"], "alerted_until": None,
                            "institution_id": r["institution_id"]})
        out.sort(key=lambda a: (a["valid_until"], a["uscc"], a["kind"]))
        return out

    @rpc
    def set_grade(self, uscc, grade, assessed_on) -> dict:
        inst = self._institution(uscc, lock=True)
        grade = rules.check_grade(grade)
        day = rules.as_date(assessed_on, "assessed_on")
        if day > self.clock.today():
            raise Invalid("评定日期不能晚于今天", field="assessed_on", reason="future")
        self.s.execute(sa.update(institutions).where(institutions.c.id == inst["id"])
                       .values(grade=grade, graded_on=day, updated_at=utcnow()))
        self.s.execute(sa.insert(grade_history).values(
            institution_id=inst["id"], grade=grade, assessed_on=day, recorded_at=utcnow()))
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
        for key, value in counts.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise Invalid("人数应为非负整数", field=key, reason="bad_count")
        self.s.execute(sa.update(institutions).where(institutions.c.id == inst["id"])
                       .values(updated_at=utcnow(), **counts))
        view = self._view(self._institution(uscc))
        residents = view["occupied"]
        ratio = None if residents == 0 else f"{carers / residents:.2f}"
        return {"uscc": view["uscc"], "staff": view["staff"], "residents": residents,
                "carers_per_resident": ratio}

    # ------------------------------------------------------------------ catalogue and prices

    def _item(self, inst_id: int, code: str) -> dict:
        row = self.s.execute(sa.select(catalog_items).where(
            catalog_items.c.institution_id == inst_id, catalog_items.c.code == code)).first()
        if row is None:
            raise NotFound("未找到该服务项目", resource="catalog_item", code=code)
        return dict(row._mapping)

    def _prices(self, item_id: int) -> list[tuple[date, object]]:
        return [(r.effective_from, r.price) for r in self.s.execute(
            sa.select(item_prices.c.effective_from, item_prices.c.price)
            .where(item_prices.c.item_id == item_id)
            .order_by(item_prices.c.effective_from)).all()]

    def _item_view(self, item: dict, on: date) -> dict:
        prices = self._prices(item["id"])
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
        prices = self._prices(item["id"])
        rules.check_new_price(day, self.clock.today(), [d for d, _ in prices])
        previous = rules.price_on(prices, day)
        self.s.execute(sa.insert(item_prices).values(
            item_id=item["id"], price=amount, effective_from=day, reason=reason,
            recorded_at=utcnow()))
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
        if category == "bed" and not room_type:
            raise Invalid("床位项目须注明房型", field="room_type", reason="missing")
        if category == "nursing" and not care_level:
            raise Invalid("护理项目须注明护理等级", field="care_level", reason="missing")
        if self.s.execute(sa.select(catalog_items.c.id).where(
                catalog_items.c.institution_id == inst["id"],
                catalog_items.c.code == code)).first():
            raise Conflict("该项目编码已存在", reason="exists", code=code)
        pk = self.s.execute(sa.insert(catalog_items).values(
            institution_id=inst["id"], code=code, category=category, name=name, unit=unit,
            room_type=room_type, care_level=care_level, monthly=bool(monthly),
            created_at=utcnow()).returning(catalog_items.c.id)).scalar_one()
        item = self._item(inst["id"], code)
        assert item["id"] == pk
        self._add_price(inst, item, price, effective_from, "初始定价")
        return self._item_view(item, self.clock.today())

    @rpc
    def set_price(self, uscc, code, price, effective_from, reason=None) -> dict:
        inst = self._institution(uscc, lock=True)
        item = self._item(inst["id"], code)
        self._add_price(inst, item, price, effective_from, reason)
        return self._item_view(item, self.clock.today())

    @rpc
    def get_catalog(self, uscc, on=None) -> list:
        inst = self._institution(uscc)
        day = rules.opt_date(on, "on") or self.clock.today()
        rows = self.s.execute(sa.select(catalog_items).where(
            catalog_items.c.institution_id == inst["id"]).order_by(catalog_items.c.id)).all()
        return [self._item_view(dict(r._mapping), day) for r in rows]

    def _monthly_price(self, inst_id: int, room_type, care_level, on: date):
        rows = self.s.execute(sa.select(catalog_items).where(
            catalog_items.c.institution_id == inst_id, catalog_items.c.monthly.is_(True))
            .order_by(catalog_items.c.id)).all()
        total, parts = to_money(0), []
        for row in rows:
            item = dict(row._mapping)
            if item["category"] == "bed" and item["room_type"] != room_type:
                continue
            if item["category"] == "nursing" and item["care_level"] != care_level:
                continue
            price = rules.price_on(self._prices(item["id"]), on)
            if price is None:
                continue
            total += price
            parts.append({"code": item["code"], "price": money_str(price)})
        return to_money(total), parts

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
        if self.s.execute(sa.select(rooms.c.id).where(
                rooms.c.institution_id == inst["id"], rooms.c.room_no == room_no)).first():
            raise Conflict("房间号已存在", reason="exists", room_no=room_no)
        taken = self.s.execute(sa.select(beds_table().c.bed_no).where(
            beds_table().c.institution_id == inst["id"],
            beds_table().c.bed_no.in_(bed_nos))).scalars().all()
        if taken:
            raise Conflict("床位号已存在", reason="exists", beds=sorted(taken))
        room_id = self.s.execute(sa.insert(rooms).values(
            institution_id=inst["id"], room_no=room_no, room_type=room_type)
            .returning(rooms.c.id)).scalar_one()
        for bed_no in bed_nos:
            self.s.execute(sa.insert(beds_table()).values(
                institution_id=inst["id"], room_id=room_id, bed_no=str(bed_no)))
        return {"uscc": inst["uscc"], "room_no": room_no, "room_type": room_type,
                "beds": [{"bed_no": str(b), "status": "available"} for b in bed_nos]}

    def _beds_query(self, inst_id: int):
        occupant = (sa.select(placements.c.id).where(placements.c.bed_id == beds.c.id,
                                                     placements.c.status == "open")
                    .scalar_subquery())
        return (sa.select(beds.c.id, beds.c.bed_no, beds.c.out_of_service, rooms.c.room_no,
                          rooms.c.room_type, occupant.label("placement_pk"))
                .join(rooms, rooms.c.id == beds.c.room_id)
                .where(beds.c.institution_id == inst_id)
                .order_by(beds.c.bed_no))

    @staticmethod
    def _bed_view(row: dict) -> dict:
        status = ("occupied" if row["placement_pk"] else
                  "out_of_service" if row["out_of_service"] else "available")
        return {"bed_no": row["bed_no"], "room_no": row["room_no"],
                "room_type": row["room_type"], "status": status,
                "placement_id": _placement_no(row["placement_pk"]) if row["placement_pk"]
                else None}

    @rpc
    def list_beds(self, uscc, status=None, page=1, per_page=50) -> dict:
        inst = self._institution(uscc)
        query = self._beds_query(inst["id"])
        if status:
            rules.choice(status, ("available", "occupied", "out_of_service"), "status")
            sub = query.subquery()
            cond = {"occupied": sub.c.placement_pk.is_not(None),
                    "available": sa.and_(sub.c.placement_pk.is_(None),
                                         sub.c.out_of_service.is_(False)),
                    "out_of_service": sa.and_(sub.c.placement_pk.is_(None),
                                              sub.c.out_of_service.is_(True))}[status]
            query = sa.select(sub).where(cond).order_by(sub.c.bed_no)
        return self._page(query, page, per_page, self._bed_view)

    @rpc
    def set_bed_status(self, uscc, bed_no, status) -> dict:
        inst = self._institution(uscc, lock=True)
        rules.choice(status, v.BED_STATUSES, "status")
        row = self.s.execute(self._beds_query(inst["id"]).where(beds.c.bed_no == bed_no)).first()
        if row is None:
            raise NotFound("未找到该床位", resource="bed", bed_no=bed_no)
        if row.placement_pk and status == "out_of_service":
            raise Conflict("床位有人入住，不能停用", reason="occupied")
        self.s.execute(sa.update(beds).where(beds.c.id == row.id)
                       .values(out_of_service=status == "out_of_service"))
        row = self.s.execute(self._beds_query(inst["id"]).where(beds.c.id == row.id)).first()
        return self._bed_view(dict(row._mapping))

    # ------------------------------------------------------------------ placements

    def _free_bed(self, inst_id: int, bed_no=None):
        query = self._beds_query(inst_id)
        if bed_no is not None:
            row = self.s.execute(query.where(beds.c.bed_no == str(bed_no))).first()
            if row is None:
                raise NotFound("未找到该床位", resource="bed", bed_no=bed_no)
            if row.placement_pk or row.out_of_service:
                raise Conflict("该床位不可用", reason="bed_taken", bed_no=bed_no)
            return row
        taken = sa.exists().where(placements.c.bed_id == beds.c.id,
                                  placements.c.status == "open")
        return self.s.execute(
            sa.select(beds.c.id, beds.c.bed_no, rooms.c.room_type)
            .join(rooms, rooms.c.id == beds.c.room_id)
            .where(beds.c.institution_id == inst_id, beds.c.out_of_service.is_(False), ~taken)
            .order_by(beds.c.bed_no).limit(1)).first()

    def _infection_open(self, id_number: str) -> bool:
        return self.s.execute(sa.select(infections.c.id).where(
            infections.c.id_number == id_number, infections.c.cleared_on.is_(None))
        ).first() is not None

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
        placed = self._open_placement(id_number) is not None
        infected = self._infection_open(id_number)
        bed = None
        if inst["status"] == "open" and not placed and not infected:
            bed = self._free_bed(inst["id"], bed_no)
        rules.check_admission(rules.AdmissionFacts(
            institution_status=inst["status"], has_open_placement=placed,
            infection_open=infected, free_beds=1 if bed is not None else 0))
        price, _ = self._monthly_price(inst["id"], bed.room_type, care_level, day)
        try:
            with self.s.begin_nested():
                pk = self.s.execute(sa.insert(placements).values(
                    id_number=id_number, division_code=division_code,
                    institution_id=inst["id"], bed_id=bed.id, care_mode=care_mode,
                    care_level=care_level, status="open", admitted_on=day, monthly_price=price,
                    enrolment_id=enrolment_id, health_record_ref=health_record_ref,
                    rehab_plan_ref=rehab_plan_ref, transferred_from=transferred_from,
                    created_at=utcnow()).returning(placements.c.id)).scalar_one()
        except sa.exc.IntegrityError:
            raise Conflict("该人员已入住或床位已被占用", reason="already_placed") from None
        self.s.execute(sa.insert(care_level_changes).values(
            placement_id=pk, care_level=care_level, from_on=day, source="admission",
            recorded_at=utcnow()))
        if event:
            self.db.outbox.add("placement.admitted", {
                "placement_id": _placement_no(pk), "id_number": id_number,
                "division_code": division_code, "institution_uscc": inst["uscc"],
                "care_mode": care_mode, "admitted_on": day, "bed_no": bed.bed_no,
                "monthly_price": price, "enrolment_id": enrolment_id, "care_level": care_level,
            }, division_code=division_code, key=id_number)
        return self._placement_row(pk)

    def _placement_row(self, pk: int) -> dict:
        row = self.s.execute(sa.select(placements).where(placements.c.id == pk)).first()
        if row is None:
            raise NotFound("未找到该入住记录", resource="placement")
        return dict(row._mapping)

    def _placement_query(self):
        return (sa.select(placements, institutions.c.uscc, institutions.c.name.label(
            "institution_name"), beds.c.bed_no, rooms.c.room_type)
                .join(institutions, institutions.c.id == placements.c.institution_id)
                .outerjoin(beds, beds.c.id == placements.c.bed_id)
                .outerjoin(rooms, rooms.c.id == beds.c.room_id))

    def _placement_out(self, row: dict) -> dict:
        away = [dict(a._mapping) for a in self.s.execute(
            sa.select(absences).where(absences.c.placement_id == row["id"])
            .order_by(absences.c.id)).all()]
        return placement_view(row, away)

    def _placement(self, pk: int) -> dict:
        row = self.s.execute(self._placement_query().where(placements.c.id == pk)).first()
        if row is None:
            raise NotFound("未找到该入住记录", resource="placement")
        return self._placement_out(dict(row._mapping))

    def _discharge(self, placement: dict, discharged_on, reason: str, note=None,
                   event=True) -> None:
        day = rules.as_date(discharged_on, "discharged_on")
        if placement["status"] != "open":
            raise Conflict("该入住记录已结束", reason="closed")
        if day < placement["admitted_on"]:
            raise Invalid("离院日期不能早于入住日期", field="discharged_on", reason="bad_date")
        self.s.execute(sa.update(placements).where(placements.c.id == placement["id"]).values(
            status="closed", discharged_on=day, discharge_reason=reason,
            discharge_note=(note or None) and str(note)[:500]))
        self.s.execute(sa.update(absences).where(
            absences.c.placement_id == placement["id"], absences.c.ended_on.is_(None))
            .values(ended_on=day))
        if event:
            inst = self._institution_by_id(placement["institution_id"])
            self.db.outbox.add("placement.discharged", {
                "placement_id": _placement_no(placement["id"]),
                "id_number": placement["id_number"],
                "division_code": placement["division_code"], "institution_uscc": inst["uscc"],
                "discharged_on": day, "reason": reason, "care_level": placement["care_level"],
            }, division_code=placement["division_code"], key=placement["id_number"])

    def _discharge_open(self, id_number, on, reason, note) -> None:
        placement = self._open_placement(id_number)
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
            self.s.execute(sa.update(admission_requests).where(
                admission_requests.c.enrolment_id == enrolment_id,
                admission_requests.c.status == "pending").values(
                status="admitted", placement_id=row["id"],
                institution_uscc=self._institution_by_id(row["institution_id"])["uscc"]))
        return self._placement(row["id"])

    @rpc
    def discharge(self, placement_id, discharged_on, reason, note=None) -> dict:
        pk = _placement_pk(placement_id)
        rules.choice(reason, v.DISCHARGE_REASONS, "reason")
        self._discharge(self._placement_row(pk), discharged_on, reason, note)
        return self._placement(pk)

    @rpc
    def record_consent(self, id_number, to_uscc, given, recorded_on, recorded_by=None,
                       note=None) -> dict:
        id_number = validate_id_number(id_number)
        inst = self._institution(to_uscc)
        if not isinstance(given, bool):
            raise Invalid("given 应为 true 或 false", field="given", reason="bad_choice")
        day = rules.as_date(recorded_on, "recorded_on")
        pk = self.s.execute(sa.insert(consents).values(
            id_number=id_number, to_institution_id=inst["id"], given=given, recorded_on=day,
            recorded_by=recorded_by, note=note, recorded_at=utcnow())
            .returning(consents.c.id)).scalar_one()
        return {"id": pk, "id_number_masked": mask_id_number(id_number), "to_uscc": inst["uscc"],
                "given": given, "recorded_on": day.isoformat(), "recorded_by": recorded_by}

    def _consent(self, id_number: str, inst_id: int) -> bool | None:
        row = self.s.execute(sa.select(consents.c.given).where(
            consents.c.id_number == id_number, consents.c.to_institution_id == inst_id)
            .order_by(consents.c.recorded_on.desc(), consents.c.id.desc()).limit(1)).first()
        return None if row is None else row.given

    def _transfer(self, placement: dict, target: dict, on, bed_no=None) -> dict:
        day = rules.as_date(on, "transferred_on")
        if placement["status"] != "open":
            raise Conflict("该入住记录已结束", reason="closed")
        if placement["institution_id"] == target["id"]:
            raise Invalid("转出与转入机构不能相同", field="to_uscc", reason="same_institution")
        rules.check_transfer_consent(self._consent(placement["id_number"], target["id"]))
        source = self._institution_by_id(placement["institution_id"])
        # consumers that follow placements see the old one end (its last day is the
        # day before the move, so no day is paid twice) and the new one start at the
        # target's price, tied together by placement.transferred
        from datetime import timedelta

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
            "placement_id": _placement_no(placement["id"]),
            "id_number": placement["id_number"], "division_code": placement["division_code"],
            "from_institution_uscc": source["uscc"], "to_institution_uscc": target["uscc"],
            "transferred_on": day, "consent_recorded": True,
            "care_level": placement["care_level"], "to_placement_id": _placement_no(new["id"]),
        }, division_code=placement["division_code"], key=placement["id_number"])
        return new

    @rpc
    def transfer(self, placement_id, to_uscc, transferred_on, bed_no=None) -> dict:
        placement = self._placement_row(_placement_pk(placement_id))
        target = self._institution(to_uscc)
        new = self._transfer(placement, target, transferred_on, bed_no)
        return self._placement(new["id"])

    @rpc
    def update_placement(self, placement_id, health_record_ref=None, rehab_plan_ref=None) -> dict:
        """The personal health record and one-person rehab plan references
        (luan-2021 §三(二)(五))."""
        pk = _placement_pk(placement_id)
        self._placement_row(pk)
        values = {k: str(val)[:64] for k, val in (("health_record_ref", health_record_ref),
                                                   ("rehab_plan_ref", rehab_plan_ref))
                  if val is not None}
        if values:
            self.s.execute(sa.update(placements).where(placements.c.id == pk).values(**values))
        return self._placement(pk)

    @rpc
    def change_care_level(self, placement_id, care_level, on) -> dict:
        pk = _placement_pk(placement_id)
        placement = self._placement_row(pk)
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
        from datetime import timedelta

        pk = _placement_pk(placement_id)
        placement = self._placement_row(pk)
        first, last = _month_bounds(month)
        start = max(first, placement["admitted_on"])
        end = min(last, placement["discharged_on"] or last)
        out = {"placement_id": _placement_no(pk), "month": str(month), "segments": []}
        if start > end:
            return out
        room_type = None
        if placement["bed_id"]:
            room_type = self.s.execute(sa.select(rooms.c.room_type).join(
                beds, beds.c.room_id == rooms.c.id).where(beds.c.id == placement["bed_id"])
            ).scalar_one()
        levels = self._care_levels(placement)
        price_days = self.s.execute(
            sa.select(item_prices.c.effective_from).join(
                catalog_items, catalog_items.c.id == item_prices.c.item_id)
            .where(catalog_items.c.institution_id == placement["institution_id"],
                   catalog_items.c.monthly.is_(True),
                   item_prices.c.effective_from > start, item_prices.c.effective_from <= end)
        ).scalars().all()
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
        return self._placement(_placement_pk(placement_id))

    @rpc
    def list_placements(self, uscc=None, id_number=None, status=None, division_code=None,
                        active_in=None, page=1, per_page=50) -> dict:
        query = self._placement_query().order_by(placements.c.id)
        if division_code:
            query = query.where(institutions.c.division_code.startswith(
                division_prefix(division_code), autoescape=True))
        if active_in:
            first, last = _month_bounds(active_in)
            query = query.where(placements.c.admitted_on <= last,
                                sa.or_(placements.c.discharged_on.is_(None),
                                       placements.c.discharged_on >= first))
        if uscc:
            query = query.where(institutions.c.uscc == validate_uscc(uscc))
        if id_number:
            query = query.where(placements.c.id_number == validate_id_number(id_number))
        if status:
            query = query.where(placements.c.status == rules.choice(status, ("open", "closed"),
                                                                     "status"))
        return self._page(query, page, per_page, self._placement_out)

    @rpc
    def list_admission_requests(self, status=None, uscc=None, page=1, per_page=50) -> dict:
        query = sa.select(admission_requests).order_by(admission_requests.c.id)
        if status:
            query = query.where(admission_requests.c.status == status)
        if uscc:
            query = query.where(admission_requests.c.institution_uscc == validate_uscc(uscc))

        def view(r):
            return {"id": r["id"], "enrolment_id": r["enrolment_id"],
                    "id_number_masked": mask_id_number(r["id_number"]),
                    "institution_uscc": r["institution_uscc"], "status": r["status"],
                    "reason": r["reason"],
                    "placement_id": _placement_no(r["placement_id"]) if r["placement_id"]
                    else None, "received_at": r["received_at"].isoformat()}
        return self._page(query, page, per_page, view)

    # ------------------------------------------------------------------ inspections

    def _inspection(self, pk: int) -> dict:
        row = self.s.execute(sa.select(inspections, institutions.c.uscc).join(
            institutions, institutions.c.id == inspections.c.institution_id)
            .where(inspections.c.id == pk)).first()
        if row is None:
            raise NotFound("未找到该检查记录", resource="inspection")
        return self._inspection_out(dict(row._mapping))

    def _inspection_out(self, row: dict) -> dict:
        found = [dict(f._mapping) for f in self.s.execute(
            sa.select(findings).where(findings.c.inspection_id == row["id"])
            .order_by(findings.c.id)).all()]
        return inspection_view(row, found, self.clock.today())

    def _add_finding(self, inspection_id: int, inspected_on: date, f: dict) -> None:
        if not isinstance(f, dict):
            raise Invalid("问题格式错误", field="findings", reason="bad_finding")
        rules.choice(f.get("severity"), v.SEVERITIES, "severity")
        if not f.get("description"):
            raise Invalid("请描述发现的问题", field="description", reason="missing")
        by = rules.as_date(f.get("rectify_by"), "rectify_by")
        if by < inspected_on:
            raise Invalid("整改期限不能早于检查日期", field="rectify_by", reason="bad_date")
        self.s.execute(sa.insert(findings).values(
            inspection_id=inspection_id, severity=f["severity"],
            description=str(f["description"])[:1000], rectify_by=by))

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
        pk = self.s.execute(sa.insert(inspections).values(
            institution_id=inst["id"], kind=kind, inspected_on=day, inspector=inspector,
            result=result, notes=notes, created_at=utcnow()).returning(inspections.c.id)
        ).scalar_one()
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
        return self._inspection(_inspection_pk(inspection_id))

    @rpc
    def update_inspection(self, inspection_id, inspector=None, notes=None) -> dict:
        pk = _inspection_pk(inspection_id)
        self._inspection(pk)
        values = {k: val for k, val in (("inspector", inspector), ("notes", notes))
                  if val is not None}
        if values:
            self.s.execute(sa.update(inspections).where(inspections.c.id == pk).values(**values))
        return self._inspection(pk)

    @rpc
    def add_finding(self, inspection_id, severity, description, rectify_by) -> dict:
        pk = _inspection_pk(inspection_id)
        view = self._inspection(pk)
        self._add_finding(pk, date.fromisoformat(view["inspected_on"]),
                          {"severity": severity, "description": description,
                           "rectify_by": rectify_by})
        return self._inspection(pk)

    @rpc
    def rectify_finding(self, finding_id, rectified_on, signed_off_by) -> dict:
        row = self.s.execute(sa.select(findings).where(findings.c.id == int(finding_id))).first()
        if row is None:
            raise NotFound("未找到该问题", resource="finding")
        if row.rectified_on is not None:
            raise Conflict("该问题已整改销号", reason="already_rectified")
        if not signed_off_by:
            raise Invalid("请填写销号人", field="signed_off_by", reason="missing")
        day = rules.as_date(rectified_on, "rectified_on")
        if day > self.clock.today():
            raise Invalid("整改日期不能晚于今天", field="rectified_on", reason="future")
        self.s.execute(sa.update(findings).where(findings.c.id == row.id).values(
            rectified_on=day, signed_off_by=signed_off_by))
        return self._inspection(row.inspection_id)

    @rpc
    def list_inspections(self, uscc=None, kind=None, division_code=None, page=1,
                         per_page=50) -> dict:
        query = (sa.select(inspections, institutions.c.uscc)
                 .join(institutions, institutions.c.id == inspections.c.institution_id)
                 .order_by(inspections.c.inspected_on.desc(), inspections.c.id.desc()))
        if division_code:
            query = query.where(institutions.c.division_code.startswith(
                division_prefix(division_code), autoescape=True))
        if uscc:
            query = query.where(institutions.c.uscc == validate_uscc(uscc))
        if kind:
            query = query.where(inspections.c.kind == rules.choice(kind, v.INSPECTION_KINDS,
                                                                   "kind"))
        return self._page(query, page, per_page, self._inspection_out)

    def _schedule(self, inst: dict) -> list[dict]:
        today = self.clock.today()
        out = []
        for kind, months in rules.SCHEDULE.items():
            last = self.s.execute(sa.select(sa.func.max(inspections.c.inspected_on)).where(
                inspections.c.institution_id == inst["id"], inspections.c.kind == kind)
            ).scalar_one()
            due = rules.due_on(kind, last, inst["opened_on"] or inst["registered_on"])
            out.append({"kind": kind, "every": "month" if months == 1 else "year",
                        "last_inspected_on": last, "due_on": due,
                        "overdue": rules.is_overdue(due, today)})
        return out

    @rpc
    def inspection_schedule(self, uscc) -> list:
        from doudi_common.serialize import to_jsonable
        return to_jsonable(self._schedule(self._institution(uscc)))

    def _overdue(self, division_code=None) -> list[dict]:
        today = self.clock.today()
        query = sa.select(institutions).where(institutions.c.status.in_(OPEN_STATES)) \
            .order_by(institutions.c.id)
        if division_code:
            query = query.where(institutions.c.division_code.startswith(
                division_prefix(division_code), autoescape=True))
        out = []
        for row in self.s.execute(query).all():
            inst = dict(row._mapping)
            for item in self._schedule(inst):
                if item["overdue"]:
                    out.append({"institution_id": inst["id"], "uscc": inst["uscc"],
                                "name": inst["name"], "division_code": inst["division_code"],
                                "what": "patrol", "kind": item["kind"], "due_on": item["due_on"],
                                "last_inspected_on": item["last_inspected_on"],
                                "finding_id": None, "subject": f"patrol:{item['kind']}"})
            for f in self.s.execute(
                    sa.select(findings, inspections.c.kind, inspections.c.inspected_on)
                    .join(inspections, inspections.c.id == findings.c.inspection_id)
                    .where(inspections.c.institution_id == inst["id"],
                           findings.c.rectified_on.is_(None), findings.c.rectify_by < today)
                    .order_by(findings.c.id)).all():
                out.append({"institution_id": inst["id"], "uscc": inst["uscc"],
                            "name": inst["name"], "division_code": inst["division_code"],
                            "what": "finding", "kind": f.kind, "due_on": f.rectify_by,
                            "last_inspected_on": f.inspected_on, "finding_id": f.id,
                            "subject": f"finding:{f.id}"})
        return out

    @rpc
    def list_overdue(self, division_code=None, page=1, per_page=50) -> dict:
        from doudi_common.serialize import to_jsonable
        items = [{k: val for k, val in o.items() if k not in ("institution_id", "subject")}
                 for o in self._overdue(division_code)]
        page, per_page = page_args(page, per_page)
        return {"items": to_jsonable(items[(page - 1) * per_page:page * per_page]),
                "page": page, "per_page": per_page, "total": len(items)}

    def _run_checks(self) -> dict:
        raised = 0
        for item in self._overdue():
            seen = self.s.execute(sa.select(overdue_notices.c.id).where(
                overdue_notices.c.institution_id == item["institution_id"],
                overdue_notices.c.subject == item["subject"],
                overdue_notices.c.due_on == item["due_on"])).first()
            if seen:
                continue
            self.s.execute(sa.insert(overdue_notices).values(
                institution_id=item["institution_id"], subject=item["subject"],
                due_on=item["due_on"], raised_at=utcnow()))
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
                if self.s.execute(sa.select(overdue_notices.c.id).where(
                        overdue_notices.c.institution_id == a["institution_id"],
                        overdue_notices.c.subject == subject,
                        overdue_notices.c.due_on == until)).first():
                    continue
                self.s.execute(sa.insert(overdue_notices).values(
                    institution_id=a["institution_id"], subject=subject, due_on=until,
                    raised_at=utcnow()))
            elif a["alerted_until"] == until:
                continue
            else:
                self.s.execute(sa.update(licences).where(licences.c.id == a["licence_id"])
                               .values(alerted_until=until))
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
        rows = self.s.execute(sa.select(institutions).where(
            institutions.c.county_code == county, institutions.c.kind == "tekun_home",
            institutions.c.status.in_(OPEN_STATES + ("preparing",)))
            .order_by(institutions.c.id)).all()
        sites = []
        for row in rows:
            inst = dict(row._mapping)
            counts = self._bed_counts(inst["id"])
            staff = (inst["nurses"] + inst["carers"] + inst["safety_officers"]
                     + inst["social_workers"] + inst["other_staff"])
            sites.append((inst, cons.Site(inst["uscc"], inst["name"], inst["division_code"],
                                          inst["grade"], counts["capacity"], counts["occupied"],
                                          staff)))
        return sites

    @rpc
    def consolidation_plan(self, county_code) -> dict:
        county = validate_division_code(county_code, (6,))
        sites = self._county_sites(county)
        by_id = {inst["id"]: inst for inst, _ in sites}
        residents = []
        for row in self.s.execute(sa.select(placements).where(
                placements.c.institution_id.in_(list(by_id)), placements.c.status == "open")
                .order_by(placements.c.id)).all():
            residents.append((row.id_number, cons.Resident(
                _placement_no(row.id), by_id[row.institution_id]["uscc"])))
        result = cons.plan(county, [s for _, s in sites], [r for _, r in residents])
        who = {r.placement_id: idn for idn, r in residents}
        uscc_id = {inst["uscc"]: inst["id"] for inst, _ in sites}
        keep = set(result.keep)

        def resident_view(r, target):
            idn = who[r.placement_id]
            return {"placement_id": r.placement_id, "id_number_masked": mask_id_number(idn),
                    "consent": self._consent(idn, uscc_id[target]) if target else None}

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
            self._record_status(source["id"], "merging", day,
                                f"区域化集中：并入 {target['uscc']}（hangzhou-2024 §三(二)）")
        moved, staying = [], []
        for row in self.s.execute(sa.select(placements).where(
                placements.c.institution_id == source["id"], placements.c.status == "open")
                .order_by(placements.c.id)).all():
            placement = dict(row._mapping)
            masked = mask_id_number(placement["id_number"])
            if self._consent(placement["id_number"], target["id"]) is not True:
                staying.append({"placement_id": _placement_no(placement["id"]),
                                "id_number_masked": masked, "reason": "no_consent"})
                continue
            savepoint = self.s.begin_nested()
            try:
                self._transfer(placement, target, day)
            except Conflict as exc:
                savepoint.rollback()
                staying.append({"placement_id": _placement_no(placement["id"]),
                                "id_number_masked": masked,
                                "reason": exc.fields.get("reason", "conflict")})
                continue
            savepoint.commit()
            moved.append(_placement_no(placement["id"]))
        self.s.execute(sa.insert(merges).values(
            source_id=source["id"], target_id=target["id"], on=day, moved=len(moved),
            staying=len(staying), recorded_at=utcnow()))
        status = "merging"
        if not staying:
            self.db.outbox.add("institution.merged", {
                "institution_uscc": source["uscc"], "into_uscc": target["uscc"],
                "merged_on": day, "residents_moved": len(moved)},
                division_code=source["division_code"], key=source["uscc"])
            reason = f"并入 {target['uscc']}，原址转型（hangzhou-2024 §三(六)）"
            self._record_status(source["id"], "closed", day, reason)
            self.db.outbox.add("institution.closed", {
                "institution_uscc": source["uscc"], "closed_on": day, "reason": reason},
                division_code=source["division_code"], key=source["uscc"])
            status = "closed"
        return {"source_uscc": source["uscc"], "target_uscc": target["uscc"], "moved": moved,
                "staying": staying, "source_status": status}

    @rpc
    def county_statistics(self, county_code) -> dict:
        county = validate_division_code(county_code, (6,))
        all_rows = self.s.execute(sa.select(institutions).where(
            institutions.c.county_code == county, institutions.c.status != "closed")).all()
        beds_total = occupied = 0
        staff = {"nurses": 0, "carers": 0, "safety_officers": 0, "social_workers": 0,
                 "others": 0}
        below = tekun_homes = 0
        for row in all_rows:
            inst = dict(row._mapping)
            counts = self._bed_counts(inst["id"])
            beds_total += counts["capacity"]
            occupied += counts["occupied"]
            for key, col in (("nurses", "nurses"), ("carers", "carers"),
                             ("safety_officers", "safety_officers"),
                             ("social_workers", "social_workers"), ("others", "other_staff")):
                staff[key] += inst[col]
            if inst["kind"] == "tekun_home":
                tekun_homes += 1
                if (inst["grade"] or 0) < cons.MIN_GRADE:
                    below += 1
        needing = sa.select(enrolments.c.id_number).where(
            enrolments.c.county_code == county, enrolments.c.tekun.is_(True),
            enrolments.c.ended_on.is_(None)).distinct()
        need = self.s.execute(sa.select(sa.func.count()).select_from(needing.subquery())
                              ).scalar_one()
        placed = self.s.execute(sa.select(sa.func.count(sa.distinct(placements.c.id_number)))
                                .where(placements.c.status == "open",
                                       placements.c.id_number.in_(needing))).scalar_one()
        rate = None if need == 0 else str(_ratio(placed, need))
        return {"county_code": county, "institutions": len(all_rows),
                "tekun_institutions": tekun_homes, "beds": beds_total, "occupied": occupied,
                "occupancy": None if not beds_total else str(_ratio(occupied, beds_total)),
                "below_grade_3": below, "staff": staff, "tekun_needing_care": need,
                "tekun_in_institutions": placed, "centralised_support_rate": rate}


def _ratio(part: int, whole: int) -> Decimal:
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def beds_table():
    return beds
