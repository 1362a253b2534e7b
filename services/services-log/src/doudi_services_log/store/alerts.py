"""Alerts (爱心门铃): raised, acknowledged, resolved, escalated."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from doudi_common.args import optional_text, require_text
from doudi_common.errors import NotFound
from doudi_common.ids import (
    division_prefix,
    mask_id_number,
    validate_id_number,
)

from doudi_services_log.domain import alerts as alert_rules
from doudi_services_log.domain.records import parse_time
from doudi_services_log.models import (
    alerts,
)
from doudi_services_log.schemas import iso
from doudi_services_log.store.shared import (
    _new_id,
    paginate,
    person_division,
    person_name,
)

# -- alerts ---------------------------------------------------------------------------------

def dump_alert(session, r) -> dict:
    return {"alert_id": r["alert_id"], "id_number": r["id_number"],
            "id_number_masked": mask_id_number(r["id_number"]),
            "name": person_name(session, r["id_number"]), "division_code": r["division_code"],
            "kind": r["kind"], "summary": r["summary"], "raised_at": iso(r["raised_at"]),
            "raised_by": r["raised_by"], "status": r["status"],
            "acknowledged_at": iso(r["acknowledged_at"]),
            "acknowledged_by": r["acknowledged_by"], "escalation_level": r["escalation_level"],
            "escalated_at": iso(r["escalated_at"]), "resolved_at": iso(r["resolved_at"]),
            "resolved_by": r["resolved_by"], "resolution": r["resolution"]}


def _alert_row(session, alert_id, lock=False):
    if not isinstance(alert_id, str) or "\x00" in alert_id or len(alert_id) > 40:
        raise NotFound("未找到该警报", reason="no_alert")
    q = sa.select(alerts).where(alerts.c.alert_id == alert_id)
    row = session.execute(q.with_for_update() if lock else q).first()
    if row is None:
        raise NotFound("未找到该警报", reason="no_alert")
    return row


def get_alert(session, alert_id) -> dict:
    return dump_alert(session, _alert_row(session, alert_id)._mapping)


def raise_alert(uow, now, *, id_number, kind, raised_by, summary=None, raised_at=None,
                division_code=None) -> dict:
    session = uow.session
    id_number = validate_id_number(id_number)
    alert_rules.check_kind(kind)
    raised_by = require_text(raised_by, "raised_by", 100)
    summary = optional_text(summary, "summary", 500)
    at = parse_time(raised_at, "raised_at") if raised_at is not None else now
    alert_rules.check_raised_at(at, now)
    division = person_division(session, id_number, division_code)
    alert_id = _new_id("AL")
    session.execute(sa.insert(alerts).values(
        alert_id=alert_id, id_number=id_number, division_code=division, kind=kind,
        summary=summary, raised_at=at, raised_by=raised_by, status="raised",
        escalation_level=0))
    uow.outbox.add("alert.raised", {"alert_id": alert_id, "id_number": id_number,
                                    "division_code": division, "kind": kind,
                                    "raised_at": at, "summary": summary},
                   division_code=division, key=id_number)
    return get_alert(session, alert_id)


def acknowledge_alert(session, now, *, alert_id, by) -> dict:
    by = require_text(by, "by", 100)
    row = _alert_row(session, alert_id, lock=True)
    alert_rules.check_can_acknowledge(row.status)
    session.execute(sa.update(alerts).where(alerts.c.alert_id == alert_id).values(
        status="acknowledged", acknowledged_at=now, acknowledged_by=by))
    return get_alert(session, alert_id)


def resolve_alert(uow, now, *, alert_id, resolution, by) -> dict:
    session = uow.session
    by = require_text(by, "by", 100)
    resolution = require_text(resolution, "resolution", 500)
    row = _alert_row(session, alert_id, lock=True)
    alert_rules.check_can_resolve(row.status)
    values = {"status": "resolved", "resolved_at": now, "resolved_by": by,
              "resolution": resolution}
    if row.acknowledged_at is None:
        values.update(acknowledged_at=now, acknowledged_by=by)
    session.execute(sa.update(alerts).where(alerts.c.alert_id == alert_id).values(**values))
    uow.outbox.add("alert.resolved", {"alert_id": alert_id, "id_number": row.id_number,
                                      "division_code": row.division_code, "resolved_at": now,
                                      "resolution": resolution},
                   division_code=row.division_code, key=row.id_number)
    return get_alert(session, alert_id)


def list_alerts(session, *, division_code, status=None, page=1, per_page=50) -> dict:
    q = sa.select(alerts).where(alerts.c.division_code.like(division_prefix(division_code) + "%"))
    if status is not None:
        alert_rules.check_status_filter(status)
        q = q.where(alerts.c.status == status)
    return paginate(session, q, [alerts.c.raised_at.desc(), alerts.c.id.desc()], page, per_page,
                    lambda r: dump_alert(session, r))


def escalate_alerts(uow, now, ack_minutes: float, max_level: int = 10) -> int:
    """Alerts still not acknowledged ``ack_minutes`` after being raised (or after the
    last escalation) go one level up."""
    session = uow.session
    cutoff = now - timedelta(minutes=ack_minutes)
    since = sa.func.coalesce(alerts.c.escalated_at, alerts.c.raised_at)
    rows = session.execute(sa.select(alerts).where(
        alerts.c.status == "raised", since <= cutoff,
        alerts.c.escalation_level < max_level)
        .order_by(alerts.c.id).limit(500).with_for_update(skip_locked=True)).all()
    for r in rows:
        level = r.escalation_level + 1
        session.execute(sa.update(alerts).where(alerts.c.alert_id == r.alert_id)
                        .values(escalation_level=level, escalated_at=now))
        uow.outbox.add("alert.escalated", {
            "alert_id": r.alert_id, "id_number": r.id_number, "division_code": r.division_code,
            "kind": r.kind, "raised_at": r.raised_at, "escalated_at": now, "level": level},
            division_code=r.division_code, key=r.id_number)
    return len(rows)
