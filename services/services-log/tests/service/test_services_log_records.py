"""Service records against the card (qingyunpu-2021 §五4): every rule refuses
with its own reason; verification; corrections keep the original."""

from __future__ import annotations

import pytest
from doudi_common.errors import Conflict, Invalid
from doudi_common.testing.fixtures import count_rows
from sl_testing import (
    ORG,
    PERSON,
    PERSON2,
    WORKER,
    at,
    neighbor,
    organisation,
    reason_of,
    record,
    volunteer,
)


def refused(call, *args, **kwargs) -> str:
    with pytest.raises((Invalid, Conflict)) as excinfo:
        call(*args, **kwargs)
    return reason_of(excinfo)


def test_a_good_record_is_priced_and_announced(svc, rpc, card):
    rec = record(rpc, at(10, 9), at(10, 10, 30), place="家中", evidence_ref="PHOTO-1",
                 notes="打扫卧室")
    assert rec["status"] == "recorded" and rec["entry_kind"] == "original"
    assert rec["card_no"] == card["service_no"] == "FWK-620102001-00001"
    assert (rec["minutes"], rec["unit"], rec["quantity"]) == (90, "hour", "1.50")
    assert (rec["unit_price"], rec["amount"]) == ("30.00", "45.00")
    assert rec["served_on"] == "2026-03-10" and rec["month"] == rec["settle_month"] == "2026-03"
    assert rec["provider"]["id_number"] and not rec["locked"]
    meal = record(rpc, at(10, 12), at(10, 12, 20), item="meals", quantity=2)
    assert (meal["quantity"], meal["amount"]) == ("2.00", "25.00")
    assert count_rows(svc, "outbox", event_type="service.recorded") == 2


def test_every_rule_refuses_with_its_reason(svc, rpc, card):
    first = record(rpc, at(10, 9), at(10, 10, 30))
    # the card
    assert refused(record, rpc, at(10, 9), at(10, 10), id_number=PERSON2) == "no_card"
    assert refused(record, rpc, at(1, 9), at(1, 10)) == "before_card"
    # time
    assert refused(record, rpc, at(20, 9, 30), at(20, 10, 30)) == "in_future"
    assert refused(record, rpc, at(11, 10), at(11, 9)) == "bad_times"
    assert refused(record, rpc, "2026-03-11T09:00:00", at(11, 10)) == "bad_times"
    assert refused(record, rpc, at(11, 9), at(12, 10)) == "bad_times"   # over 24 hours
    # item and provider
    assert refused(record, rpc, at(11, 9), at(11, 10), item="walking_help") == \
        "item_not_granted"
    assert refused(record, rpc, at(11, 9), at(11, 10), item="teleport") == "item_not_granted"
    assert refused(record, rpc, at(11, 9), at(11, 10),
                   provider=neighbor(id_number=WORKER)) == "provider_not_assigned"
    assert refused(record, rpc, at(11, 9), at(11, 10), item="bathing") == \
        "provider_not_for_item"
    assert refused(record, rpc, at(11, 9), at(11, 10),
                   provider={"kind": "neighbor", "uscc": ORG, "id_number": None}) == \
        "bad_provider"
    assert refused(record, rpc, at(11, 9), at(11, 10),
                   provider=neighbor(id_number=PERSON)) == "bad_provider"
    assert refused(record, rpc, at(11, 12), at(11, 12, 30), item="meals", quantity=0) == \
        "bad_quantity"
    # overlap: the same neighbour cannot be in two places at once
    with pytest.raises(Conflict) as excinfo:
        record(rpc, at(10, 10), at(10, 11), item="meals")
    assert reason_of(excinfo) == "overlap"
    assert excinfo.value.fields["record_id"] == first["record_id"]
    # ...but another provider at the same time is fine, and so are two workers of
    # one organisation; the same worker twice is not
    record(rpc, at(10, 9), at(10, 10), provider=organisation(), worker_id_number=WORKER)
    record(rpc, at(10, 9), at(10, 10), provider=organisation())
    assert refused(record, rpc, at(10, 9, 30), at(10, 10, 30), provider=organisation(),
                   worker_id_number=WORKER) == "overlap"
    # frequency: bathing is granted 4 times a month
    for day in (3, 4, 5, 6):
        record(rpc, at(day, 15), at(day, 16), item="bathing", provider=volunteer())
    assert refused(record, rpc, at(7, 15), at(7, 16), item="bathing",
                   provider=volunteer()) == "frequency_exceeded"
    # a suspended card takes no records until it is resumed
    rpc.suspend_card(id_number=PERSON, reason="住院", by="township:lin")
    assert refused(record, rpc, at(12, 9), at(12, 10)) == "card_suspended"
    rpc.resume_card(id_number=PERSON, by="township:lin")
    record(rpc, at(12, 9), at(12, 10))
    # nothing refused was stored
    assert count_rows(svc, "service_records") == 8


def test_verification(svc, rpc, card):
    rec = record(rpc, at(10, 9), at(10, 10, 30))
    assert refused(rpc.verify_record, record_id=rec["record_id"], verified_by="张大爷",
                   verifier_role="neighbour") == "bad_verifier"
    done = rpc.verify_record(record_id=rec["record_id"], verified_by="张大爷",
                             verifier_role="person", note="满意")
    assert done["status"] == "verified" and done["verifier_role"] == "person"
    assert done["verified_at"].startswith("2026-03-20T10:00:00")
    assert refused(rpc.verify_record, record_id=rec["record_id"], verified_by="林",
                   verifier_role="township_staff") == "already_verified"
    with pytest.raises(Exception) as excinfo:
        rpc.verify_record(record_id="SR-NOPE", verified_by="林", verifier_role="person")
    assert excinfo.value.fields["reason"] == "no_record"
    assert count_rows(svc, "outbox", event_type="service.verified") == 1


def test_correction_keeps_the_original(svc, rpc, card):
    rec = record(rpc, at(10, 9), at(10, 10, 30))
    assert refused(rpc.correct_record, record_id=rec["record_id"], changes={"amount": "1.00"},
                   reason="改价", corrected_by="林") == "bad_changes"
    out = rpc.correct_record(record_id=rec["record_id"],
                             changes={"started_at": at(10, 9, 15), "ended_at": at(10, 10, 15)},
                             reason="时间登记错误", corrected_by="township:lin")
    original, correction = out["original"], out["correction"]
    assert out["reversal"] is None
    assert original["status"] == "superseded"
    assert original["minutes"] == 90 and original["amount"] == "45.00"   # kept as it was
    assert original["corrected_by_record"] == correction["record_id"]
    assert correction["corrects"] == rec["record_id"] and correction["entry_kind"] == "correction"
    assert (correction["minutes"], correction["amount"]) == (60, "30.00")
    assert correction["status"] == "recorded"
    assert refused(rpc.verify_record, record_id=rec["record_id"], verified_by="张大爷",
                   verifier_role="person") == "superseded"
    assert refused(rpc.correct_record, record_id=rec["record_id"], changes={"notes": "x"},
                   reason="再改", corrected_by="林") == "superseded"
    # a correction is checked like any record
    assert refused(rpc.correct_record, record_id=correction["record_id"],
                   changes={"service_item": "bathing"}, reason="项目", corrected_by="林") == \
        "provider_not_for_item"
    assert count_rows(svc, "service_records") == 2
    listed = rpc.list_records(id_number=PERSON, month="2026-03", page=1, per_page=1)
    assert listed["total"] == 2 and len(listed["items"]) == 1 and listed["per_page"] == 1
    assert rpc.list_records(id_number=PERSON, status="superseded")["total"] == 1
    assert refused(rpc.list_records, page=0) == "bad_paging"


def test_batch_upload_is_all_or_nothing(svc, rpc, card):
    good = {"id_number": PERSON, "service_item": "cleaning", "provider": neighbor(),
            "recorded_by": "app"}
    batch = [{**good, "started_at": at(3, 9), "ended_at": at(3, 10)},
             {**good, "started_at": at(4, 9), "ended_at": at(4, 10)},
             {**good, "started_at": at(4, 9, 30), "ended_at": at(4, 10)}]
    with pytest.raises(Conflict) as excinfo:
        rpc.record_services(records=batch)
    assert reason_of(excinfo) == "overlap" and excinfo.value.fields["index"] == 2
    assert count_rows(svc, "service_records") == 0
    out = rpc.record_services(records=batch[:2])
    assert out["recorded"] == 2 and len(out["record_ids"]) == 2
    assert count_rows(svc, "service_records") == 2
    # a later upload is checked against what is stored: the worker's records
    # around its span are read in one query (one index scan per worker)
    later = [{**good, "started_at": at(5, 9), "ended_at": at(5, 10)},
             {**good, "started_at": at(4, 9, 30), "ended_at": at(4, 11)}]
    with pytest.raises(Conflict) as excinfo:
        rpc.record_services(records=later)
    assert reason_of(excinfo) == "overlap" and excinfo.value.fields["index"] == 1
    assert rpc.record_services(records=later[:1])["recorded"] == 1
    assert count_rows(svc, "service_records") == 3


def test_concurrent_overlapping_records_one_wins(svc, card, rabbit):
    """Six uploads of the same neighbour at the same time, in parallel over RPC:
    the per-provider lock lets exactly one through."""
    import eventlet
    from nameko.standalone.rpc import ServiceRpcProxy

    def attempt(minute):
        with ServiceRpcProxy("services_log", rabbit) as proxy:
            try:
                return record(proxy, at(10, 9, minute), at(10, 10, minute))["record_id"]
            except Conflict as exc:
                return exc.fields["reason"]

    outcomes = [g.wait() for g in [eventlet.spawn(attempt, m) for m in range(6)]]
    assert sorted(o for o in outcomes if not o.startswith("SR-")) == ["overlap"] * 5
    assert count_rows(svc, "service_records") == 1
