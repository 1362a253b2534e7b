"""Regular visits with an overdue timer (lanzhou-2021 §四(三)3) and the love
doorbell (爱心门铃, qingyunpu-2021 §四(三)6) with escalation — on the service's
controllable clock."""

from __future__ import annotations

from datetime import datetime

import eventlet
from doudi_common.clock import SHANGHAI, clock_of
from doudi_common.testing.fixtures import count_rows, wait_for
from sl_testing import LZ_VILLAGE, PERSON, PERSON2, neighbor, outbox_envelopes, refused


def events(svc, event_type):
    return [envelope["data"] for envelope in outbox_envelopes(svc, event_type)]


def test_overdue_visits(svc, rpc):
    clock = clock_of(svc)
    schedule = rpc.set_visit_schedule(id_number=PERSON, every_days=7, kind="regular",
                                      by="township:lin", division_code=LZ_VILLAGE,
                                      start_on="2026-03-01")
    assert schedule["next_due_on"] == "2026-03-08" and schedule["overdue"] is True
    wait_for(lambda: events(svc, "visit.overdue"), message="visit.overdue")
    eventlet.sleep(0.6)                                 # several timer runs: still one event
    assert events(svc, "visit.overdue") == [{"id_number": PERSON, "division_code": LZ_VILLAGE,
                                             "due_on": "2026-03-08", "last_visit_on": None}]
    assert rpc.list_overdue_visits(division_code="620102")["total"] == 1

    visit = rpc.record_visit(id_number=PERSON, visited_on="2026-03-19",
                             visitor=neighbor(), content="身体尚好，帮助打扫", by="community")
    assert visit["visited_on"] == "2026-03-19"
    assert rpc.list_overdue_visits(division_code="620102")["total"] == 0
    assert refused(rpc.record_visit, id_number=PERSON, visited_on="2026-03-21",
                   visitor=neighbor(), content="x", by="community") == "in_future"
    assert rpc.list_visits(id_number=PERSON)["total"] == 1

    clock.set(datetime(2026, 3, 27, 9, tzinfo=SHANGHAI))      # due 03-26, missed
    wait_for(lambda: len(events(svc, "visit.overdue")) == 2, message="second overdue")
    assert events(svc, "visit.overdue")[1]["last_visit_on"] == "2026-03-19"
    overdue = rpc.list_overdue_visits(division_code="620102")["items"]
    assert [s["next_due_on"] for s in overdue] == ["2026-03-26"]
    assert refused(rpc.set_visit_schedule, id_number=PERSON, every_days=0, kind="regular",
                   by="lin") == "bad_interval"
    assert refused(rpc.set_visit_schedule, id_number=PERSON2, every_days=7, kind="regular",
                   by="lin") == "unknown_person"


def test_alert_escalation_and_resolution(svc, rpc):
    clock = clock_of(svc)
    alert = rpc.raise_alert(id_number=PERSON, kind="doorbell", raised_by="doorbell-17",
                            summary="夜间按响爱心门铃", division_code=LZ_VILLAGE)
    assert alert["status"] == "raised" and alert["escalation_level"] == 0
    quiet = rpc.raise_alert(id_number=PERSON, kind="health", raised_by="neighbor",
                            division_code=LZ_VILLAGE)
    rpc.acknowledge_alert(alert_id=quiet["alert_id"], by="邻居李")
    assert count_rows(svc, "outbox", event_type="alert.raised") == 2

    eventlet.sleep(0.5)                                  # within 15 minutes: nothing
    assert events(svc, "alert.escalated") == []
    clock.advance(minutes=16)
    wait_for(lambda: events(svc, "alert.escalated"), message="escalation")
    eventlet.sleep(0.5)
    assert [e["level"] for e in events(svc, "alert.escalated")] == [1]
    clock.advance(minutes=16)
    wait_for(lambda: len(events(svc, "alert.escalated")) == 2, message="second escalation")
    assert {e["alert_id"] for e in events(svc, "alert.escalated")} == {alert["alert_id"]}
    assert rpc.get_alert(alert_id=alert["alert_id"])["escalation_level"] == 2

    acked = rpc.acknowledge_alert(alert_id=alert["alert_id"], by="township:duty")
    assert acked["status"] == "acknowledged"
    assert refused(rpc.acknowledge_alert, alert_id=alert["alert_id"], by="x") == \
        "alert_acknowledged"
    clock.advance(minutes=40)
    eventlet.sleep(0.5)
    assert len(events(svc, "alert.escalated")) == 2

    done = rpc.resolve_alert(alert_id=alert["alert_id"], resolution="老人跌倒，已送医",
                             by="township:duty")
    assert done["status"] == "resolved" and done["resolution"] == "老人跌倒，已送医"
    assert refused(rpc.resolve_alert, alert_id=alert["alert_id"], resolution="再次",
                   by="x") == "alert_resolved"
    [resolved] = events(svc, "alert.resolved")
    assert resolved["alert_id"] == alert["alert_id"]
    assert rpc.list_alerts(division_code="620102", status="acknowledged")["total"] == 1
    assert refused(rpc.raise_alert, id_number=PERSON, kind="fire", raised_by="x") == "bad_kind"
    assert refused(rpc.raise_alert, id_number=PERSON, kind="doorbell", raised_by="x",
                   raised_at="2026-04-30T10:00:00+08:00") == "in_future"
    stats = rpc.monthly_statistics(month="2026-03", division_code="620102")
    # raised, then 16 + 16 + 40 minutes on the service's clock until resolved
    assert stats["alerts"] == {"raised": 2, "resolved": 1, "escalated": 1,
                               "median_minutes": 72.0, "max_minutes": 72}
