"""Monthly statistics of a division."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from doudi_common.args import require_month
from doudi_common.dates import SHANGHAI, parse_month
from doudi_common.ids import (
    division_prefix,
)

from doudi_services_log.domain.alerts import time_to_resolve
from doudi_services_log.domain.records import STATUSES as record_statuses
from doudi_services_log.models import (
    alerts,
    month_closes,
    records,
    schedules,
    time_entries,
    visits,
)
from doudi_services_log.schemas import money

# -- statistics -----------------------------------------------------------------------------

def monthly_statistics(session, *, month, division_code) -> dict:
    month = require_month(month)
    prefix = division_prefix(division_code)
    in_div = records.c.division_code.like(prefix + "%")
    not_rev = records.c.entry_kind != "reversal"
    by_status = dict(session.execute(
        sa.select(records.c.status, sa.func.count()).where(
            in_div, records.c.month == month, not_rev).group_by(records.c.status)).all())
    valid = (in_div, records.c.month == month, not_rev, records.c.status != "superseded")
    totals = session.execute(sa.select(
        sa.func.count(sa.distinct(records.c.id_number)),
        sa.func.count(sa.distinct(records.c.provider_key)),
        sa.func.coalesce(sa.func.sum(records.c.minutes), 0),
        sa.func.coalesce(sa.func.sum(records.c.amount), 0)).where(*valid)).one()
    by_item = [
        {"service_item": r.service_item, "records": r.n, "minutes": int(r.m),
         "amount": money(r.a)}
        for r in session.execute(sa.select(
            records.c.service_item, sa.func.count().label("n"),
            sa.func.sum(records.c.minutes).label("m"),
            sa.func.coalesce(sa.func.sum(records.c.amount), 0).label("a"))
            .where(*valid).group_by(records.c.service_item).order_by(records.c.service_item))]
    y, m = parse_month(month)
    first = date(y, m, 1)
    nxt = date(y + m // 12, m % 12 + 1, 1)
    done = session.execute(sa.select(sa.func.count()).select_from(visits).where(
        visits.c.division_code.like(prefix + "%"), visits.c.visited_on >= first,
        visits.c.visited_on < nxt)).scalar_one()
    overdue = session.execute(sa.select(sa.func.count()).select_from(schedules).where(
        schedules.c.division_code.like(prefix + "%"),
        schedules.c.overdue_notified_on >= first,
        schedules.c.overdue_notified_on < nxt)).scalar_one()
    start_at = datetime.combine(first, datetime.min.time(), SHANGHAI)
    end_at = datetime.combine(nxt, datetime.min.time(), SHANGHAI)
    in_month = sa.and_(alerts.c.division_code.like(prefix + "%"),
                       alerts.c.raised_at >= start_at, alerts.c.raised_at < end_at)
    alert_counts = session.execute(sa.select(
        sa.func.count(), sa.func.count().filter(alerts.c.status == "resolved"),
        sa.func.count().filter(alerts.c.escalation_level > 0)).where(in_month)).one()
    spans = [(r.raised_at, r.resolved_at) for r in session.execute(
        sa.select(alerts.c.raised_at, alerts.c.resolved_at).where(
            in_month, alerts.c.status == "resolved", alerts.c.resolved_at.is_not(None)))]
    credited = session.execute(sa.select(sa.func.coalesce(sa.func.sum(time_entries.c.minutes), 0))
                               .select_from(time_entries.join(
                                   records, records.c.record_id == time_entries.c.record_id))
                               .where(time_entries.c.kind == "credit", *valid)).scalar_one()
    closed = [f"{r.unit_kind}:{r.unit_code}" for r in session.execute(
        sa.select(month_closes.c.unit_kind, month_closes.c.unit_code).where(
            month_closes.c.month == month,
            month_closes.c.division_code.like(prefix + "%")))]
    return {"month": month, "division_code": division_code,
            "records": {s: by_status.get(s, 0) for s in record_statuses},
            "persons_served": totals[0], "providers": totals[1], "minutes": int(totals[2]),
            "amount": money(totals[3]), "by_item": by_item,
            "visits": {"done": done, "overdue": overdue},
            "alerts": {"raised": alert_counts[0], "resolved": alert_counts[1],
                       "escalated": alert_counts[2], **time_to_resolve(spans)},
            "time_bank_minutes_credited": int(credited), "closed_units": closed}
