"""Month close: verified records per provider and person become the month.closed
that funding pays; the month is locked afterwards and corrections or late
verifications land in the next open month."""

from __future__ import annotations

from datetime import datetime

from doudi_common.clock import SHANGHAI, clock_of
from sl_testing import (
    INSTITUTION,
    LZ_TOWNSHIP,
    NEIGHBOR,
    ORG,
    PERSON,
    at,
    institution,
    organisation,
    outbox_envelopes,
    record,
    refused,
)

outbox_events = outbox_envelopes


def verify(rpc, rec):
    return rpc.verify_record(record_id=rec["record_id"], verified_by="township:lin",
                             verifier_role="township_staff")


def test_close_locks_and_reports_per_provider_and_person(svc, rpc, card):
    clean1 = verify(rpc, record(rpc, at(3, 9), at(3, 10, 30)))               # 1.5 h = 45.00
    clean2 = verify(rpc, record(rpc, at(4, 9), at(4, 10)))                   # 1 h = 30.00
    verify(rpc, record(rpc, at(4, 12), at(4, 12, 30), item="meals", quantity=2))  # 25.00
    late = record(rpc, at(5, 9), at(5, 10))                                  # not verified
    verify(rpc, record(rpc, at(6, 9), at(6, 10), item="bathing", provider=organisation()))
    inst = verify(rpc, record(rpc, at(6, 15), at(6, 16), item="bathing",
                              provider=institution()))
    assert refused(rpc.close_month, month="2026-03", division_code=LZ_TOWNSHIP,
                   closed_by="lin") == "month_not_over"
    clock_of(svc).set(datetime(2026, 4, 2, 9, tzinfo=SHANGHAI))
    assert refused(rpc.close_month, month="2026-03", division_code="620102001001",
                   closed_by="lin") == "bad_unit"

    closed = rpc.close_month(month="2026-03", division_code=LZ_TOWNSHIP, closed_by="township:lin")
    assert (closed["records"], closed["persons"], closed["unverified"]) == (4, 1, 1)
    assert closed["total_amount"] == "140.00" and closed["minutes"] == 90 + 60 + 30 + 60
    providers = {p["provider_uscc"] or p["provider_id_number"]: p for p in closed["providers"]}
    assert set(providers) == {NEIGHBOR, ORG}           # the institution closes on its own
    assert (providers[NEIGHBOR]["records"], providers[NEIGHBOR]["amount"]) == (3, "100.00")
    assert providers[NEIGHBOR]["provider_name"] == "李桂兰"
    assert (providers[ORG]["records"], providers[ORG]["amount"]) == (1, "40.00")
    lines = {(ln["provider_id_number"] or ln["provider_uscc"], ln["service_item"]): ln
             for ln in closed["lines"]}
    assert lines[(NEIGHBOR, "cleaning")] == {
        "id_number": PERSON, "provider_kind": "neighbor", "provider_uscc": None,
        "provider_id_number": NEIGHBOR, "service_item": "cleaning", "records": 2,
        "minutes": 150, "quantity": "2.50", "amount": "75.00"}
    assert lines[(NEIGHBOR, "meals")]["quantity"] == "2.00"
    [event] = outbox_events(svc, "month.closed")
    assert event["data"]["total_amount"] == "140.00"
    assert event["source"] == f"services_log/{LZ_TOWNSHIP}"
    assert event["data"]["lines"] == closed["lines"]
    assert rpc.get_month_close(month="2026-03", division_code=LZ_TOWNSHIP)["event_id"] == \
        event["id"]
    assert refused(rpc.close_month, month="2026-03", division_code=LZ_TOWNSHIP,
                   closed_by="lin") == "already_closed"

    # the institution closes its own records
    own = rpc.close_month(month="2026-03", division_code="620102", institution_uscc=INSTITUTION,
                          closed_by="院长")
    assert (own["records"], own["total_amount"], own["institution_uscc"]) == (1, "40.00",
                                                                           INSTITUTION)
    assert rpc.get_record(record_id=inst["record_id"])["locked"] is True

    # locked: no new records for March, late verification and corrections go to April
    assert refused(record, rpc, at(7, 9), at(7, 10)) == "month_closed"
    assert rpc.get_record(record_id=clean1["record_id"])["locked"] is True
    late_done = verify(rpc, late)
    assert late_done["settle_month"] == "2026-04" and late_done["month"] == "2026-03"
    fix = rpc.correct_record(record_id=clean2["record_id"],
                             changes={"ended_at": at(4, 11)}, reason="实际服务2小时",
                             corrected_by="township:lin")
    assert fix["original"]["status"] == "verified"        # it was paid: kept, and reversed
    assert fix["reversal"]["amount"] == "-30.00" and fix["reversal"]["settle_month"] == "2026-04"
    assert fix["correction"]["amount"] == "60.00" and fix["correction"]["settle_month"] == "2026-04"
    verify(rpc, fix["correction"])

    stats = rpc.monthly_statistics(month="2026-03", division_code="620102")
    assert stats["records"] == {"recorded": 0, "verified": 7, "superseded": 0}
    assert stats["persons_served"] == 1 and stats["providers"] == 3
    assert sorted(stats["closed_units"]) == [f"institution:{INSTITUTION}",
                                             f"township:{LZ_TOWNSHIP}"]

    clock_of(svc).set(datetime(2026, 5, 1, 9, tzinfo=SHANGHAI))
    april = rpc.close_month(month="2026-04", division_code=LZ_TOWNSHIP, closed_by="lin")
    # late verification 30.00, reversal -30.00, correction 60.00
    assert april["total_amount"] == "60.00" and april["records"] == 2
    [line] = april["lines"]
    assert (line["records"], line["minutes"], line["amount"]) == (1, 120, "60.00")
    assert [c["month"] for c in rpc.list_month_closes(division_code="620102")["items"]] == [
        "2026-04", "2026-03", "2026-03"]
