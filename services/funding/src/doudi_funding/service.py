"""funding: the ledger and monthly settlement (issue 6).

Thin entrypoints: parse, call the domain, store through the unit of work, add
events to the outbox. The RPC surface is listed in ``services/funding/RPC.md``.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from doudi_common.clock import Clock, month_of
from doudi_common.dates import utcnow
from doudi_common.db import Database
from doudi_common.entrypoints import rpc, subscribe, timer
from doudi_common.errors import Conflict, Invalid, NotFound
from doudi_common.ids import validate_id_number, validate_uscc
from doudi_common.logs import get_logger
from doudi_common.money import to_fen
from doudi_common.persons import get_person, record_person
from doudi_common.service_base import ServiceBase
from nameko.dependency_providers import Config

from doudi_funding import reports
from doudi_funding import store as S
from doudi_funding.domain import ledger as L
from doudi_funding.domain.days import month_bounds, next_month
from doudi_funding.domain.packs import pack_for, pack_named, self_pay_ratio
from doudi_funding.domain.settlement import CENTRALIZED, NEIGHBOR
from doudi_funding.models import (
    accounts,
    care_levels,
    case_settlements,
    cases,
    catalog_items,
    closed_months,
    donations,
    hospital_stays,
    ledger_entries,
    ledger_txns,
    metadata,
    payouts,
    person_directory,
    person_subsidies,
    self_pay_ratios,
    service_lines,
    settlement_runs,
)
from doudi_funding.schemas import (
    KnownPersonSchema,
    county_arg,
    donation_reply,
    entry_reply,
    line_reply,
    m,
    mask,
    parse_date,
    parse_money,
    parse_ratio,
    payout_reply,
    run_reply,
)

log = get_logger(__name__)

EARMARKS = ("county", "institution", "centralized")


class FundingService(ServiceBase):
    name = "funding"

    db = Database(metadata)
    clock = Clock()
    config = Config()

    # -- events in ---------------------------------------------------------------

    @subscribe("eligibility", ["person.registered", "enrolment.*", "person.handed_over"])
    def on_eligibility(self, event):
        kind, data = event["type"], event["data"]
        if kind == "person.registered":
            record_person(self.db, person_directory, event)
        elif kind.startswith("enrolment."):
            self._enrolment(event)
        elif kind == "person.handed_over" and NEIGHBOR in data["ended_care_modes"]:
            # puyang-2020 §六: at 60 neighbour care under this policy ends
            self._end_cases(data["id_number"], data["handed_over_on"] - timedelta(days=1),
                            "handed_over", event["id"], kinds=(NEIGHBOR,))

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
        session = self.db.session
        row = session.execute(sa.select(care_levels.c.incapacity_level).where(
            care_levels.c.id_number == id_number)).first()
        if row is None:
            session.execute(sa.insert(care_levels).values(
                id_number=id_number, incapacity_level=level, hardship="", updated_at=utcnow()))
        elif row.incapacity_level != level:
            session.execute(sa.update(care_levels).where(care_levels.c.id_number == id_number)
                            .values(incapacity_level=level, updated_at=utcnow()))

    def _price_changed(self, event):
        data, session = event["data"], self.db.session
        key = {"institution_uscc": data["institution_uscc"], "item_code": data["item_code"],
               "effective_from": data["effective_from"]}
        session.execute(sa.delete(catalog_items).where(
            *[getattr(catalog_items.c, k) == v for k, v in key.items()]))
        session.execute(sa.insert(catalog_items).values(
            **key, category=data["category"], unit=data["unit"],
            price_fen=to_fen(data["price"]), room_type=data.get("room_type"),
            care_level=data.get("care_level"), event_id=event["id"], recorded_at=utcnow()))
        ids = list(session.execute(sa.select(cases.c.case_id).where(
            cases.c.institution_uscc == data["institution_uscc"])).scalars())
        S.mark_late(session, utcnow(), case_ids=ids, from_month=month_of(data["effective_from"]),
                    event_id=event["id"])

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
        hs = hospital_stays.c
        if event["type"] == "hospital.admitted":
            session.execute(sa.insert(hospital_stays).values(
                id_number=data["id_number"], hospital_uscc=data["hospital_uscc"],
                admitted_on=data["on"], event_id=event["id"]))
            since = data["on"]
        else:
            open_stay = session.execute(sa.select(hs.id, hs.admitted_on).where(
                hs.id_number == data["id_number"], hs.discharged_on.is_(None),
                hs.admitted_on <= data["on"]).order_by(hs.admitted_on.desc())).first()
            if open_stay is None:
                log.info("discharge without a known admission", event_id=event["id"])
                return
            session.execute(sa.update(hospital_stays).where(hs.id == open_stay.id)
                            .values(discharged_on=data["on"]))
            since = open_stay.admitted_on
        S.mark_late(session, utcnow(), case_ids=self._case_ids(data["id_number"]),
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
        if session.execute(sa.select(closed_months.c.month).where(
                closed_months.c.close_key == key,
                closed_months.c.month == data["month"])).first() is not None:
            log.info("month already closed here", close_key=key, month=data["month"])
            return
        session.execute(sa.insert(closed_months).values(
            close_key=key, month=data["month"], event_id=event["id"],
            closed_at=data["closed_at"]))
        county = S.county_of(data["division_code"])
        rows = [{"event_id": event["id"], "division_code": data["division_code"],
                 "county": county, "month": data["month"], "id_number": line["id_number"],
                 "provider_kind": line["provider_kind"],
                 "provider_uscc": line.get("provider_uscc"),
                 "provider_id_number": line.get("provider_id_number"),
                 "service_item": line["service_item"], "records": line["records"],
                 "minutes": line["minutes"], "amount_fen": to_fen(line["amount"])}
                for line in data["lines"] if line["amount"]]
        if rows:
            session.execute(sa.insert(service_lines), rows)
        now = self.clock.now()
        run, rerun = S.settle_county_month(self.db, county, data["month"], now, event["id"])
        if rerun and rows:
            n = session.execute(sa.select(sa.func.count(sa.distinct(service_lines.c.paid_ref)))
                                .where(service_lines.c.county == county)).scalar_one() + 1
            ref = f"SV-{county}-{data['month']}-{n:03d}"
            S.pay_services(session, county, data["month"], ref, now, None)
            S.pay_out(self.db, county, data["month"], ref, now, settlement_id=None)
        log.info("month settled", settlement_id=run["settlement_id"], rerun=rerun,
                 cases=run["cases"], service_lines=len(rows))

    def _enrolment(self, event):
        data, session = event["data"], self.db.session
        now = utcnow()
        values = {"incapacity_level": data.get("incapacity_level") or "full",
                  "hardship": ",".join(data.get("hardship") or []), "updated_at": now}
        row = session.execute(sa.select(care_levels).where(
            care_levels.c.id_number == data["id_number"])).first()
        if event["type"] == "enrolment.ended":
            self._end_cases(data["id_number"], data["ended_on"], data["reason"], event["id"],
                            kinds=(NEIGHBOR,))
            return
        if event["type"] == "enrolment.changed" and data["previous_care_mode"] == NEIGHBOR \
                and data["care_mode"] != NEIGHBOR:
            self._end_cases(data["id_number"], data["changed_on"] - timedelta(days=1),
                            "care_mode_changed", event["id"], kinds=(NEIGHBOR,))
        if row is None:
            session.execute(sa.insert(care_levels).values(id_number=data["id_number"], **values))
        else:
            if "hardship" not in data:
                values["hardship"] = row.hardship
            session.execute(sa.update(care_levels).where(
                care_levels.c.id_number == data["id_number"]).values(**values))
        changed_on = data.get("started_on") or data.get("changed_on")
        ids = self._case_ids(data["id_number"])
        S.mark_late(session, now, case_ids=ids, from_month=month_of(changed_on),
                    event_id=event["id"])

    def _case_ids(self, id_number: str, kinds=None) -> list[str]:
        q = sa.select(cases.c.case_id).where(cases.c.id_number == id_number)
        if kinds:
            q = q.where(cases.c.kind.in_(kinds))
        return list(self.db.session.execute(q).scalars())

    def _admitted(self, event):
        data, session = event["data"], self.db.session
        if session.execute(sa.select(cases.c.case_id).where(
                cases.c.case_id == data["placement_id"])).first():
            return
        session.execute(sa.insert(cases).values(
            case_id=data["placement_id"], kind=CENTRALIZED, id_number=data["id_number"],
            division_code=data["division_code"], county=S.county_of(data["division_code"]),
            institution_uscc=data["institution_uscc"],
            monthly_price_fen=to_fen(data["monthly_price"]), start_date=data["admitted_on"],
            enrolment_id=data.get("enrolment_id"), source_event_id=event["id"],
            updated_at=utcnow()))
        S.mark_late(session, utcnow(), case_ids=[data["placement_id"]],
                    from_month=month_of(data["admitted_on"]), event_id=event["id"])

    def _discharged(self, event):
        data = event["data"]
        self._end_case(data["placement_id"], data["discharged_on"], data["reason"], event["id"])

    def _end_case(self, case_id, end: date, reason: str, event_id: str) -> None:
        session = self.db.session
        row = session.execute(sa.select(cases).where(cases.c.case_id == case_id)).first()
        if row is None:
            raise Conflict("未找到对应的入住记录", reason="unknown_placement", case_id=case_id)
        if row.end_date is not None and row.end_date <= end:
            return
        session.execute(sa.update(cases).where(cases.c.case_id == case_id).values(
            end_date=end, end_reason=reason, updated_at=utcnow()))
        S.mark_late(session, utcnow(), case_ids=[case_id], from_month=month_of(end),
                    event_id=event_id)

    def _end_cases(self, id_number, end: date, reason, event_id, kinds=None) -> None:
        for case_id in self._case_ids(id_number, kinds):
            self._end_case(case_id, end, reason, event_id)

    def _transferred(self, event):
        data, session = event["data"], self.db.session
        row = session.execute(sa.select(cases).where(
            cases.c.case_id == data["placement_id"])).first()
        if row is None:
            raise Conflict("未找到对应的入住记录", reason="unknown_placement")
        on = data["transferred_on"]
        new_id = data.get("to_placement_id") or f"{data['placement_id']}/{on.isoformat()}"
        if session.execute(sa.select(cases.c.case_id).where(cases.c.case_id == new_id)).first():
            return
        self._end_case(row.case_id, on - timedelta(days=1), "transferred", event["id"])
        session.execute(sa.insert(cases).values(
            case_id=new_id, kind=CENTRALIZED, id_number=row.id_number,
            division_code=data["division_code"], county=S.county_of(data["division_code"]),
            institution_uscc=data["to_institution_uscc"], monthly_price_fen=row.monthly_price_fen,
            start_date=on, enrolment_id=row.enrolment_id, source_event_id=event["id"],
            updated_at=utcnow()))
        S.mark_late(session, utcnow(), case_ids=[new_id], from_month=month_of(on),
                    event_id=event["id"])

    def _subsidy_granted(self, event):
        data, session = event["data"], self.db.session
        S.grant_subsidy(session, id_number=data["id_number"], kind=data["kind"],
                        monthly_fen=to_fen(data["monthly_amount"]),
                        from_month=data["from_month"], event_id=event["id"], now=utcnow())
        S.mark_late(session, utcnow(), case_ids=self._case_ids(data["id_number"]),
                    from_month=data["from_month"], event_id=event["id"])

    def _subsidy_stopped(self, event):
        data, session = event["data"], self.db.session
        open_rows = session.execute(sa.select(person_subsidies.c.id).where(
            person_subsidies.c.id_number == data["id_number"],
            person_subsidies.c.kind == data["kind"],
            sa.or_(person_subsidies.c.to_month.is_(None),
                   person_subsidies.c.to_month > data["to_month"]))).scalars().all()
        if open_rows:
            session.execute(sa.update(person_subsidies).where(
                person_subsidies.c.id.in_(open_rows)).values(to_month=data["to_month"]))
        else:
            S.grant_subsidy(session, id_number=data["id_number"], kind=data["kind"],
                            monthly_fen=to_fen(data["monthly_amount"]),
                            from_month=data["from_month"], to_month=data["to_month"],
                            event_id=event["id"], now=utcnow())
        S.mark_late(session, utcnow(), case_ids=self._case_ids(data["id_number"]),
                    from_month=next_month(data["to_month"]), event_id=event["id"])

    # -- settlement -------------------------------------------------------------------

    @timer(interval=3600)
    def settle_overdue_months(self) -> list[str]:
        """Calendar fallback: from ``SETTLE_AFTER_DAY`` (default the 5th) of a
        month, every county with cases in care last month whose month no
        services-log close has settled yet is settled now."""
        today = self.clock.today()
        after = int(self.config.get("SETTLE_AFTER_DAY", 5))
        if today.day < after:
            return []
        month = S.prev_month(month_of(today))
        first, last = month_bounds(month)
        session = self.db.session
        counties = session.execute(sa.select(sa.distinct(cases.c.county)).where(
            cases.c.start_date <= last,
            sa.or_(cases.c.end_date.is_(None), cases.c.end_date >= first),
            ~sa.exists().where(settlement_runs.c.county == cases.c.county,
                               settlement_runs.c.month == month))).scalars().all()
        done = []
        for county in sorted(counties):
            run, _ = S.settle_county_month(self.db, county, month, self.clock.now())
            done.append(run["settlement_id"])
        if done:
            log.info("overdue months settled", settlements=done)
        return done

    @rpc
    def settle_month(self, division_code: str, month: str) -> dict:
        county, month = county_arg(division_code), S.check_month(month)
        if month >= self.clock.month():
            raise Conflict("只能结算已结束的月份", reason="month_not_over", month=month)
        run, rerun = S.settle_county_month(self.db, county, month, self.clock.now())
        return run_reply(run, rerun)

    @rpc
    def settlement_status(self, division_code: str, month: str) -> dict:
        county, month = county_arg(division_code), S.check_month(month)
        row = self.db.session.execute(sa.select(settlement_runs).where(
            settlement_runs.c.county == county, settlement_runs.c.month == month)).first()
        if row is None:
            return {"status": "not_settled", "division_code": county, "month": month}
        return run_reply(dict(row._mapping), True)

    @rpc
    def list_settlements(self, month: str, division_code: str | None = None,
                         institution_uscc: str | None = None, id_number: str | None = None,
                         limit: int = 100, offset: int = 0) -> dict:
        q = sa.select(case_settlements).where(case_settlements.c.month == S.check_month(month))
        if division_code:
            q = q.where(case_settlements.c.county == county_arg(division_code))
        if institution_uscc:
            q = q.where(case_settlements.c.institution_uscc == validate_uscc(institution_uscc))
        if id_number:
            q = q.where(case_settlements.c.id_number == validate_id_number(id_number))
        total = self.db.session.execute(sa.select(sa.func.count()).select_from(q.subquery())) \
            .scalar_one()
        rows = self.db.session.execute(q.order_by(case_settlements.c.case_id,
                                                  case_settlements.c.for_month)
                                       .limit(_limit(limit)).offset(max(int(offset), 0))).all()
        return {"items": [line_reply(r) for r in rows], "total": total}

    # -- statements -----------------------------------------------------------------

    @rpc
    def person_statement(self, id_number: str, month: str) -> dict:
        return reports.person_statement(self.db.session, validate_id_number(id_number),
                                        S.check_month(month))

    @rpc
    def institution_statement(self, institution_uscc: str, month: str) -> dict:
        return reports.institution_statement(self.db.session, validate_uscc(institution_uscc),
                                             S.check_month(month))

    @rpc
    def institution_statement_csv(self, institution_uscc: str, month: str) -> dict:
        uscc, month = validate_uscc(institution_uscc), S.check_month(month)
        statement = reports.institution_statement(self.db.session, uscc, month)
        return {"filename": f"funding-{uscc}-{month}.csv", "content_type": "text/csv",
                "csv": reports.statement_csv(statement)}

    @rpc
    def county_summary(self, division_code: str, month: str | None = None,
                       year: int | str | None = None) -> dict:
        return reports.county_summary(self.db.session, county_arg(division_code), month, year)

    @rpc
    def county_summary_csv(self, division_code: str, month: str | None = None,
                           year: int | str | None = None) -> dict:
        county = county_arg(division_code)
        summary = reports.county_summary(self.db.session, county, month, year)
        return {"filename": f"funding-{county}-{summary['period']}.csv",
                "content_type": "text/csv", "csv": reports.summary_csv(summary)}

    # -- ledger -----------------------------------------------------------------------

    @rpc
    def fund_balances(self, division_code: str) -> dict:
        return reports.fund_balances(self.db.session, county_arg(division_code))

    @rpc
    def account_ledger(self, code: str, limit: int = 100, offset: int = 0) -> dict:
        session = self.db.session
        if session.execute(sa.select(accounts.c.code).where(accounts.c.code == code)).first() \
                is None:
            raise NotFound("未找到该账户", resource="account", code=str(code)[:80])
        rows = session.execute(sa.select(ledger_entries).where(ledger_entries.c.account == code)
                               .order_by(ledger_entries.c.id).limit(_limit(limit))
                               .offset(max(int(offset), 0))).all()
        return {"code": code, "balance": m(S.balance(session, code, any_party=True)),
                "entries": [entry_reply(e) for e in rows]}

    @rpc
    def get_transaction(self, txn_id: str) -> dict:
        return reports.transaction(self.db.session, txn_id)

    @rpc
    def reverse_transaction(self, txn_id: str, reason: str) -> dict:
        session = self.db.session
        if not isinstance(reason, str) or not reason.strip():
            raise Invalid("冲正必须说明原因", reason="reason_required")
        row, txn = S.load_transaction(session, txn_id)
        if row["cause"] in ("settlement", "adjustment", "payout"):
            raise Conflict("结算与支付交易不能直接冲正，请通过次月调整更正",
                           reason="settlement_txn", cause=row["cause"])
        if row["cause"] == "correction":
            raise Conflict("冲正交易不能再次冲正", reason="is_correction")
        if session.execute(sa.select(ledger_txns.c.txn_id).where(
                ledger_txns.c.reverses == txn_id)).first():
            raise Conflict("该交易已冲正", reason="already_reversed")
        new_id = f"COR-{txn_id}"
        S.post(session, L.reversal(txn, reason.strip()), txn_id=new_id, county=row["county"],
               month=row["month"], reverses=txn_id, now=self.clock.now())
        return reports.transaction(session, new_id)

    @rpc
    def reconciliation(self, division_code: str | None = None, month: str | None = None) -> dict:
        county = county_arg(division_code) if division_code else None
        return reports.reconciliation(self.db.session, county,
                                      S.check_month(month) if month else None)

    # -- inputs events do not carry ----------------------------------------------------

    @rpc
    def record_family_review(self, id_number: str, reviewed_on: str, household_size: int,
                             monthly_income: str, policy_pack: str | None = None) -> dict:
        id_number = validate_id_number(id_number)
        on = parse_date(reviewed_on, "reviewed_on")
        if isinstance(household_size, bool) or not isinstance(household_size, int) \
                or household_size < 1:
            raise Invalid("家庭人口数应为正整数", reason="bad_household_size")
        income = parse_money(monthly_income, "monthly_income", positive=False)
        if income < 0:
            raise Invalid("家庭收入不能为负数", reason="bad_amount")
        pack = pack_named(policy_pack) if policy_pack else pack_for(self._division(id_number))
        if pack is None:
            raise Invalid("未知的政策包", reason="unknown_pack")
        per_capita = (income / household_size).quantize(Decimal("0.01"))
        ratio, band = self_pay_ratio(pack, per_capita)
        clause = pack.clauses.get("self_pay", "luan-2021 §三(四)")
        return self._store_ratio(id_number, ratio, next_month(month_of(on)),
                                 f"annual review {on.isoformat()}", band, per_capita, clause)

    @rpc
    def set_self_pay_ratio(self, id_number: str, ratio: str, from_month: str,
                           reason: str) -> dict:
        if not isinstance(reason, str) or not reason.strip():
            raise Invalid("必须说明原因", reason="reason_required")
        return self._store_ratio(validate_id_number(id_number), parse_ratio(ratio),
                                 S.check_month(from_month), reason.strip()[:200], None, None,
                                 "luan-2021 §三(四)")

    def _store_ratio(self, id_number, ratio, from_month, reason, band, per_capita, clause):
        session = self.db.session
        session.execute(sa.insert(self_pay_ratios).values(
            id_number=id_number, from_month=from_month, ratio=str(ratio), band=band,
            per_capita_fen=to_fen(per_capita) if per_capita is not None else None,
            reason=reason, clause=clause, recorded_at=utcnow()))
        S.mark_late(session, utcnow(), case_ids=self._case_ids(id_number), from_month=from_month)
        return {"id_number_masked": mask(id_number), "effective_month": from_month,
                "per_capita_income": m(to_fen(per_capita)) if per_capita is not None else None,
                "band": band, "self_pay_ratio": f"{ratio:.2f}", "clause": clause}

    def _division(self, id_number: str) -> str:
        session = self.db.session
        row = session.execute(sa.select(cases.c.division_code).where(
            cases.c.id_number == id_number)).first()
        if row is None:
            row = session.execute(sa.select(person_directory.c.division_code).where(
                person_directory.c.id_number == id_number)).first()
        return row[0] if row else id_number[:6]

    @rpc
    def record_dibao(self, id_number: str, monthly_amount: str, from_month: str,
                     to_month: str | None = None) -> dict:
        id_number = validate_id_number(id_number)
        amount = parse_money(monthly_amount, "monthly_amount")
        from_month = S.check_month(from_month)
        if to_month is not None and S.check_month(to_month) < from_month:
            raise Invalid("截止月份不能早于起始月份", reason="bad_period")
        session = self.db.session
        S.grant_subsidy(session, id_number=id_number, kind="dibao", monthly_fen=to_fen(amount),
                        from_month=from_month, to_month=to_month, now=utcnow())
        S.mark_late(session, utcnow(), case_ids=self._case_ids(id_number),
                    from_month=from_month)
        return {"id_number_masked": mask(id_number), "kind": "dibao",
                "monthly_amount": m(to_fen(amount)), "from_month": from_month,
                "to_month": to_month}

    @rpc
    def register_caregiver(self, id_number: str, caregiver_id_number: str, division_code: str,
                           from_date: str, enrolment_id: str | None = None) -> dict:
        id_number = validate_id_number(id_number)
        caregiver = validate_id_number(caregiver_id_number)
        if caregiver == id_number:
            raise Invalid("照护人不能是本人", reason="self_care")
        county = county_arg(division_code)
        start = parse_date(from_date, "from_date")
        session = self.db.session
        case_id = f"NB-{county}-{id_number[-6:]}-{start.strftime('%Y%m%d')}"
        open_case = session.execute(sa.select(cases).where(
            cases.c.id_number == id_number, cases.c.kind == NEIGHBOR,
            cases.c.end_date.is_(None))).first()
        if open_case is not None:
            if open_case.caregiver_id_number == caregiver:
                return _case_reply(open_case._mapping)
            # change of caregiver: the old arrangement ends the day before
            self._end_case(open_case.case_id, start - timedelta(days=1), "caregiver_changed",
                           None)
        values = {"case_id": case_id, "kind": NEIGHBOR, "id_number": id_number,
                  "division_code": division_code, "county": county,
                  "caregiver_id_number": caregiver, "start_date": start,
                  "enrolment_id": enrolment_id, "updated_at": utcnow()}
        session.execute(sa.insert(cases).values(**values))
        S.mark_late(session, utcnow(), case_ids=[case_id], from_month=month_of(start))
        return _case_reply(values)

    @rpc
    def get_cost_plan(self, case_id: str, month: str) -> dict:
        return reports.cost_plan(self.db.session, case_id, S.check_month(month))

    # -- donations, pilot funds, payouts --------------------------------------------------

    @rpc
    def record_donation(self, division_code: str, amount: str, received_on: str,
                        donor_name: str | None = None, donor_uscc: str | None = None,
                        earmark: str = "county", institution_uscc: str | None = None) -> dict:
        county = county_arg(division_code)
        value = parse_money(amount)
        on = parse_date(received_on, "received_on")
        if earmark not in EARMARKS:
            raise Invalid("捐赠用途应为 county、institution 或 centralized", reason="bad_earmark")
        if earmark == "institution":
            if not institution_uscc:
                raise Invalid("定向捐赠须指定机构", reason="institution_required")
            institution_uscc = validate_uscc(institution_uscc)
        elif institution_uscc:
            raise Invalid("只有定向机构的捐赠可以指定机构", reason="bad_earmark")
        if donor_uscc:
            donor_uscc = validate_uscc(donor_uscc)
        if donor_name is not None and (not isinstance(donor_name, str) or len(donor_name) > 100):
            raise Invalid("捐赠人名称不合法", reason="bad_donor")
        session = self.db.session
        now = self.clock.now()
        S.ensure_accounts(session, county, now)
        seq = session.execute(sa.select(sa.func.count()).select_from(donations).where(
            donations.c.county == county)).scalar_one() + 1
        donation_id = f"DN-{county}-{on.year}-{seq:05d}"
        receipt_no = f"RC-{county}-{on.strftime('%Y%m%d')}-{seq:05d}"
        txn_id = f"DON:{donation_id}"
        fen = to_fen(value)
        S.post(session, L.transaction("donation", [
            L.Posting(L.account("cash", county), fen),
            L.Posting(L.account("donations", county), -fen, institution_uscc)],
            purpose="donation", memo=f"receipt {receipt_no}"),
            txn_id=txn_id, county=county, month=month_of(on), now=now)
        values = {"donation_id": donation_id, "receipt_no": receipt_no, "county": county,
                  "division_code": division_code, "donor_name": donor_name,
                  "donor_uscc": donor_uscc, "amount_fen": fen, "received_on": on,
                  "earmark": earmark, "institution_uscc": institution_uscc, "txn_id": txn_id,
                  "created_at": now}
        session.execute(sa.insert(donations).values(**values))
        self.db.outbox.add("donation.received", {
            "donation_id": donation_id, "division_code": division_code,
            "donor_name": donor_name, "donor_uscc": donor_uscc, "amount": value,
            "received_on": on, "restricted_to": None if earmark == "county" else "centralized"},
            division_code=division_code, key=donation_id)
        row = session.execute(sa.select(donations).where(
            donations.c.donation_id == donation_id)).one()
        return donation_reply(row)

    @rpc
    def list_donations(self, division_code: str, limit: int = 100, offset: int = 0) -> dict:
        county = county_arg(division_code)
        q = sa.select(donations).where(donations.c.county == county)
        total = self.db.session.execute(sa.select(sa.func.count()).select_from(q.subquery())) \
            .scalar_one()
        rows = self.db.session.execute(q.order_by(donations.c.received_on,
                                                  donations.c.donation_id)
                                       .limit(_limit(limit)).offset(max(int(offset), 0))).all()
        return {"items": [donation_reply(r) for r in rows], "total": total}

    @rpc
    def get_donation(self, donation_id: str) -> dict:
        return reports.donation(self.db.session, donation_id)

    @rpc
    def fund_topup_account(self, division_code: str, source: str, amount: str,
                           received_on: str, memo: str = "") -> dict:
        """Money from a department fund (CDPF, civil affairs, poverty office) for
        the county's top-up of centralised care (puyang-2020 §六)."""
        county = county_arg(division_code)
        if source not in TOPUP_SOURCES:
            raise Invalid("资金来源应为 cdpf、civil_affairs 或 poverty", reason="bad_source")
        fen = to_fen(parse_money(amount))
        on = parse_date(received_on, "received_on")
        session = self.db.session
        now = self.clock.now()
        S.ensure_accounts(session, county, now)
        code = L.account("topup", county, source)
        if session.execute(sa.select(accounts.c.code).where(accounts.c.code == code)).first() \
                is None:
            session.execute(sa.insert(accounts).values(
                code=code, kind="topup", county=county, name=f"部门补充资金 {source}",
                purposes=None, created_at=now))
        n = session.execute(sa.select(sa.func.count()).select_from(ledger_txns).where(
            ledger_txns.c.cause == "funding", ledger_txns.c.county == county)).scalar_one() + 1
        S.post(session, L.transaction("funding", [
            L.Posting(L.account("cash", county), fen), L.Posting(code, -fen)],
            purpose="top_up", memo=str(memo)[:200]),
            txn_id=f"FUND:{county}:{n:05d}", county=county, month=month_of(on), now=now)
        return {"code": code, "balance": m(S.balance(session, code)), "source": source}

    @rpc
    def fund_pilot_account(self, division_code: str, amount: str, received_on: str,
                           source: str, purposes: list[str] | None = None) -> dict:
        county = county_arg(division_code)
        fen = to_fen(parse_money(amount))
        on = parse_date(received_on, "received_on")
        purposes = purposes or ["service_subsidy"]
        if not isinstance(purposes, list) or not all(p in L_PURPOSES for p in purposes):
            raise Invalid("专项资金用途不合法", reason="bad_purposes",
                          allowed=",".join(L_PURPOSES))
        session = self.db.session
        now = self.clock.now()
        S.ensure_accounts(session, county, now)
        code = L.account("pilot", county)
        row = session.execute(sa.select(accounts).where(accounts.c.code == code)).first()
        if row is None:
            session.execute(sa.insert(accounts).values(
                code=code, kind="pilot", county=county, name="服务类社会救助改革试点资金专户",
                purposes=",".join(purposes), created_at=now))
        elif set(row.purposes.split(",")) != set(purposes):
            raise Conflict("专户用途已设定，不能更改", reason="purposes_fixed",
                           purposes=row.purposes)
        n = session.execute(sa.select(sa.func.count()).select_from(ledger_txns).where(
            ledger_txns.c.cause == "funding", ledger_txns.c.county == county)).scalar_one() + 1
        S.post(session, L.transaction("funding", [
            L.Posting(L.account("cash", county), fen), L.Posting(code, -fen)],
            purpose="funding", memo=str(source)[:200]),
            txn_id=f"FUND:{county}:{n:05d}", county=county, month=month_of(on), now=now)
        return {"code": code, "balance": m(S.balance(session, code)), "purposes": purposes}

    @rpc
    def spend_from_account(self, code: str, purpose: str, amount: str, payee_kind: str,
                           payee: str, month: str, memo: str = "") -> dict:
        session = self.db.session
        row = session.execute(sa.select(accounts).where(accounts.c.code == code)).first()
        if row is None:
            raise NotFound("未找到该账户", resource="account")
        if purpose not in L_PURPOSES:
            raise Invalid("用途不合法", reason="bad_purpose")
        fen = to_fen(parse_money(amount))
        month = S.check_month(month)
        kinds = {"provider": "service_subsidy", "institution": "care_fee",
                 "caregiver": "service_subsidy_person"}
        if payee_kind not in kinds:
            raise Invalid("收款方类型不合法", reason="bad_payee_kind")
        payee = validate_id_number(payee) if payee_kind == "caregiver" else validate_uscc(payee)
        county = row.county
        payable_kind = kinds[payee_kind] if purpose == "service_subsidy" else (
            "care_fee" if payee_kind == "institution" else purpose)
        if payable_kind not in S.PAYEE:
            raise Invalid("该用途不能付给此类收款方", reason="bad_payee_kind")
        txn = L.transaction("spend", [L.Posting(code, fen),
                                      L.Posting(L.account("payable", county, payable_kind),
                                                -fen, payee)],
                            purpose=purpose, memo=str(memo)[:500])
        L.check_purposes(txn, S.restricted_accounts(session, [code]))
        if row.kind == "pilot" and -S.balance(session, code) < fen:
            raise Conflict("专户余额不足", reason="insufficient_funds",
                           balance=m(-S.balance(session, code)))
        n = session.execute(sa.select(sa.func.count()).select_from(ledger_txns).where(
            ledger_txns.c.cause == "spend", ledger_txns.c.county == county)).scalar_one() + 1
        ref = f"SP-{county}-{n:05d}"
        txn_id = f"{ref}:spend"
        S.post(session, txn, txn_id=txn_id, county=county, month=month, now=self.clock.now())
        S.pay_out(self.db, county, month, ref, self.clock.now(), settlement_id=None)
        return reports.transaction(session, txn_id)

    @rpc
    def list_payouts(self, month: str, division_code: str | None = None,
                     payee: str | None = None) -> dict:
        q = sa.select(payouts).where(payouts.c.month == S.check_month(month))
        if division_code:
            q = q.where(payouts.c.county == county_arg(division_code))
        if payee:
            q = q.where(sa.or_(payouts.c.payee_uscc == payee, payouts.c.payee_id_number == payee))
        rows = self.db.session.execute(q.order_by(payouts.c.payout_id)).all()
        return {"items": [payout_reply(r) for r in rows], "total": len(rows)}

    # -- persons -----------------------------------------------------------------------

    @rpc
    def get_known_person(self, id_number: str) -> dict:
        person = get_person(self.db, person_directory, validate_id_number(id_number))
        if person is None:
            raise NotFound("未找到该人员", resource="person")
        return KnownPersonSchema().dump(person)


TOPUP_SOURCES = ("cdpf", "civil_affairs", "poverty")
L_PURPOSES = ("service_subsidy", "caregiver_subsidy", "care_fee", "living_money")


def _limit(limit) -> int:
    try:
        return min(max(int(limit), 1), 1000)
    except (TypeError, ValueError):
        raise Invalid("limit 必须是整数", reason="bad_limit") from None


def _case_reply(values) -> dict:
    start = values["start_date"]
    return {"case_id": values["case_id"], "kind": values["kind"],
            "id_number_masked": mask(values["id_number"]),
            "caregiver_id_number_masked": mask(values["caregiver_id_number"]),
            "division_code": values["division_code"],
            "from_date": start.isoformat() if hasattr(start, "isoformat") else start}

