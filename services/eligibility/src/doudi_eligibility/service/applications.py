"""Applications through each pack's review chain: filing, every step of the
chain (``domain.application.transition``), the agreement that starts an
enrolment, reads and lists."""

from __future__ import annotations

from datetime import date

from doudi_common.args import parse_date
from doudi_common.entrypoints import rpc
from doudi_common.ids import mask_id_number, validate_id_number, validate_uscc
from doudi_common.logs import get_logger
from doudi_common.paging import page_args, page_of
from doudi_common.serialize import to_jsonable

from doudi_eligibility.domain import application as application_rules
from doudi_eligibility.domain.application import (
    AppState,
    application_number,
    check_exclusive_modes,
    check_filing,
    check_no_duplicate,
    decision_number,
    enrolment_number,
    next_actions,
    transition,
)
from doudi_eligibility.domain.decision import failed_clauses, require_mode, require_mode_for_filing
from doudi_eligibility.domain.enrolment import add_months
from doudi_eligibility.schemas import application_payload, required_actor
from doudi_eligibility.store import applications as application_store
from doudi_eligibility.store import enrolments as enrolment_store
from doudi_eligibility.store import persons as person_store
from doudi_eligibility.store.decisions import evaluate, next_in_sequence

log = get_logger(__name__)


class Applications:
    @rpc
    def file_application(self, application: dict) -> dict:
        application = application_payload(application)
        session = self.db.session
        id_number = validate_id_number(application.get("id_number", ""))
        person = person_store.get_person_row(session, id_number, lock=True)
        filing = check_filing(application, person, self.registry, self.clock.today())
        check_exclusive_modes(filing.pack, filing.care_mode, [
            e["care_mode"] for e in enrolment_store.active_of(session, id_number)])
        decision, _ = evaluate(session, self.registry, person, filing.submitted_on)
        require_mode_for_filing(decision, filing.care_mode, filing.pack.id)
        check_no_duplicate(application_store.open_application(session, id_number,
                                                              filing.care_mode),
                           application_store.active_enrolment(session, id_number,
                                                              filing.care_mode))
        county, year = person["division_code"][:6], filing.submitted_on.year
        application_id = application_number(
            county, year, next_in_sequence(session, f"application-{county}-{year}"))
        consent, caregiver = to_jsonable(filing.consent), to_jsonable(filing.caregiver)
        application_store.insert_application(
            session, application_id=application_id, id_number=id_number,
            division_code=person["division_code"], care_mode=filing.care_mode,
            policy_pack=filing.pack.id, pack_version=filing.pack.version, state="submitted",
            channel=filing.channel, submitted_by=filing.submitted_by,
            submitted_role=filing.submitted_role, submitted_on=filing.submitted_on,
            documents=filing.documents, consent=consent,
            institution_uscc=filing.institution_uscc, caregiver=caregiver, signoffs={})
        self._step(application_id, "submit", None, "submitted", filing.submitted_by,
                   filing.submitted_role, filing.submitted_on, filing.comment,
                   {"documents": filing.documents, "consent": consent})
        self.db.outbox.add("application.submitted", {
            "application_id": application_id, "id_number": id_number,
            "division_code": person["division_code"], "care_mode": filing.care_mode,
            "policy_pack": filing.pack.id, "submitted_on": filing.submitted_on,
        }, division_code=person["division_code"], key=id_number)
        return self._application_reply(application_id)

    def _step(self, application_id, action, from_state, to_state, actor, role, on_date,
              comment, data):
        application_store.add_step(self.db.session, application_id, action, from_state,
                                   to_state, actor, role, on_date, comment, data)

    @rpc
    def act_on_application(self, application_id: str, action: str, actor: str, role: str,
                           comment: str | None = None, data: dict | None = None) -> dict:
        session = self.db.session
        app = application_store.application_row(session, application_id, lock=True)
        actor = required_actor(actor)
        pack = self.registry.get(app["policy_pack"], app["pack_version"])
        today = self.clock.today()
        data = data if isinstance(data, dict) else {}
        t = transition(pack, AppState(app["state"], app["signoffs"] or {}, app["notice_until"],
                                      tuple(app["documents"] or ())),
                       action, role, today, comment, data)
        values = {"state": t.to_state, "signoffs": to_jsonable(t.signoffs)}
        if t.documents is not None:
            values["documents"] = list(t.documents)
        person = person_store.get_person_row(session, app["id_number"])
        if t.notice_from or (t.approved and action != "close_notice"):
            # the approving authority decides on today's facts
            self._still_eligible(person, app["care_mode"], today, "审批时已不符合该照护方式的条件")
        if t.notice_from:
            values.update(notice_from=t.notice_from, notice_until=t.notice_until,
                          approved_on=today)
        if t.returned:
            values.update(notice_from=None, notice_until=None, approved_on=None)
        if t.approved:
            values["approved_on"] = app["approved_on"] or today
            values["decision_id"] = self._decision_id(today)
            self._announce_approval(app, pack, person, values, today)
        if t.rejected:
            values.update(rejected_on=today, reason=comment.strip()[:500],
                          decision_id=self._decision_id(today))
            self._announce_rejection(app, pack, person, values, today)
        if t.enrolled:
            values["enrolment_id"] = self._start_enrolment(app, person, pack, today, data)
        application_store.update_application(session, application_id, **values)
        self._step(application_id, action, t.from_state, t.to_state, actor, role, today,
                   comment, data)
        log.info("application transition", application_id=application_id, action=action,
                 to_state=t.to_state)
        return self._application_reply(application_id)

    def _announce_approval(self, app: dict, pack, person: dict, values: dict, today: date):
        decision, _ = evaluate(self.db.session, self.registry, person, today)
        clauses = [c for c in decision.clauses if c] + [pack.chain_clause]
        self.db.outbox.add("application.approved", {
            "application_id": app["application_id"], "id_number": app["id_number"],
            "division_code": app["division_code"], "care_mode": app["care_mode"],
            "approved_on": values["approved_on"], "decision_id": values["decision_id"],
            "policy_pack": pack.id, "pack_version": pack.version,
            "clauses": list(dict.fromkeys(c for c in clauses if c)),
        }, division_code=app["division_code"], key=app["id_number"])

    def _announce_rejection(self, app: dict, pack, person: dict, values: dict, today: date):
        decision, _ = evaluate(self.db.session, self.registry, person, today)
        self.db.outbox.add("application.rejected", {
            "application_id": app["application_id"], "id_number": app["id_number"],
            "division_code": app["division_code"], "rejected_on": today,
            "decision_id": values["decision_id"], "policy_pack": pack.id,
            "pack_version": pack.version,
            "clauses": failed_clauses(decision, app["care_mode"]),
            "reason": values["reason"],
        }, division_code=app["division_code"], key=app["id_number"])

    def _still_eligible(self, person: dict, care_mode: str, on: date, detail: str):
        decision, pf = evaluate(self.db.session, self.registry, person, on)
        require_mode(decision, care_mode, detail)
        return decision, pf

    def _decision_id(self, today: date) -> str:
        return decision_number(today.year,
                               next_in_sequence(self.db.session, f"decision-{today.year}"))

    def _start_enrolment(self, app: dict, person: dict, pack, today: date, data: dict) -> str:
        session = self.db.session
        started_on = parse_date(data.get("signed_on"), "data.signed_on", today)
        application_rules.check_alive(person)
        application_rules.check_agreement(pack, app["care_mode"], data)
        _, pf = self._still_eligible(person, app["care_mode"], started_on,
                                     "签订协议时已不符合该照护方式的条件")
        institution = data.get("institution_uscc") or app["institution_uscc"]
        if institution:
            institution = validate_uscc(institution)
        enrolment_id = enrolment_number(
            started_on.year, next_in_sequence(session, f"enrolment-{started_on.year}"))
        hardship = sorted(pf.hardship)
        enrolment_store.insert_enrolment(
            session, enrolment_id=enrolment_id, id_number=app["id_number"],
            application_id=app["application_id"], division_code=app["division_code"],
            policy_pack=pack.id, pack_version=pack.version, care_mode=app["care_mode"],
            institution_uscc=institution, incapacity_level=pf.incapacity_level,
            hardship=hardship, status="active", started_on=started_on,
            next_review_on=add_months(started_on, pack.review_interval_months),
            assessment_valid_until=pf.assessment.valid_until if pf.assessment else None,
            copay_band=None)
        self._history(enrolment_id, "started", started_on, None, {
            "application_id": app["application_id"], "agreement_no": data.get("agreement_no"),
            "care_mode": app["care_mode"], "institution_uscc": institution})
        self.db.outbox.add("enrolment.started", {
            "enrolment_id": enrolment_id, "id_number": app["id_number"],
            "division_code": app["division_code"], "care_mode": app["care_mode"],
            "hardship": hardship, "incapacity_level": pf.incapacity_level,
            "started_on": started_on, "application_id": app["application_id"],
            "institution_uscc": institution, "policy_pack": pack.id,
        }, division_code=app["division_code"], key=app["id_number"])
        return enrolment_id

    @rpc
    def get_application(self, application_id: str) -> dict:
        return self._application_reply(application_id)

    def _application_reply(self, application_id: str) -> dict:
        app = application_store.application_with_name(self.db.session, application_id)
        return self._application_dict(app, steps=True, full_id=True)

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
            out["steps"] = [to_jsonable({k: v for k, v in s.items() if k != "application_id"}
                                        | {"seq": i + 1})
                            for i, s in enumerate(application_store.steps_of(
                                self.db.session, app["application_id"]))]
        return out

    @rpc
    def list_applications(self, status=None, division_prefix=None, date_from=None, date_to=None,
                          policy_pack=None, id_number=None, page=1, per_page=50) -> dict:
        page, per_page = page_args(page, per_page)
        statuses = None
        if status:
            statuses = [status] if isinstance(status, str) else list(status)
            application_rules.check_states(statuses)
        rows, total = application_store.list_applications(
            self.db.session, statuses=statuses, division_prefix_=division_prefix,
            date_from=parse_date(date_from, "date_from"), date_to=parse_date(date_to, "date_to"),
            policy_pack=policy_pack,
            id_number=validate_id_number(id_number) if id_number else None,
            page=page, per_page=per_page)
        # the full number for the gateway, which masks it and seals a link (person_ref)
        return page_of([self._application_dict(r, steps=False, full_id=True) for r in rows],
                       page, per_page, total)
