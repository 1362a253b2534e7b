"""Inspections and findings with rectification, the inspection schedule
(hangzhou-2024 §五(四)) and the deadline checks (overdue inspections,
expiring licences)."""


from __future__ import annotations

from datetime import date

from doudi_common.entrypoints import rpc, timer
from doudi_common.errors import NotFound
from doudi_common.ids import (
    validate_uscc,
)
from doudi_common.logs import get_logger
from doudi_common.serialize import to_jsonable

from doudi_institutions.domain import inputs as inputs_rules
from doudi_institutions.domain import inspections as inspections_rules
from doudi_institutions.domain import references as references_rules
from doudi_institutions.domain import vocab
from doudi_institutions.schemas import (
    inspection_view,
)
from doudi_institutions.store import inspections as inspections_store
from doudi_institutions.store import licences as licences_store
from doudi_institutions.store import registry as registry_store

log = get_logger(__name__)


class Inspections:
    def _inspection(self, pk: int) -> dict:
        row = inspections_store.inspection_row(self.session, pk)
        if row is None:
            raise NotFound("未找到该检查记录", resource="inspection")
        return self._inspection_out(row)

    def _inspection_out(self, row: dict) -> dict:
        return inspection_view(row, inspections_store.findings_of(self.session, row["id"]),
                               self.clock.today())

    def _add_finding(self, inspection_id: int, inspected_on: date, f: dict) -> None:
        by = inspections_rules.check_finding(f, inspected_on)
        inspections_store.insert_finding(self.session, inspection_id, f["severity"],
                             str(f["description"])[:1000], by)

    @rpc
    def record_inspection(self, uscc, kind, inspected_on, result, inspector=None, notes=None,
                          findings=()) -> dict:
        inst = self._institution(uscc)
        inputs_rules.choice(kind, vocab.INSPECTION_KINDS, "kind")
        inputs_rules.choice(result, vocab.INSPECTION_RESULTS, "result")
        day = inputs_rules.not_in_future(inputs_rules.as_date(inspected_on, "inspected_on"),
                                         self.clock.today(), "inspected_on", "检查日期")
        items = list(findings or [])
        inspections_rules.check_findings_given(result, items)
        pk = inspections_store.insert_inspection(self.session, inst["id"], kind, day, inspector,
                                                 result, notes)
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
        return self._inspection(references_rules.inspection_pk(inspection_id))

    @rpc
    def update_inspection(self, inspection_id, inspector=None, notes=None) -> dict:
        pk = references_rules.inspection_pk(inspection_id)
        self._inspection(pk)
        values = {k: val for k, val in (("inspector", inspector), ("notes", notes))
                  if val is not None}
        if values:
            inspections_store.update_inspection(self.session, pk, **values)
        return self._inspection(pk)

    @rpc
    def add_finding(self, inspection_id, severity, description, rectify_by) -> dict:
        pk = references_rules.inspection_pk(inspection_id)
        view = self._inspection(pk)
        self._add_finding(pk, date.fromisoformat(view["inspected_on"]),
                          {"severity": severity, "description": description,
                           "rectify_by": rectify_by})
        return self._inspection(pk)

    @rpc
    def rectify_finding(self, finding_id, rectified_on, signed_off_by) -> dict:
        row = inspections_store.finding_row(self.session, int(finding_id))
        if row is None:
            raise NotFound("未找到该问题", resource="finding")
        inspections_rules.check_not_rectified(row.rectified_on)
        inputs_rules.required(signed_off_by, "signed_off_by", "销号人")
        day = inputs_rules.not_in_future(inputs_rules.as_date(rectified_on, "rectified_on"),
                                         self.clock.today(), "rectified_on", "整改日期")
        inspections_store.rectify_finding(self.session, row.id, day, signed_off_by)
        return self._inspection(row.inspection_id)

    @rpc
    def list_inspections(self, uscc=None, kind=None, division_code=None, page=1,
                         per_page=50) -> dict:
        query = inspections_store.inspections_query(
            uscc=validate_uscc(uscc) if uscc else None,
            kind=inputs_rules.choice(kind, vocab.INSPECTION_KINDS, "kind") if kind else None,
            division_code=division_code)
        return self._page(query, page, per_page, self._inspection_out)

    def _schedule(self, inst: dict) -> list[dict]:
        today = self.clock.today()
        out = []
        for kind, months in inspections_rules.SCHEDULE.items():
            last = inspections_store.last_inspected(self.session, inst["id"], kind)
            due = inspections_rules.due_on(kind, last, inst["opened_on"] or inst["registered_on"])
            out.append({"kind": kind, "every": "month" if months == 1 else "year",
                        "last_inspected_on": last, "due_on": due,
                        "overdue": inspections_rules.is_overdue(due, today)})
        return out

    @rpc
    def inspection_schedule(self, uscc) -> list:
        return to_jsonable(self._schedule(self._institution(uscc)))

    def _overdue(self, division_code=None) -> list[dict]:
        today = self.clock.today()
        out = []
        for inst in registry_store.institutions_in_states(self.session, vocab.OPEN_STATES,
                                                          division_code):
            for item in self._schedule(inst):
                if item["overdue"]:
                    out.append({"institution_id": inst["id"], "uscc": inst["uscc"],
                                "name": inst["name"], "division_code": inst["division_code"],
                                "what": "patrol", "kind": item["kind"], "due_on": item["due_on"],
                                "last_inspected_on": item["last_inspected_on"],
                                "finding_id": None, "subject": f"patrol:{item['kind']}"})
            for f in inspections_store.overdue_findings(self.session, inst["id"], today):
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
            if inspections_store.notice_raised(self.session, item["institution_id"],
                                               item["subject"],
                                   item["due_on"]):
                continue
            inspections_store.insert_notice(self.session, item["institution_id"], item["subject"],
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
                if inspections_store.notice_raised(self.session, a["institution_id"], subject,
                                                   until):
                    continue
                inspections_store.insert_notice(self.session, a["institution_id"], subject, until)
            elif a["alerted_until"] == until:
                continue
            else:
                licences_store.set_licence_alerted(self.session, a["licence_id"], until)
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
