"""services_log: service items, service cards, service records with verification,
visits, alerts (爱心门铃), month close and the volunteer time bank (issue 7).

Thin entrypoints: parse, call ``store`` (domain rules + storage on the unit of
work), which adds events to the outbox. RPC surface: ``RPC.md``.
"""

from __future__ import annotations

from datetime import timedelta

from doudi_common.clock import Clock
from doudi_common.db import Database
from doudi_common.entrypoints import config_timer, rpc, subscribe
from doudi_common.errors import NotFound
from doudi_common.ids import validate_id_number
from doudi_common.logs import get_logger
from doudi_common.persons import get_person, record_person
from doudi_common.service_base import ServiceBase
from nameko.dependency_providers import Config

from doudi_services_log import store
from doudi_services_log.models import metadata, person_directory
from doudi_services_log.schemas import KnownPersonSchema

log = get_logger(__name__)

DEFAULT_PER_PAGE = 50


class ServicesLogService(ServiceBase):
    name = "services_log"

    db = Database(metadata)
    clock = Clock()
    config = Config()

    # -- events in -----------------------------------------------------------------

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
            row = session.execute(store.sa.select(store.cards.c.care_mode).where(
                store.cards.c.id_number == data["id_number"])).first()
            if row is not None and row.care_mode in data["ended_care_modes"]:
                store.end_card(session, now, id_number=data["id_number"],
                               ended_on=data["handed_over_on"] - timedelta(days=1),
                               reason="handed_over", by="eligibility",
                               detail={"event_id": event["id"], "clause": data["clause"]},
                               missing_ok=True)

    def _enrolment_changed(self, event):
        data, now, session = event["data"], self.clock.now(), self.db.session
        row = session.execute(store.sa.select(store.cards).where(
            store.cards.c.id_number == data["id_number"]).with_for_update()).first()
        if row is None:
            return
        values = {"care_mode": data["care_mode"], "updated_at": now}
        moved = (data["care_mode"] == "centralized") != (data["previous_care_mode"]
                                                        == "centralized")
        action = "enrolment_changed"
        if moved and row.status == "active":
            # qingyunpu-2021 §五5: status changes change or stop the services —
            # the card waits for a new needs assessment (change_card)
            values.update(status="suspended",
                          suspended_reason=f"照护方式由 {data['previous_care_mode']} 变更为 "
                                           f"{data['care_mode']}，待重新评估")
            action = "suspended"
        session.execute(store.sa.update(store.cards).where(
            store.cards.c.id_number == data["id_number"]).values(**values))
        store._history(session, now, data["id_number"], action, "eligibility",
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
                store._card_row(session, data["id_number"]) is not None:
            # into the person's file for the township (qingyunpu-2021 §五5): home
            # services usually pause, but the card is not changed automatically
            store._history(session, now, data["id_number"], event["type"].replace(".", "_"),
                           "health", {"event_id": event["id"], "on": data["on"].isoformat(),
                                      "hospital_uscc": data["hospital_uscc"]})

    # -- timers ----------------------------------------------------------------------

    @config_timer("VISIT_CHECK_INTERVAL", 300.0)
    def check_overdue_visits(self):
        count = store.notify_overdue_visits(self.db, self.clock.now())
        if count:
            log.info("visits overdue", count=count)

    @config_timer("ALERT_CHECK_INTERVAL", 30.0)
    def escalate_alerts(self):
        minutes = float(self.config.get("ALERT_ACK_MINUTES", 15))
        count = store.escalate_alerts(self.db, self.clock.now(), minutes)
        if count:
            log.warning("alerts escalated", count=count)

    # -- persons ---------------------------------------------------------------------

    @rpc
    def get_known_person(self, id_number: str) -> dict:
        person = get_person(self.db, person_directory, validate_id_number(id_number))
        if person is None:
            raise NotFound("未找到该人员", resource="person")
        return KnownPersonSchema().dump(person)

    # -- items -----------------------------------------------------------------------

    @rpc
    def list_items(self, division_code=None, jurisdiction=None) -> list:
        return store.list_items(self.db.session, division_code, jurisdiction)

    @rpc
    def set_item_price(self, jurisdiction, code, unit_price, by) -> dict:
        return store.set_item_price(self.db.session, self.clock.now(), jurisdiction, code,
                                    unit_price, by)

    # -- cards -----------------------------------------------------------------------

    @rpc
    def issue_card(self, id_number, items, providers, assessed_on, by, division_code=None,
                   name=None, care_mode=None) -> dict:
        return store.issue_card(self.db.session, self.clock.now(), id_number=id_number,
                                items=items, providers=providers, assessed_on=assessed_on,
                                by=by, division_code=division_code, name=name,
                                care_mode=care_mode)

    @rpc
    def change_card(self, id_number, reason, by, items=None, providers=None) -> dict:
        return store.change_card(self.db.session, self.clock.now(), id_number=id_number,
                                 reason=reason, by=by, items=items, providers=providers)

    @rpc
    def suspend_card(self, id_number, reason, by) -> dict:
        return store.suspend_card(self.db.session, self.clock.now(), id_number=id_number,
                                  reason=reason, by=by)

    @rpc
    def resume_card(self, id_number, by) -> dict:
        return store.resume_card(self.db.session, self.clock.now(), id_number=id_number, by=by)

    @rpc
    def end_card(self, id_number, ended_on, reason, by) -> dict:
        id_number = validate_id_number(id_number)
        return store.end_card(self.db.session, self.clock.now(), id_number=id_number,
                              ended_on=store._date(ended_on, "ended_on"),
                              reason=store._text(reason, "reason", 500),
                              by=store._text(by, "by", 100))

    @rpc
    def add_card_document(self, id_number, kind, ref, by, note=None) -> dict:
        return store.add_card_document(self.db.session, self.clock.now(), id_number=id_number,
                                       kind=kind, ref=ref, by=by, note=note)

    @rpc
    def get_card(self, id_number) -> dict:
        id_number = validate_id_number(id_number)
        store.require_card(self.db.session, id_number, lock=False)
        return store.dump_card(self.db.session, id_number, history=True)

    @rpc
    def list_cards(self, division_code, status=None, page=1, per_page=DEFAULT_PER_PAGE) -> dict:
        return store.list_cards(self.db.session, division_code=division_code, status=status,
                                page=page, per_page=per_page)

    # -- records ---------------------------------------------------------------------

    @rpc
    def record_service(self, **record) -> dict:
        row = store.record_service(self.db, self.clock.now(), record)
        return store.get_record(self.db.session, row["record_id"])

    @rpc
    def record_services(self, records) -> dict:
        return store.record_services(self.db, self.clock.now(), records)

    @rpc
    def verify_record(self, record_id, verified_by, verifier_role, note=None) -> dict:
        return store.verify_record(self.db, self.clock.now(), record_id=record_id,
                                   verified_by=verified_by, verifier_role=verifier_role,
                                   note=note)

    @rpc
    def correct_record(self, record_id, changes, reason, corrected_by) -> dict:
        return store.correct_record(self.db, self.clock.now(), record_id=record_id,
                                    changes=changes, reason=reason, corrected_by=corrected_by)

    @rpc
    def get_record(self, record_id) -> dict:
        return store.get_record(self.db.session, record_id)

    @rpc
    def list_records(self, id_number=None, provider_uscc=None, provider_id_number=None,
                     month=None, division_code=None, status=None, page=1,
                     per_page=DEFAULT_PER_PAGE) -> dict:
        return store.list_records(self.db.session, id_number=id_number,
                                  provider_uscc=provider_uscc,
                                  provider_id_number=provider_id_number, month=month,
                                  division_code=division_code, status=status, page=page,
                                  per_page=per_page)

    # -- visits ----------------------------------------------------------------------

    @rpc
    def set_visit_schedule(self, id_number, every_days, kind, by, division_code=None,
                           start_on=None) -> dict:
        return store.set_visit_schedule(self.db.session, self.clock.now(), id_number=id_number,
                                        every_days=every_days, kind=kind, by=by,
                                        division_code=division_code, start_on=start_on)

    @rpc
    def record_visit(self, id_number, visited_on, visitor, content, by, kind="regular") -> dict:
        return store.record_visit(self.db.session, self.clock.now(), id_number=id_number,
                                  visited_on=visited_on, visitor=visitor, content=content,
                                  by=by, kind=kind)

    @rpc
    def list_visits(self, id_number, page=1, per_page=DEFAULT_PER_PAGE) -> dict:
        return store.list_visits(self.db.session, id_number=id_number, page=page,
                                 per_page=per_page)

    @rpc
    def list_overdue_visits(self, division_code, page=1, per_page=DEFAULT_PER_PAGE) -> dict:
        return store.list_overdue_visits(self.db.session, self.clock.now(),
                                         division_code=division_code, page=page,
                                         per_page=per_page)

    # -- alerts ----------------------------------------------------------------------

    @rpc
    def raise_alert(self, id_number, kind, raised_by, summary=None, raised_at=None,
                    division_code=None) -> dict:
        return store.raise_alert(self.db, self.clock.now(), id_number=id_number, kind=kind,
                                 raised_by=raised_by, summary=summary, raised_at=raised_at,
                                 division_code=division_code)

    @rpc
    def acknowledge_alert(self, alert_id, by) -> dict:
        return store.acknowledge_alert(self.db.session, self.clock.now(), alert_id=alert_id,
                                       by=by)

    @rpc
    def resolve_alert(self, alert_id, resolution, by) -> dict:
        return store.resolve_alert(self.db, self.clock.now(), alert_id=alert_id,
                                   resolution=resolution, by=by)

    @rpc
    def get_alert(self, alert_id) -> dict:
        return store.get_alert(self.db.session, alert_id)

    @rpc
    def list_alerts(self, division_code, status=None, page=1, per_page=DEFAULT_PER_PAGE) -> dict:
        return store.list_alerts(self.db.session, division_code=division_code, status=status,
                                 page=page, per_page=per_page)

    # -- month close -----------------------------------------------------------------

    @rpc
    def close_month(self, month, closed_by, division_code=None, institution_uscc=None) -> dict:
        return store.close_month(self.db, self.clock.now(), month=month,
                                 division_code=division_code,
                                 institution_uscc=institution_uscc, closed_by=closed_by)

    @rpc
    def get_month_close(self, month, division_code=None, institution_uscc=None) -> dict:
        return store.get_month_close(self.db.session, month=month, division_code=division_code,
                                     institution_uscc=institution_uscc)

    @rpc
    def list_month_closes(self, division_code, page=1, per_page=DEFAULT_PER_PAGE) -> dict:
        return store.list_month_closes(self.db.session, division_code=division_code, page=page,
                                       per_page=per_page)

    # -- time bank -------------------------------------------------------------------

    @rpc
    def time_bank_balance(self, id_number) -> dict:
        return store.time_bank_balance(self.db.session, id_number)

    @rpc
    def time_bank_history(self, id_number, page=1, per_page=DEFAULT_PER_PAGE) -> dict:
        return store.time_bank_history(self.db.session, id_number, page, per_page)

    @rpc
    def transfer_time(self, from_id_number, to_id_number, minutes, relation, by) -> dict:
        return store.transfer_time(self.db.session, self.clock.now(),
                                   from_id_number=from_id_number, to_id_number=to_id_number,
                                   minutes=minutes, relation=relation, by=by)

    @rpc
    def redeem_time(self, id_number, minutes, by, service_item=None, note=None) -> dict:
        return store.redeem_time(self.db.session, self.clock.now(), id_number=id_number,
                                 minutes=minutes, by=by, service_item=service_item, note=note)

    # -- statistics ------------------------------------------------------------------

    @rpc
    def monthly_statistics(self, month, division_code) -> dict:
        return store.monthly_statistics(self.db.session, month=month,
                                        division_code=division_code)


