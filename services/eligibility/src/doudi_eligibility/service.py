"""eligibility: persons and their dated facts, policy packs, decisions,
applications through each pack's review chain, enrolments over time.

Thin entrypoints: parse, call the domain, store through the unit of work, add
events to the outbox. The RPC surface is documented in ``RPC.md``.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time

import sqlalchemy as sa
from doudi_common.clock import SHANGHAI, Clock
from doudi_common.dates import utcnow
from doudi_common.db import Database
from doudi_common.entrypoints import config_timer, each_event, rpc, subscribe
from doudi_common.errors import Conflict, Invalid, NotFound
from doudi_common.ids import (
    division_prefix as jurisdiction_prefix,
)
from doudi_common.ids import (
    mask_id_number,
    validate_id_number,
    validate_uscc,
)
from doudi_common.logs import get_logger
from doudi_common.money import to_money
from doudi_common.serialize import to_jsonable
from doudi_common.service_base import ServiceBase

from doudi_eligibility import store
from doudi_eligibility.domain.application import (
    CHANNELS,
    DOCUMENTS,
    OPEN_STATES,
    STATES,
    AppState,
    check_consent,
    next_actions,
    transition,
)
from doudi_eligibility.domain.enrolment import (
    add_months,
    birthday,
    check_end_reason,
    last_day_before,
    latest_birth_date_for_age,
)
from doudi_eligibility.domain.packs import CARE_MODES, PackRegistry
from doudi_eligibility.domain.person import (
    REGISTRATIONS,
    Fact,
    fact_from_event,
    hardship_ended_fact,
    hardship_fact,
    household_fact,
    identity_from,
)
from doudi_eligibility.ingest import register_new_certificates
from doudi_eligibility.models import (
    application_steps,
    applications,
    decisions,
    enrolment_history,
    enrolments,
    metadata,
    person_facts,
    persons,
)
from doudi_eligibility.schemas import PersonSchema

log = get_logger(__name__)

REGISTRY = PackRegistry.default()
MAX_PER_PAGE = 500


def _date(value, field: str, default: date | None = None) -> date | None:
    if value is None or value == "":
        return default
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise Invalid("日期格式应为 YYYY-MM-DD", field=field) from None


def _moment(value, field: str) -> datetime | None:
    """An ISO datetime with offset, or a date meaning the end of that day in Shanghai."""
    if value is None or value == "":
        return None
    try:
        if len(str(value)) == 10:
            day = date.fromisoformat(str(value))
            return datetime.combine(day, time.max, SHANGHAI)
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise Invalid("时间格式应为 ISO 8601", field=field) from None
    if moment.tzinfo is None:
        raise Invalid("时间须带时区", field=field)
    return moment


def _page(page, per_page) -> tuple[int, int]:
    try:
        page = 1 if page is None else int(page)
        per_page = 50 if per_page is None else int(per_page)
    except (TypeError, ValueError):
        raise Invalid("分页参数必须是整数", field="page") from None
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise Invalid(f"page ≥ 1，per_page 在 1–{MAX_PER_PAGE} 之间", field="per_page")
    return page, per_page


class EligibilityService(ServiceBase):
    name = "eligibility"

    db = Database(metadata)
    clock = Clock()
    registry = REGISTRY

    # -- department events -------------------------------------------------------

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
        fact = fact_from_event("cdpf", event["type"], event["id"], data)
        if identity.name != person["name"]:
            fact.payload["name_reported"] = identity.name
        store.add_fact(self.db.session, person["id_number"], fact)
        self._redecide(person, event["type"])

    def _fact_event(self, source: str, event):
        data = event["data"]
        session = self.db.session
        fact = fact_from_event(source, event["type"], event["id"], data)
        try:
            person = store.get_person_row(session, data["id_number"], lock=True)
        except NotFound:
            # nobody registered this person yet (no name, no division): keep the
            # fact until a clerk or CDPF registers them
            store.park_fact(session, data["id_number"], fact)
            log.info("fact kept for a person not registered yet", kind=fact.kind,
                     id_number=data["id_number"], event_id=event["id"])
            return
        store.add_fact(session, person["id_number"], fact)
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
        pf = store.person_snapshot(session, person, today)
        level = pf.assessment.payload["incapacity_level"] if pf.assessment else "none"
        until = pf.assessment.valid_until if pf.assessment else None
        for row in session.execute(sa.select(enrolments).where(
                enrolments.c.id_number == person["id_number"],
                enrolments.c.status == "active").with_for_update()).all():
            session.execute(sa.update(enrolments)
                            .where(enrolments.c.enrolment_id == row.enrolment_id)
                            .values(incapacity_level=level, assessment_valid_until=until,
                                    updated_at=utcnow()))
            if level == row.incapacity_level:
                continue
            self._history(row.enrolment_id, "incapacity_changed", today, "health",
                          {"from": row.incapacity_level, "to": level})
            self.db.outbox.add("enrolment.changed", {
                "enrolment_id": row.enrolment_id, "id_number": row.id_number,
                "division_code": row.division_code, "care_mode": row.care_mode,
                "previous_care_mode": row.care_mode, "incapacity_level": level,
                "changed_on": today,
                "reason": f"失能评估结果变化：{row.incapacity_level} → {level}",
            }, division_code=row.division_code, key=row.id_number)

    def _death(self, person: dict, fact: Fact):
        died = fact.valid_from
        session = self.db.session
        session.execute(sa.update(persons).where(persons.c.id_number == person["id_number"])
                        .values(deceased_on=died, updated_at=utcnow()))
        person["deceased_on"] = died
        for row in session.execute(sa.select(enrolments).where(
                enrolments.c.id_number == person["id_number"],
                enrolments.c.status == "active").with_for_update()).all():
            self._end(dict(row._mapping), "deceased", died, actor="health", note=None)
        for row in session.execute(sa.select(applications).where(
                applications.c.id_number == person["id_number"],
                applications.c.state.in_(OPEN_STATES + ("approved",)))).all():
            self._step(row.application_id, "withdraw", row.state, "withdrawn", "health",
                       "department_liaison", died, "申请人死亡，申请终止", {})
            session.execute(sa.update(applications)
                            .where(applications.c.application_id == row.application_id)
                            .values(state="withdrawn", reason="申请人死亡",
                                    updated_at=utcnow()))

    # -- persons -------------------------------------------------------------------

    def _upsert_person(self, identity, registration: str | None = None,
                       source_event: str | None = None, actor: str = "",
                       department: bool = False) -> dict:
        """Create or update a person. A department's name and division (CDPF's
        household registration) never silently replace what a clerk registered:
        a different name is logged and kept in the department's fact, and a
        division that only covers the registered one (``341502`` for
        ``341502001201``) changes nothing."""
        session = self.db.session
        now = utcnow()
        row = session.execute(sa.select(persons).where(persons.c.id_number == identity.id_number)
                              .with_for_update()).first()
        announce = False
        if row is None:
            session.execute(sa.insert(persons).values(
                id_number=identity.id_number, name=identity.name, birth_date=identity.birth_date,
                sex=identity.sex, division_code=identity.division_code,
                registration=registration, created_at=now, updated_at=now))
            announce = True
            log.info("person registered", id_number=identity.id_number)
            adopted = store.adopt_pending_facts(session, identity.id_number)
            deaths = [f.valid_from for f in adopted if f.kind == "death"]
            if deaths:
                session.execute(sa.update(persons)
                                .where(persons.c.id_number == identity.id_number)
                                .values(deceased_on=min(deaths)))
        else:
            changes = {}
            if row.name != identity.name:
                if department:
                    log.warning("department reports a different name; kept the registered one",
                                id_number=identity.id_number, source_event=source_event)
                else:
                    changes["name"] = identity.name
            if row.division_code != identity.division_code and not (
                    department and row.division_code.startswith(identity.division_code)):
                changes["division_code"] = identity.division_code
            if registration and row.registration != registration:
                changes["registration"] = registration
            if changes:
                session.execute(sa.update(persons)
                                .where(persons.c.id_number == identity.id_number)
                                .values(updated_at=now, **changes))
                announce = "name" in changes or "division_code" in changes
                if "division_code" in changes or "registration" in changes:
                    store.add_fact(session, identity.id_number, Fact(
                        "residence", actor or "clerk", self.clock.today(), None,
                        {"division_code": identity.division_code,
                         "registration": registration or row.registration,
                         "previous_division_code": row.division_code}))
        if announce:
            self.db.outbox.add("person.registered", {
                "id_number": identity.id_number, "name": identity.name,
                "birth_date": identity.birth_date, "sex": identity.sex,
                "division_code": identity.division_code, "source_event": source_event,
            }, division_code=identity.division_code, key=identity.id_number)
        return store.get_person_row(session, identity.id_number)

    def _redecide(self, person: dict, trigger: str) -> bool:
        decision, _ = store.evaluate(self.db.session, self.registry, person, self.clock.today())
        changed = store.record_decision(self.db, person, decision, trigger)
        if changed:
            self._review_if_no_longer_eligible(person, decision)
        return changed

    def _review_if_no_longer_eligible(self, person: dict, decision):
        """An enrolment whose care mode is no longer eligible is flagged for county
        review (exit is a county decision, luan-2021 §三(六)), not ended."""
        today = self.clock.today()
        for row in self.db.session.execute(sa.select(enrolments).where(
                enrolments.c.id_number == person["id_number"],
                enrolments.c.status == "active")).all():
            if row.care_mode in decision.outcome.care_modes:
                continue
            self.db.outbox.add("review.due", {
                "enrolment_id": row.enrolment_id, "id_number": row.id_number,
                "division_code": row.division_code, "kind": "eligibility", "due_on": today,
            }, division_code=row.division_code, key=row.id_number)
            self._history(row.enrolment_id, "review_due", today, None,
                          {"kind": "eligibility", "rules_failed": [
                              r["clause"] for r in decision.rules if not r["passed"]
                              and r["scope"] == f"mode:{row.care_mode}"]})

    @rpc
    def register_person(self, person: dict) -> dict:
        if not isinstance(person, dict):
            raise Invalid("参数应为对象", field="person")
        registration = person.get("registration")
        if registration is not None and registration not in REGISTRATIONS:
            raise Invalid("户籍类别应为 rural 或 urban", field="registration")
        identity = identity_from(person.get("id_number", ""), person.get("name", ""),
                                 person.get("division_code", ""),
                                 _date(person.get("birth_date"), "birth_date"), person.get("sex"))
        if len(identity.division_code) != 12:
            raise Invalid("居住地区划代码应为12位（村/社区）", field="division_code")
        actor = str(person.get("actor") or "clerk")
        facts = []
        if person.get("household") is not None:
            if not isinstance(person["household"], dict):
                raise Invalid("家庭情况应为对象", field="household")
            household = dict(person["household"])
            household.setdefault("valid_from", self.clock.today())
            facts.append(household_fact(household, source=actor))
        for item in person.get("hardship") or []:
            if not isinstance(item, dict):
                raise Invalid("困难身份应为对象列表", field="hardship")
            facts.append(hardship_fact(item.get("status"), item.get("source") or "civil_affairs",
                                       item.get("valid_from"), item.get("valid_until"),
                                       item.get("note")))
        row = self._upsert_person(identity, registration, actor=actor)
        for fact in facts:
            store.add_fact_once(self.db.session, identity.id_number, fact)
        self._redecide(row, "person.updated")
        return self._person_reply(identity.id_number)

    @rpc
    def end_hardship(self, id_number: str, status: str, ended_on, source: str = "civil_affairs",
                     reason: str | None = None) -> dict:
        id_number = validate_id_number(id_number)
        row = store.get_person_row(self.db.session, id_number, lock=True)
        fact = hardship_ended_fact(status, source, _date(ended_on, "ended_on"), reason)
        if fact.valid_from is None:
            raise Invalid("须给出终止日期", field="ended_on")
        store.add_fact(self.db.session, id_number, fact)
        self._redecide(row, "hardship.ended")
        return self._person_reply(id_number)

    @rpc
    def get_person(self, id_number: str) -> dict:
        id_number = validate_id_number(id_number)
        with self.db.reading() as conn:
            return self._person_reply(id_number, conn)

    def _person_reply(self, id_number: str, db=None) -> dict:
        session = db if db is not None else self.db.session
        person = store.get_person_row(session, id_number)
        facts = session.execute(sa.select(person_facts)
                                .where(person_facts.c.id_number == id_number)
                                .order_by(person_facts.c.id)).all()
        person["facts"] = [dict(f._mapping) for f in facts]
        reply = PersonSchema().dump(person)
        reply["registration"] = person.get("registration")
        reply["deceased_on"] = person["deceased_on"].isoformat() if person.get("deceased_on") \
            else None
        decision = store.stored_decision(session, id_number)
        reply["decision"] = to_jsonable({k: v for k, v in decision.items() if k != "id_number"}) \
            if decision else None
        return reply

    @rpc
    def list_persons(self, division_prefix=None, eligible=None, name=None, page=1,
                     per_page=50) -> dict:
        page, per_page = _page(page, per_page)
        conds = []
        if division_prefix:
            conds.append(persons.c.division_code.like(f"{jurisdiction_prefix(division_prefix)}%"))
        if eligible is not None:
            conds.append(decisions.c.eligible.is_(bool(eligible)))
        if name:
            conds.append(persons.c.name.like(f"%{name}%"))
        base = sa.select(persons.c.id_number, persons.c.name, persons.c.division_code,
                         persons.c.registration, persons.c.deceased_on, decisions.c.eligible,
                         decisions.c.care_modes, decisions.c.policy_pack, decisions.c.priority
                         ).outerjoin(decisions, decisions.c.id_number == persons.c.id_number
                                     ).where(*conds)
        session = self.db.session
        total = session.execute(sa.select(sa.func.count()).select_from(base.subquery())
                                ).scalar_one()
        rows = session.execute(base.order_by(persons.c.division_code, persons.c.id_number)
                               .limit(per_page).offset((page - 1) * per_page)).all()
        items = [{"id_number_masked": mask_id_number(r.id_number), "name": r.name,
                  "division_code": r.division_code, "registration": r.registration,
                  "deceased_on": r.deceased_on.isoformat() if r.deceased_on else None,
                  "eligible": bool(r.eligible), "care_modes": r.care_modes or [],
                  "policy_pack": r.policy_pack, "priority": r.priority} for r in rows]
        return {"items": items, "page": page, "per_page": per_page, "total": total}

    # -- decisions --------------------------------------------------------------------

    @rpc
    def evaluate(self, id_number: str, on=None, known_at=None) -> dict:
        id_number = validate_id_number(id_number)
        on = _date(on, "on", self.clock.today())
        known = _moment(known_at, "known_at")
        with self.db.reading() as conn:
            out = dict(store.evaluation(conn, self.registry, id_number, on, known))
        out["known_at"] = known.isoformat() if known else None
        return out

    @rpc
    def list_packs(self) -> list:
        return [p.summary() for p in sorted(self.registry.packs, key=lambda p: (p.id, p.version))]

    @rpc
    def get_pack(self, pack_id: str, version=None) -> dict:
        return self.registry.get(pack_id, version).summary()

    @rpc
    def redecide_all(self, division_prefix: str | None = None) -> dict:
        prefix = jurisdiction_prefix(division_prefix) if division_prefix else None
        return store.redecide_persons(self.db, self.registry, self.clock.today(),
                                      division_prefix=prefix)

    # -- applications -------------------------------------------------------------------

    @rpc
    def file_application(self, application: dict) -> dict:
        if not isinstance(application, dict):
            raise Invalid("参数应为对象", field="application")
        session = self.db.session
        id_number = validate_id_number(application.get("id_number", ""))
        person = store.get_person_row(session, id_number, lock=True)
        masked = mask_id_number(id_number)
        if person.get("deceased_on"):
            raise Conflict("该人员已死亡", id_number=masked)
        today = self.clock.today()
        submitted_on = _date(application.get("submitted_on"), "submitted_on", today)
        if submitted_on > today:
            raise Invalid("申请日期不能晚于今天", field="submitted_on")
        care_mode = application.get("care_mode")
        if care_mode not in CARE_MODES:
            raise Invalid("照护方式不存在", field="care_mode", care_mode=care_mode)
        pack = self.registry.for_division(person["division_code"], submitted_on)
        if pack is None:
            raise Invalid("该区划无适用的政策", field="id_number", id_number=masked)
        if care_mode not in pack.modes:
            raise Invalid("本地政策不提供该照护方式", field="care_mode", care_mode=care_mode,
                          policy_pack=pack.id, allowed=sorted(pack.modes))
        consent = check_consent(application.get("consent"), pack)
        channel = application.get("channel") or "clerk"
        if channel not in CHANNELS:
            raise Invalid("申请渠道不存在", field="channel", allowed=list(CHANNELS))
        documents = application.get("documents") or []
        if not isinstance(documents, list) or any(d not in DOCUMENTS for d in documents):
            raise Invalid("申请材料类别不存在", field="documents", allowed=list(DOCUMENTS))
        submitted_by = application.get("submitted_by")
        submitted_role = application.get("submitted_role") or (
            channel if channel != "clerk" else "village_clerk")
        if not submitted_by:
            raise Invalid("须注明提交人", field="submitted_by")
        institution = application.get("institution_uscc")
        if institution:
            institution = validate_uscc(institution)
        caregiver = application.get("caregiver")
        if caregiver is not None and not isinstance(caregiver, dict):
            raise Invalid("照护人信息应为对象", field="caregiver")
        if caregiver and caregiver.get("id_number"):
            caregiver = {**caregiver, "id_number": validate_id_number(caregiver["id_number"])}
        decision, _ = store.evaluate(session, self.registry, person, submitted_on)
        if care_mode not in decision.outcome.care_modes:
            failed = [{"rule": r["id"], "clause": r["clause"], "label": r["label"]}
                      for r in decision.rules if not r["passed"]
                      and r["scope"] in ("general", f"mode:{care_mode}")]
            raise Invalid("不符合该照护方式的条件：" + decision.summary, field="care_mode",
                          failed_rules=failed, policy_pack=pack.id)
        open_app = session.execute(sa.select(applications.c.application_id).where(
            applications.c.id_number == id_number, applications.c.care_mode == care_mode,
            applications.c.state.in_(OPEN_STATES + ("approved",)))).first()
        if open_app is not None:
            raise Conflict("该人员已有同一照护方式的在办申请",
                           application_id=open_app.application_id)
        active = session.execute(sa.select(enrolments.c.enrolment_id).where(
            enrolments.c.id_number == id_number, enrolments.c.care_mode == care_mode,
            enrolments.c.status == "active")).first()
        if active is not None:
            raise Conflict("该人员已在享受该照护方式", enrolment_id=active.enrolment_id)
        county = person["division_code"][:6]
        number = store.next_number(session, f"application-{county}-{submitted_on.year}")
        application_id = f"APP-{county}-{submitted_on.year}-{number:05d}"
        now = utcnow()
        session.execute(sa.insert(applications).values(
            application_id=application_id, id_number=id_number,
            division_code=person["division_code"], care_mode=care_mode, policy_pack=pack.id,
            pack_version=pack.version, state="submitted", channel=channel,
            submitted_by=str(submitted_by), submitted_role=str(submitted_role),
            submitted_on=submitted_on, documents=documents, consent=to_jsonable(consent),
            institution_uscc=institution, caregiver=to_jsonable(caregiver), signoffs={},
            created_at=now, updated_at=now))
        self._step(application_id, "submit", None, "submitted", str(submitted_by),
                   str(submitted_role), submitted_on, application.get("comment"),
                   {"documents": documents, "consent": to_jsonable(consent)})
        self.db.outbox.add("application.submitted", {
            "application_id": application_id, "id_number": id_number,
            "division_code": person["division_code"], "care_mode": care_mode,
            "policy_pack": pack.id, "submitted_on": submitted_on,
        }, division_code=person["division_code"], key=id_number)
        return self._application_reply(application_id)

    def _step(self, application_id, action, from_state, to_state, actor, role, on_date,
              comment, data):
        self.db.session.execute(sa.insert(application_steps).values(
            application_id=application_id, action=action, from_state=from_state,
            to_state=to_state, actor=actor, role=role, on_date=on_date, at=utcnow(),
            comment=comment, data=to_jsonable(data or {})))

    @rpc
    def act_on_application(self, application_id: str, action: str, actor: str, role: str,
                           comment: str | None = None, data: dict | None = None) -> dict:
        session = self.db.session
        row = session.execute(sa.select(applications)
                              .where(applications.c.application_id == application_id)
                              .with_for_update()).first()
        if row is None:
            raise NotFound("申请不存在", resource="application", application_id=application_id)
        if not actor:
            raise Invalid("须注明操作人", field="actor")
        app = dict(row._mapping)
        pack = self.registry.get(app["policy_pack"], app["pack_version"])
        today = self.clock.today()
        data = data if isinstance(data, dict) else {}
        t = transition(pack, AppState(app["state"], app["signoffs"] or {}, app["notice_until"]),
                       action, role, today, comment, data)
        values = {"state": t.to_state, "signoffs": to_jsonable(t.signoffs), "updated_at": utcnow()}
        person = store.get_person_row(session, app["id_number"])
        if t.notice_from or (t.approved and action != "close_notice"):
            # the approving authority decides on today's facts (an infection flagged
            # since filing stops centralised care, puyang-2020 §四(四))
            self._still_eligible(person, app["care_mode"], today, "审批时已不符合该照护方式的条件")
        if t.notice_from:
            values.update(notice_from=t.notice_from, notice_until=t.notice_until,
                          approved_on=today)
        if t.returned:
            values.update(notice_from=None, notice_until=None, approved_on=None)
        if t.approved:
            values["approved_on"] = app["approved_on"] or today
            values["decision_id"] = self._decision_id(today)
            decision, _ = store.evaluate(session, self.registry, person, today)
            clauses = [c for c in decision.clauses if c] + [pack.chain_clause]
            self.db.outbox.add("application.approved", {
                "application_id": application_id, "id_number": app["id_number"],
                "division_code": app["division_code"], "care_mode": app["care_mode"],
                "approved_on": values["approved_on"], "decision_id": values["decision_id"],
                "policy_pack": pack.id, "pack_version": pack.version,
                "clauses": list(dict.fromkeys(c for c in clauses if c)),
            }, division_code=app["division_code"], key=app["id_number"])
        if t.rejected:
            values.update(rejected_on=today, reason=comment.strip()[:500],
                          decision_id=self._decision_id(today))
            decision, _ = store.evaluate(session, self.registry, person, today)
            failed = [r["clause"] for r in decision.rules if not r["passed"]
                      and r["scope"] in ("general", f"mode:{app['care_mode']}")]
            self.db.outbox.add("application.rejected", {
                "application_id": application_id, "id_number": app["id_number"],
                "division_code": app["division_code"], "rejected_on": today,
                "decision_id": values["decision_id"], "policy_pack": pack.id,
                "pack_version": pack.version, "clauses": list(dict.fromkeys(failed)),
                "reason": values["reason"],
            }, division_code=app["division_code"], key=app["id_number"])
        if t.enrolled:
            values["enrolment_id"] = self._start_enrolment(app, person, pack, today, data)
        session.execute(sa.update(applications)
                        .where(applications.c.application_id == application_id).values(**values))
        self._step(application_id, action, t.from_state, t.to_state, actor, role, today,
                   comment, data)
        log.info("application transition", application_id=application_id, action=action,
                 to_state=t.to_state)
        return self._application_reply(application_id)

    def _still_eligible(self, person: dict, care_mode: str, on: date, detail: str):
        decision, pf = store.evaluate(self.db.session, self.registry, person, on)
        if care_mode not in decision.outcome.care_modes:
            failed = [{"rule": r["id"], "clause": r["clause"], "label": r["label"]}
                      for r in decision.rules if not r["passed"]
                      and r["scope"] in ("general", f"mode:{care_mode}")]
            raise Conflict(detail, failed_rules=failed, care_mode=care_mode)
        return decision, pf

    def _decision_id(self, today: date) -> str:
        return f"DEC-{today.year}-{store.next_number(self.db.session, f'decision-{today.year}'):06d}"

    def _start_enrolment(self, app: dict, person: dict, pack, today: date, data: dict) -> str:
        session = self.db.session
        started_on = _date(data.get("signed_on"), "data.signed_on", today)
        if person.get("deceased_on"):
            raise Conflict("该人员已死亡", id_number=mask_id_number(person["id_number"]))
        _, pf = self._still_eligible(person, app["care_mode"], started_on,
                                     "签订协议时已不符合该照护方式的条件")
        institution = data.get("institution_uscc") or app["institution_uscc"]
        if institution:
            institution = validate_uscc(institution)
        number = store.next_number(session, f"enrolment-{started_on.year}")
        enrolment_id = f"ENR-{started_on.year}-{number:06d}"
        incapacity = pf.assessment.payload["incapacity_level"] if pf.assessment else "none"
        hardship = sorted(pf.hardship)
        now = utcnow()
        session.execute(sa.insert(enrolments).values(
            enrolment_id=enrolment_id, id_number=app["id_number"],
            application_id=app["application_id"], division_code=app["division_code"],
            policy_pack=pack.id, pack_version=pack.version, care_mode=app["care_mode"],
            institution_uscc=institution, incapacity_level=incapacity, hardship=hardship,
            status="active", started_on=started_on,
            next_review_on=add_months(started_on, pack.review_interval_months),
            assessment_valid_until=pf.assessment.valid_until if pf.assessment else None,
            copay_band=None, created_at=now, updated_at=now))
        self._history(enrolment_id, "started", started_on, None, {
            "application_id": app["application_id"], "agreement_no": data.get("agreement_no"),
            "care_mode": app["care_mode"], "institution_uscc": institution})
        self.db.outbox.add("enrolment.started", {
            "enrolment_id": enrolment_id, "id_number": app["id_number"],
            "division_code": app["division_code"], "care_mode": app["care_mode"],
            "hardship": hardship, "incapacity_level": incapacity, "started_on": started_on,
            "application_id": app["application_id"], "institution_uscc": institution,
            "policy_pack": pack.id,
        }, division_code=app["division_code"], key=app["id_number"])
        return enrolment_id

    @rpc
    def get_application(self, application_id: str) -> dict:
        return self._application_reply(application_id)

    def _application_reply(self, application_id: str, steps: bool = True,
                           full_id: bool = True) -> dict:
        session = self.db.session
        row = session.execute(sa.select(applications, persons.c.name)
                              .join(persons, persons.c.id_number == applications.c.id_number)
                              .where(applications.c.application_id == application_id)).first()
        if row is None:
            raise NotFound("申请不存在", resource="application", application_id=application_id)
        return self._application_dict(dict(row._mapping), steps=steps, full_id=full_id)

    def _application_dict(self, app: dict, steps: bool, full_id: bool) -> dict:
        pack = self.registry.get(app["policy_pack"], app["pack_version"])
        out = to_jsonable({k: v for k, v in app.items() if k not in ("created_at",)})
        out["id_number_masked"] = mask_id_number(app["id_number"])
        if not full_id:
            out.pop("id_number")
        out["chain"] = list(pack.chain)
        out["next_actions"] = next_actions(
            pack, AppState(app["state"], app["signoffs"] or {}, app["notice_until"]))
        if steps:
            out["steps"] = [to_jsonable({k: v for k, v in dict(s._mapping).items()
                                         if k != "application_id"} | {"seq": i + 1})
                            for i, s in enumerate(self.db.session.execute(
                                sa.select(application_steps)
                                .where(application_steps.c.application_id == app["application_id"])
                                .order_by(application_steps.c.id)).all())]
        return out

    @rpc
    def list_applications(self, status=None, division_prefix=None, date_from=None, date_to=None,
                          policy_pack=None, id_number=None, page=1, per_page=50) -> dict:
        page, per_page = _page(page, per_page)
        conds = []
        if status:
            statuses = [status] if isinstance(status, str) else list(status)
            unknown = [x for x in statuses if x not in STATES]
            if unknown:
                raise Invalid("申请状态不存在", field="status", allowed=list(STATES))
            conds.append(applications.c.state.in_(statuses))
        if division_prefix:
            prefix = jurisdiction_prefix(division_prefix)
            conds.append(applications.c.division_code.like(f"{prefix}%"))
        if date_from:
            conds.append(applications.c.submitted_on >= _date(date_from, "date_from"))
        if date_to:
            conds.append(applications.c.submitted_on <= _date(date_to, "date_to"))
        if policy_pack:
            conds.append(applications.c.policy_pack == policy_pack)
        if id_number:
            conds.append(applications.c.id_number == validate_id_number(id_number))
        session = self.db.session
        total = session.execute(sa.select(sa.func.count()).select_from(applications)
                                .where(*conds)).scalar_one()
        rows = session.execute(
            sa.select(applications, persons.c.name)
            .join(persons, persons.c.id_number == applications.c.id_number).where(*conds)
            .order_by(applications.c.submitted_on, applications.c.application_id)
            .limit(per_page).offset((page - 1) * per_page)).all()
        return {"items": [self._application_dict(dict(r._mapping), steps=False, full_id=False)
                          for r in rows],
                "page": page, "per_page": per_page, "total": total}

    # -- public notice --------------------------------------------------------------------

    def _notice_query(self, township_code, date_from, date_to):
        code = str(township_code or "").strip()
        if not code.isdigit() or len(code) not in (6, 9, 12):
            raise Invalid("乡镇区划代码应为6/9/12位数字", field="township_code")
        start, end = _date(date_from, "date_from"), _date(date_to, "date_to")
        if start is None or end is None or end < start:
            raise Invalid("须给出公示期间（起止日期）", field="date_from")
        return (sa.select(applications, persons.c.name)
                .join(persons, persons.c.id_number == applications.c.id_number)
                .where(applications.c.division_code.like(f"{code}%"),
                       applications.c.state.in_(("in_notice", "approved", "enrolled")),
                       applications.c.approved_on >= start, applications.c.approved_on <= end))

    @staticmethod
    def _notice_row(r) -> dict:
        return {"application_id": r.application_id, "name": r.name,
                "id_number_masked": mask_id_number(r.id_number),
                "division_code": r.division_code, "care_mode": r.care_mode,
                "policy_pack": r.policy_pack,
                "approved_on": r.approved_on.isoformat() if r.approved_on else None,
                "notice_from": r.notice_from.isoformat() if r.notice_from else None,
                "notice_until": r.notice_until.isoformat() if r.notice_until else None,
                "state": r.state}

    @rpc
    def public_notice_list(self, township_code, date_from, date_to, page=1, per_page=50) -> dict:
        page, per_page = _page(page, per_page)
        query = self._notice_query(township_code, date_from, date_to)
        session = self.db.session
        total = session.execute(sa.select(sa.func.count()).select_from(query.subquery())
                                ).scalar_one()
        rows = session.execute(query.order_by(applications.c.approved_on,
                                              applications.c.application_id)
                               .limit(per_page).offset((page - 1) * per_page)).all()
        return {"items": [self._notice_row(r) for r in rows], "page": page,
                "per_page": per_page, "total": total}

    @rpc
    def public_notice_csv(self, township_code, date_from, date_to) -> dict:
        rows = self.db.session.execute(self._notice_query(township_code, date_from, date_to)
                                       .order_by(applications.c.approved_on,
                                                 applications.c.application_id)).all()
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(["申请编号", "姓名", "身份证号", "区划代码", "照护方式", "政策",
                         "批准日期", "公示开始", "公示结束"])
        for r in rows:
            n = self._notice_row(r)
            writer.writerow([n["application_id"], n["name"], n["id_number_masked"],
                             n["division_code"], n["care_mode"], n["policy_pack"],
                             n["approved_on"] or "", n["notice_from"] or "",
                             n["notice_until"] or ""])
        return {"filename": f"public-notice-{township_code}-{date_from}-{date_to}.csv",
                "content_type": "text/csv; charset=utf-8", "content": "\ufeff" + buf.getvalue()}

    # -- enrolments --------------------------------------------------------------------------

    def _history(self, enrolment_id, kind, on_date, actor, data):
        self.db.session.execute(sa.insert(enrolment_history).values(
            enrolment_id=enrolment_id, kind=kind, on_date=on_date, at=utcnow(), actor=actor,
            data=to_jsonable(data)))

    def _enrolment_dict(self, row: dict) -> dict:
        out = to_jsonable({k: v for k, v in row.items()
                           if k not in ("id_number", "review_due_sent_for",
                                        "assessment_review_sent_for", "created_at")})
        out["id_number_masked"] = mask_id_number(row["id_number"])
        out["history"] = [to_jsonable({"kind": h.kind, "on": h.on_date, "at": h.at,
                                       "actor": h.actor, "data": h.data})
                          for h in self.db.session.execute(
                              sa.select(enrolment_history)
                              .where(enrolment_history.c.enrolment_id == row["enrolment_id"])
                              .order_by(enrolment_history.c.id)).all()]
        return out

    def _enrolment_row(self, enrolment_id: str, lock: bool = False) -> dict:
        stmt = sa.select(enrolments).where(enrolments.c.enrolment_id == enrolment_id)
        row = self.db.session.execute(stmt.with_for_update() if lock else stmt).first()
        if row is None:
            raise NotFound("照护记录不存在", resource="enrolment", enrolment_id=enrolment_id)
        return dict(row._mapping)

    @rpc
    def person_enrolments(self, id_number: str) -> list:
        id_number = validate_id_number(id_number)
        store.get_person_row(self.db.session, id_number)
        rows = self.db.session.execute(sa.select(enrolments)
                                       .where(enrolments.c.id_number == id_number)
                                       .order_by(enrolments.c.started_on,
                                                 enrolments.c.enrolment_id)).all()
        return [self._enrolment_dict(dict(r._mapping)) for r in rows]

    @rpc
    def get_enrolment(self, enrolment_id: str) -> dict:
        return self._enrolment_dict(self._enrolment_row(enrolment_id))

    def _active(self, enrolment_id: str) -> dict:
        row = self._enrolment_row(enrolment_id, lock=True)
        if row["status"] != "active":
            raise Conflict("照护已结束", enrolment_id=enrolment_id, status=row["status"])
        return row

    @rpc
    def complete_review(self, enrolment_id: str, completed_on, income_per_head, actor: str,
                        role: str = "county_officer", note: str | None = None) -> dict:
        row = self._active(enrolment_id)
        pack = self.registry.get(row["policy_pack"], row["pack_version"])
        on = _date(completed_on, "completed_on", self.clock.today())
        try:
            income = to_money(str(income_per_head))
        except Exception:  # noqa: BLE001 - whatever the parser says, it is the caller's input
            raise Invalid("人均收入格式错误，应为金额字符串如 \"800.00\"",
                          field="income_per_head") from None
        if income < 0:
            raise Invalid("人均收入不能为负", field="income_per_head")
        band = pack.copay_band(income) if pack.copay_bands else None
        new_band = band.band if band else None
        next_review = add_months(on, pack.review_interval_months)
        self.db.session.execute(sa.update(enrolments)
                                .where(enrolments.c.enrolment_id == enrolment_id)
                                .values(copay_band=new_band, next_review_on=next_review,
                                        updated_at=utcnow()))
        self._history(enrolment_id, "review_completed", on, actor, {
            "income_per_head": income, "copay_band": new_band,
            "copay_share": str(band.share) if band else None,
            "clause": band.clause if band else pack.review_clause, "role": role, "note": note,
            "next_review_on": next_review})
        self.db.outbox.add("review.completed", {
            "enrolment_id": enrolment_id, "id_number": row["id_number"],
            "division_code": row["division_code"], "kind": "annual_income",
            "completed_on": on, "income_per_head": income,
            "copay_band": new_band, "previous_copay_band": row["copay_band"],
            "copay_share": str(band.share) if band else None, "next_review_on": next_review,
            "clause": band.clause if band else pack.review_clause,
        }, division_code=row["division_code"], key=row["id_number"])
        return self.get_enrolment(enrolment_id)

    @rpc
    def change_care_mode(self, enrolment_id: str, care_mode: str, on, reason: str, actor: str,
                         role: str = "county_officer") -> dict:
        row = self._active(enrolment_id)
        on = _date(on, "on", self.clock.today())
        if care_mode == row["care_mode"]:
            raise Conflict("照护方式未改变", care_mode=care_mode)
        if not reason:
            raise Invalid("须说明变更原因", field="reason")
        person = store.get_person_row(self.db.session, row["id_number"])
        decision, pf = store.evaluate(self.db.session, self.registry, person, on)
        if care_mode not in decision.outcome.care_modes:
            raise Invalid("不符合新照护方式的条件：" + decision.summary, field="care_mode",
                          care_mode=care_mode)
        incapacity = pf.assessment.payload["incapacity_level"] if pf.assessment else "none"
        self.db.session.execute(sa.update(enrolments)
                                .where(enrolments.c.enrolment_id == enrolment_id)
                                .values(care_mode=care_mode, incapacity_level=incapacity,
                                        updated_at=utcnow()))
        self._history(enrolment_id, "care_mode_changed", on, actor, {
            "from": row["care_mode"], "to": care_mode, "reason": reason, "role": role})
        self.db.outbox.add("enrolment.changed", {
            "enrolment_id": enrolment_id, "id_number": row["id_number"],
            "division_code": row["division_code"], "care_mode": care_mode,
            "previous_care_mode": row["care_mode"], "incapacity_level": incapacity,
            "changed_on": on, "reason": reason[:500],
        }, division_code=row["division_code"], key=row["id_number"])
        return self.get_enrolment(enrolment_id)

    @rpc
    def end_enrolment(self, enrolment_id: str, reason: str, on, actor: str,
                      role: str = "county_officer", note: str | None = None) -> dict:
        row = self._active(enrolment_id)
        check_end_reason(reason)
        on = _date(on, "on", self.clock.today())
        if on < row["started_on"]:
            raise Invalid("退出日期早于开始日期", field="on")
        self._end(row, reason, on, actor, note, role=role)
        return self.get_enrolment(enrolment_id)

    def _end(self, row: dict, reason: str, on: date, actor: str | None, note: str | None,
             role: str | None = None):
        self.db.session.execute(sa.update(enrolments)
                                .where(enrolments.c.enrolment_id == row["enrolment_id"])
                                .values(status="ended", ended_on=on, end_reason=reason,
                                        updated_at=utcnow()))
        self._history(row["enrolment_id"], "ended", on, actor,
                      {"reason": reason, "note": note, "role": role})
        self.db.outbox.add("enrolment.ended", {
            "enrolment_id": row["enrolment_id"], "id_number": row["id_number"],
            "division_code": row["division_code"], "care_mode": row["care_mode"],
            "ended_on": on, "reason": reason, "note": note,
        }, division_code=row["division_code"], key=row["id_number"])

    # -- calendar ------------------------------------------------------------------------------

    @config_timer("CALENDAR_INTERVAL", 300.0)
    def calendar(self):
        self._run_calendar(self.clock.today())

    @rpc
    def run_calendar(self, on=None) -> dict:
        return self._run_calendar(_date(on, "on", self.clock.today()))

    def _run_calendar(self, today: date) -> dict:
        session = self.db.session
        reviews = 0
        for row in session.execute(sa.select(enrolments).where(
                enrolments.c.status == "active", enrolments.c.next_review_on <= today,
                sa.or_(enrolments.c.review_due_sent_for.is_(None),
                       enrolments.c.review_due_sent_for != enrolments.c.next_review_on))
                .with_for_update(skip_locked=True)).all():
            self.db.outbox.add("review.due", {
                "enrolment_id": row.enrolment_id, "id_number": row.id_number,
                "division_code": row.division_code, "kind": "annual_income",
                "due_on": row.next_review_on,
            }, division_code=row.division_code, key=row.id_number)
            session.execute(sa.update(enrolments)
                            .where(enrolments.c.enrolment_id == row.enrolment_id)
                            .values(review_due_sent_for=row.next_review_on))
            self._history(row.enrolment_id, "review_due", row.next_review_on, None,
                          {"kind": "annual_income"})
            reviews += 1
        for row in session.execute(sa.select(enrolments).where(
                enrolments.c.status == "active", enrolments.c.assessment_valid_until < today,
                sa.or_(enrolments.c.assessment_review_sent_for.is_(None),
                       enrolments.c.assessment_review_sent_for
                       != enrolments.c.assessment_valid_until))
                .with_for_update(skip_locked=True)).all():
            # the assessment the care rests on expired: re-assess (lanzhou-2021 §四(一)2
            # 定期对失能等级进行复核)
            self.db.outbox.add("review.due", {
                "enrolment_id": row.enrolment_id, "id_number": row.id_number,
                "division_code": row.division_code, "kind": "incapacity",
                "due_on": row.assessment_valid_until,
            }, division_code=row.division_code, key=row.id_number)
            session.execute(sa.update(enrolments)
                            .where(enrolments.c.enrolment_id == row.enrolment_id)
                            .values(assessment_review_sent_for=row.assessment_valid_until))
            self._history(row.enrolment_id, "review_due", row.assessment_valid_until, None,
                          {"kind": "incapacity"})
            reviews += 1
        handed = 0
        for pack in self.registry.packs:
            if not pack.handover_age:
                continue
            cutoff = latest_birth_date_for_age(pack.handover_age, today)
            rows = session.execute(
                sa.select(enrolments, persons.c.birth_date)
                .join(persons, persons.c.id_number == enrolments.c.id_number)
                .where(enrolments.c.status == "active", enrolments.c.policy_pack == pack.id,
                       enrolments.c.care_mode.in_(pack.handover_modes),
                       persons.c.birth_date <= cutoff)
                .order_by(enrolments.c.id_number).with_for_update(skip_locked=True)).all()
            by_person: dict[str, list] = {}
            for r in rows:
                by_person.setdefault(r.id_number, []).append(r)
            for id_number, rs in by_person.items():
                self._hand_over(pack, id_number, rs, birthday(rs[0].birth_date, pack.handover_age))
                handed += 1
        return {"on": today.isoformat(), "reviews_due": reviews, "handed_over": handed}

    def _hand_over(self, pack, id_number: str, rows, on: date):
        """puyang-2020 §六: at 60 civil affairs takes over (五保/tekun); neighbour
        and centralised care under this policy end the day before."""
        session = self.db.session
        ended_modes = []
        for r in rows:
            row = {k: v for k, v in dict(r._mapping).items() if k != "birth_date"}
            self._end(row, "handed_over", last_day_before(on), "calendar",
                      f"年满{pack.handover_age}周岁，由民政部门接管（{pack.handover_clause}）")
            ended_modes.append(row["care_mode"])
        person = store.get_person_row(session, id_number, lock=True)
        store.add_fact(session, id_number, Fact("handed_over", "civil_affairs", on, None,
                                                {"clause": pack.handover_clause,
                                                 "to_status": "tekun",
                                                 "ended_care_modes": ended_modes}))
        store.add_fact(session, id_number, hardship_fact(
            "tekun", "civil_affairs", on, None, f"{pack.handover_clause} 年满60周岁转民政接管"))
        self.db.outbox.add("person.handed_over", {
            "id_number": id_number, "division_code": person["division_code"],
            "handed_over_on": on, "age": pack.handover_age, "to_status": "tekun",
            "ended_care_modes": sorted(set(ended_modes)), "clause": pack.handover_clause,
        }, division_code=person["division_code"], key=id_number)
        self._redecide(person, "person.handed_over")
