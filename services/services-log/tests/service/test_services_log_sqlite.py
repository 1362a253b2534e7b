"""``make run`` keeps services_log in SQLite: the main path works there too."""

from __future__ import annotations

from datetime import datetime

from doudi_common.clock import SHANGHAI, clock_of
from sl_testing import LZ_TOWNSHIP, LZ_VILLAGE, PERSON, Rpc, at, neighbor, record


def test_card_records_close_on_sqlite(start_service, tmp_path):
    svc = start_service("services_log", db_url=f"sqlite:///{tmp_path}/services_log.db",
                        VISIT_CHECK_INTERVAL=0.2, ALERT_CHECK_INTERVAL=0.2)
    rpc = Rpc(svc)
    clock = clock_of(svc)
    clock.set(datetime(2026, 3, 2, 9, tzinfo=SHANGHAI))
    rpc.set_item_price(jurisdiction="620100", code="cleaning", unit_price="30.00", by="county")
    rpc.issue_card(id_number=PERSON, division_code=LZ_VILLAGE, assessed_on="2026-03-01",
                   by="lin", items=[{"code": "cleaning"}], providers=[neighbor()])
    clock.set(datetime(2026, 3, 20, 10, tzinfo=SHANGHAI))
    first = record(rpc, at(10, 9), at(10, 10, 30))
    assert first["started_at"] == "2026-03-10T09:00:00+08:00"
    out = rpc.record_services(records=[
        {"id_number": PERSON, "service_item": "cleaning", "provider": neighbor(),
         "started_at": at(11, 9), "ended_at": at(11, 10), "recorded_by": "app"}])
    assert out["recorded"] == 1
    try:
        record(rpc, at(10, 10), at(10, 11))
        raise AssertionError("overlap not refused")
    except Exception as exc:  # noqa: BLE001
        assert getattr(exc, "fields", {}).get("reason") == "overlap"
    rpc.verify_record(record_id=first["record_id"], verified_by="p", verifier_role="person")
    rpc.set_visit_schedule(id_number=PERSON, every_days=7, kind="regular", by="lin")
    alert = rpc.raise_alert(id_number=PERSON, kind="doorbell", raised_by="bell")
    clock.set(datetime(2026, 4, 2, 9, tzinfo=SHANGHAI))
    closed = rpc.close_month(month="2026-03", division_code=LZ_TOWNSHIP, closed_by="lin")
    assert (closed["records"], closed["total_amount"], closed["unverified"]) == (1, "45.00", 1)
    assert rpc.get_alert(alert_id=alert["alert_id"])["raised_at"].endswith("+08:00")
    stats = rpc.monthly_statistics(month="2026-03", division_code="620102")
    assert stats["records"]["verified"] == 1
