"""Events in: persons and enrolments from eligibility, placements and prices
from institutions, subsidies from CDPF, deaths and hospital stays from health,
closed months from services-log. Each changes what funding knows of a case;
a change for a month already settled is noted for next month's adjustment
(``mark_late``)."""

from __future__ import annotations

from datetime import date, timedelta

from doudi_common.dates import month_of, utcnow
from doudi_common.entrypoints import subscribe
from doudi_common.logs import get_logger
from doudi_common.money import to_fen
from doudi_common.persons import record_person

from doudi_funding.domain import funds
from doudi_funding.domain.days import next_month
from doudi_funding.domain.settlement import CENTRALIZED, NEIGHBOR, county_of
from doudi_funding.models import person_directory
from doudi_funding.schemas import parse_ratio
from doudi_funding.store import cases as case_store
from doudi_funding.store.facts import grant_subsidy
from doudi_funding.store.payouts import pay_out, pay_services
from doudi_funding.store.settlement import mark_late, settle_county_month

log = get_logger(__name__)


class SuiteAndDepartmentEvents:
    @subscribe("eligibility", ["person.registered", "enrolment.*", "person.handed_over",
                               "review.completed"])
    def on_eligibility(self, event):
        kind, data = event["type"], event["data"]
        if kind == "person.registered":
            record_person(self.db, person_directory, event)
        elif kind == "review.completed" and data.get("copay_share") is not None:
            self._family_share(data)
        elif kind.startswith("enrolment."):
            self._enrolment(event)
        elif kind == "person.handed_over" and NEIGHBOR in data["ended_care_modes"]:
            # puyang-2020 §六: at 60 neighbour care under this policy ends
            self._end_cases(data["id_number"], data["handed_over_on"] - timedelta(days=1),
                            "handed_over", event["id"], kinds=(NEIGHBOR,))

    def _family_share(self, data: dict) -> None:
        """luan-2021 §三(六) 每年至少对养护对象家庭收入情况进行一次评估,依据评估结论及时
        调整养护对象家庭承担费用比例: the share eligibility set at the annual income
        review applies from the month after it (a month already settled is adjusted)."""
        on = data["completed_on"]
        self._store_ratio(data["id_number"], parse_ratio(data["copay_share"]),
                          next_month(month_of(on)), f"annual review {on.isoformat()}",
                          data.get("copay_band"), data.get("income_per_head"), data["clause"])

    @subscribe("institutions", ["placement.*", "catalog.price_changed"])
    def on_institutions(self, event):
        data = event["data"]
        if data.get("care_level") and data.get("id_number"):
            self._care_level(data["id_number"], data["care_level"])
        handler = {"placement.admitted": self._admitted,
                   "placement.discharged": self._discharged,
                   "placement.transferred": self._transferred,
                   "catalog.price_changed": self._price_changed}.get(event["type"])
        if handler is not None:  # a placement type funding has no use for is acknowledged
            handler(event)

    def _care_level(self, id_number: str, level: str) -> None:
        row = case_store.care_level_of(self.db.session, id_number)
        if row is None or row["incapacity_level"] != level:
            case_store.save_care_level(self.db.session, id_number, incapacity_level=level)

    def _price_changed(self, event):
        data, session = event["data"], self.db.session
        key = {"institution_uscc": data["institution_uscc"], "item_code": data["item_code"],
               "effective_from": data["effective_from"]}
        case_store.replace_catalog_price(session, key, {
            "category": data["category"], "unit": data["unit"],
            "price_fen": to_fen(data["price"]), "room_type": data.get("room_type"),
            "care_level": data.get("care_level"), "event_id": event["id"]})
        mark_late(session, utcnow(), case_ids=case_store.case_ids_at(session,
                                                                     data["institution_uscc"]),
                  from_month=month_of(data["effective_from"]), event_id=event["id"])

    # departments' exchanges whole: an unknown type is dead-lettered before we run
    @subscribe("cdpf", "#")
    def on_cdpf(self, event):
        handler = {"subsidy.granted": self._subsidy_granted,
                   "subsidy.stopped": self._subsidy_stopped}.get(event["type"])
        if handler is not None:
            handler(event)

    @subscribe("health", "#")
    def on_health(self, event):
        data, kind = event["data"], event["type"]
        if kind == "person.deceased":
            self._end_cases(data["id_number"], data["date_of_death"], "deceased", event["id"])
        elif kind in ("hospital.admitted", "hospital.discharged"):
            self._hospital(event)

    def _hospital(self, event):
        """Hospital stays, for the pack's hospital-absence rule."""
        data, session = event["data"], self.db.session
        if event["type"] == "hospital.admitted":
            case_store.add_hospital_stay(session, data["id_number"], data["hospital_uscc"],
                                         data["on"], event["id"])
            since = data["on"]
        else:
            since = case_store.close_hospital_stay(session, data["id_number"], data["on"])
            if since is None:
                log.info("discharge without a known admission", event_id=event["id"])
                return
        mark_late(session, utcnow(), case_ids=case_store.case_ids_of(session, data["id_number"]),
                  from_month=month_of(since), event_id=event["id"])

    @subscribe("services_log", "month.closed")
    def on_month_closed(self, event):
        """A township's (or institution's) month is closed: its verified
        services are owed to their providers (serve-then-subsidise) and the
        county's month is settled (once; a later close of another township of
        the same county pays its services in a batch of its own)."""
        data, session = event["data"], self.db.session
        key = data["division_code"] + (f"/{data['institution_uscc']}"
                                       if data.get("institution_uscc") else "")
        if case_store.month_closed(session, key, data["month"]):
            log.info("month already closed here", close_key=key, month=data["month"])
            return
        case_store.record_month_closed(session, key, data["month"], event["id"],
                                       data["closed_at"])
        county = county_of(data["division_code"])
        rows = [{"event_id": event["id"], "division_code": data["division_code"],
                 "county": county, "month": data["month"], "id_number": line["id_number"],
                 "provider_kind": line["provider_kind"],
                 "provider_uscc": line.get("provider_uscc"),
                 "provider_id_number": line.get("provider_id_number"),
                 "service_item": line["service_item"], "records": line["records"],
                 "minutes": line["minutes"], "amount_fen": to_fen(line["amount"])}
                for line in data["lines"] if line["amount"]]
        case_store.add_service_lines(session, rows)
        now = self.clock.now()
        run, rerun = settle_county_month(self.db, county, data["month"], now, event["id"])
        if rerun and rows:
            n = case_store.service_batch_number(session, county)
            ref = f"SV-{county}-{data['month']}-{n:03d}"
            pay_services(session, county, data["month"], ref, now, None)
            pay_out(self.db, county, data["month"], ref, now, settlement_id=None)
        log.info("month settled", settlement_id=run["settlement_id"], rerun=rerun,
                 cases=run["cases"], service_lines=len(rows))

    def _enrolment(self, event):
        data, session = event["data"], self.db.session
        if event["type"] == "enrolment.ended":
            self._end_cases(data["id_number"], data["ended_on"], data["reason"], event["id"],
                            kinds=(NEIGHBOR,))
            return
        if event["type"] == "enrolment.changed" and data["previous_care_mode"] == NEIGHBOR \
                and data["care_mode"] != NEIGHBOR:
            self._end_cases(data["id_number"], data["changed_on"] - timedelta(days=1),
                            "care_mode_changed", event["id"], kinds=(NEIGHBOR,))
        values = {"incapacity_level": data.get("incapacity_level") or "full",
                  "hardship": ",".join(data.get("hardship") or [])}
        row = case_store.care_level_of(session, data["id_number"])
        if row is not None and "hardship" not in data:
            values["hardship"] = row["hardship"]
        case_store.save_care_level(session, data["id_number"], **values)
        changed_on = data.get("started_on") or data.get("changed_on")
        mark_late(session, utcnow(), case_ids=case_store.case_ids_of(session, data["id_number"]),
                  from_month=month_of(changed_on), event_id=event["id"])

    def _admitted(self, event):
        data, session = event["data"], self.db.session
        if case_store.case_exists(session, data["placement_id"]):
            return
        case_store.insert_case(
            session, case_id=data["placement_id"], kind=CENTRALIZED,
            id_number=data["id_number"], division_code=data["division_code"],
            county=county_of(data["division_code"]), institution_uscc=data["institution_uscc"],
            monthly_price_fen=to_fen(data["monthly_price"]), start_date=data["admitted_on"],
            enrolment_id=data.get("enrolment_id"), source_event_id=event["id"])
        mark_late(session, utcnow(), case_ids=[data["placement_id"]],
                  from_month=month_of(data["admitted_on"]), event_id=event["id"])

    def _discharged(self, event):
        data = event["data"]
        self._end_case(data["placement_id"], data["discharged_on"], data["reason"], event["id"])

    def _end_case(self, case_id, end: date, reason: str, event_id: str | None) -> None:
        session = self.db.session
        row = funds.require_case(case_store.get_case(session, case_id), case_id)
        if row["end_date"] is not None and row["end_date"] <= end:
            return
        case_store.end_case(session, case_id, end, reason)
        mark_late(session, utcnow(), case_ids=[case_id], from_month=month_of(end),
                  event_id=event_id)

    def _end_cases(self, id_number, end: date, reason, event_id, kinds=None) -> None:
        for case_id in case_store.case_ids_of(self.db.session, id_number, kinds):
            self._end_case(case_id, end, reason, event_id)

    def _transferred(self, event):
        data, session = event["data"], self.db.session
        row = funds.require_case(case_store.get_case(session, data["placement_id"]))
        on = data["transferred_on"]
        new_id = data.get("to_placement_id") or f"{data['placement_id']}/{on.isoformat()}"
        if case_store.case_exists(session, new_id):
            return
        self._end_case(row["case_id"], on - timedelta(days=1), "transferred", event["id"])
        case_store.insert_case(
            session, case_id=new_id, kind=CENTRALIZED, id_number=row["id_number"],
            division_code=data["division_code"], county=county_of(data["division_code"]),
            institution_uscc=data["to_institution_uscc"],
            monthly_price_fen=row["monthly_price_fen"], start_date=on,
            enrolment_id=row["enrolment_id"], source_event_id=event["id"])
        mark_late(session, utcnow(), case_ids=[new_id], from_month=month_of(on),
                  event_id=event["id"])

    def _subsidy_granted(self, event):
        data, session = event["data"], self.db.session
        grant_subsidy(session, id_number=data["id_number"], kind=data["kind"],
                      monthly_fen=to_fen(data["monthly_amount"]),
                      from_month=data["from_month"], event_id=event["id"], now=utcnow())
        mark_late(session, utcnow(), case_ids=case_store.case_ids_of(session, data["id_number"]),
                  from_month=data["from_month"], event_id=event["id"])

    def _subsidy_stopped(self, event):
        data, session = event["data"], self.db.session
        if not case_store.stop_subsidies(session, data["id_number"], data["kind"],
                                         data["to_month"]):
            grant_subsidy(session, id_number=data["id_number"], kind=data["kind"],
                          monthly_fen=to_fen(data["monthly_amount"]),
                          from_month=data["from_month"], to_month=data["to_month"],
                          event_id=event["id"], now=utcnow())
        mark_late(session, utcnow(), case_ids=case_store.case_ids_of(session, data["id_number"]),
                  from_month=next_month(data["to_month"]), event_id=event["id"])
