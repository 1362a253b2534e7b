"""Pure rules of a card's, a record's, a visit's, an alert's and a month
close's life (domain/cards, records, visits, alerts, closes)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from doudi_common.dates import SHANGHAI, next_month
from doudi_common.errors import Conflict, Invalid
from doudi_common.testing.idnumbers import make_id_number
from doudi_services_log import policy
from doudi_services_log.domain import alerts, cards, catalogue, closes, records, visits

PERSON = make_id_number(region="620102", birth="19450301", seq=11)
HELPER = make_id_number(region="620102", birth="19700505", seq=21, female=True)
LANZHOU = policy.require_jurisdiction("620100")
TODAY = date(2026, 3, 20)
NOW = datetime(2026, 3, 20, 10, tzinfo=SHANGHAI)


def reason(exc_info) -> str:
    return exc_info.value.fields["reason"]


# -- cards --------------------------------------------------------------------------

def test_a_move_into_or_out_of_centralised_care_suspends_an_active_card():
    values, action = cards.care_mode_change("active", "home", "centralized")
    assert action == "suspended" and values["status"] == "suspended"
    assert "待重新评估" in values["suspended_reason"]
    values, action = cards.care_mode_change("active", "home", "day_care")
    assert action == "enrolment_changed" and values == {"care_mode": "day_care"}
    assert cards.care_mode_change("pending_assessment", "centralized", "home")[1] \
        == "enrolment_changed"


def test_granted_items_come_from_the_catalogue_once_each_with_a_sane_frequency():
    code = LANZHOU.items[0].code
    assert cards.granted_items(LANZHOU, [{"code": code, "times_per_month": 4}]) == [(code, 4)]
    for bad, why in (([], "no_items"), (["x"], "bad_items"),
                     ([{"code": code}, {"code": code}], "bad_items"),
                     ([{"code": code, "times_per_month": 401}], "bad_items"),
                     ([{"code": code, "times_per_month": True}], "bad_items")):
        with pytest.raises(Invalid) as err:
            cards.granted_items(LANZHOU, bad)
        assert reason(err) == why
    with pytest.raises(Invalid):
        cards.granted_items(LANZHOU, [{"code": "no-such-item"}])


def test_providers_are_assigned_once_and_never_the_person():
    helper = {"kind": "neighbor", "id_number": HELPER}
    assert [p.id_number for p in cards.assigned_providers(LANZHOU, PERSON, [helper])] == [HELPER]
    for bad, why in (([], "no_providers"), ([helper, helper], "bad_provider"),
                     ([{"kind": "neighbor", "id_number": PERSON}], "bad_provider")):
        with pytest.raises(Invalid) as err:
            cards.assigned_providers(LANZHOU, PERSON, bad)
        assert reason(err) == why


def test_a_card_is_issued_on_a_past_assessment_for_a_living_person():
    cards.check_assessment(TODAY, TODAY, None)
    with pytest.raises(Invalid):
        cards.check_assessment(TODAY + timedelta(days=1), TODAY, None)
    with pytest.raises(Conflict) as err:
        cards.check_assessment(TODAY, TODAY, date(2026, 3, 1))
    assert reason(err) == "after_death"


@pytest.mark.parametrize(("check", "allowed"), [
    (cards.check_can_issue, {"pending_assessment", "ended"}),
    (cards.check_can_change, {"active", "suspended"}),
    (cards.check_can_suspend, {"active"}),
    (cards.check_can_resume, {"suspended"}),
])
def test_card_transitions(check, allowed):
    for status in cards.STATUSES:
        if status in allowed:
            check(status)
        else:
            with pytest.raises(Conflict):
                check(status)


def test_an_ended_card_only_narrows_and_documents_are_of_listed_kinds():
    assert cards.narrows_end(None, TODAY) and cards.narrows_end(TODAY, TODAY - timedelta(1))
    assert not cards.narrows_end(TODAY, TODAY)
    cards.check_document_kind("needs_form")
    with pytest.raises(Invalid):
        cards.check_document_kind("selfie")
    with pytest.raises(Invalid):
        cards.check_status_filter("lost")
    assert cards.service_number("620102001", 7) == "FWK-620102001-00007"


def test_an_item_price_is_a_non_negative_yuan_string():
    assert str(catalogue.unit_price("35.5")) == "35.50"
    assert catalogue.unit_price(None) is None
    for bad in (35, "-1"):
        with pytest.raises(Invalid):
            catalogue.unit_price(bad)


# -- records ------------------------------------------------------------------------

def test_a_batch_is_a_non_empty_list_of_at_most_5000():
    assert records.check_batch([{}]) == [{}]
    for bad, why in (([], "bad_record"), ({}, "bad_record"), ([{}] * 5001, "too_many")):
        with pytest.raises(Invalid) as err:
            records.check_batch(bad)
        assert reason(err) == why
    with pytest.raises(Invalid) as err:
        records.check_is_record({"service_item": None})
    assert reason(err) == "unknown_item"


def test_verification_once_by_the_person_or_township_staff():
    assert records.check_verifier("person") == "person"
    with pytest.raises(Invalid):
        records.check_verifier("institution")
    records.check_verifiable("recorded", None)
    for status, why in (("verified", "already_verified"), ("superseded", "superseded")):
        with pytest.raises(Conflict) as err:
            records.check_verifiable(status, "SR-2")
        assert reason(err) == why


def test_corrections_change_listed_fields_of_the_latest_version_only():
    assert records.check_changes({"notes": "x"}) == {"notes": "x"}
    with pytest.raises(Invalid) as err:
        records.check_changes({"id_number": PERSON})
    assert err.value.fields["unknown"] == ["id_number"]
    with pytest.raises(Invalid):
        records.check_changes({})
    with pytest.raises(Invalid):
        records.check_correctable("reversal", "verified", None)
    with pytest.raises(Conflict):
        records.check_correctable("record", "recorded", "SR-9")


ORIGINAL = {"seq": 1, "record_id": "SR-1", "id_number": PERSON, "service_item": "cleaning",
            "provider_kind": "neighbor", "provider_uscc": None, "provider_id_number": HELPER,
            "provider_name": "李四", "started_at": NOW, "ended_at": NOW + timedelta(hours=1),
            "quantity": 1, "unit": "visit", "place": None, "notes": None, "evidence_ref": "E",
            "worker_id_number": None, "minutes": 60, "amount": 30, "worker_key": "id:x"}


def test_a_correction_keeps_the_facts_and_applies_the_changes():
    payload = records.correction_payload(ORIGINAL, {"notes": "改"}, by="张", reason="错")
    assert payload["notes"] == "改" and payload["provider"]["id_number"] == HELPER
    assert payload["recorded_by"] == "张" and payload["quantity"] == 1


def test_a_paid_record_of_a_closed_month_is_reversed_not_changed():
    rev = records.reversal_of(ORIGINAL, record_id="SR-2", settle_month="2026-04", by="张",
                              now=NOW, reason="错")
    assert (rev["minutes"], rev["quantity"], rev["amount"]) == (-60, -1, -30)
    assert rev["corrects"] == "SR-1" and rev["settle_month"] == "2026-04"
    assert "seq" not in rev and rev["worker_key"] == "id:x/reversal"
    assert records.status_after_correction("verified", locked=True) == "verified"
    assert records.status_after_correction("verified", locked=False) == "superseded"
    assert records.status_after_correction("recorded", locked=True) == "superseded"


# -- visits, alerts, month close -------------------------------------------------------

def test_visits():
    visits.check_kind("neighbor")
    with pytest.raises(Invalid):
        visits.check_kind("drive-by")
    assert visits.check_interval(30) == 30
    for bad in (0, 367, True, "7"):
        with pytest.raises(Invalid):
            visits.check_interval(bad)
    with pytest.raises(Conflict):
        visits.check_schedulable(TODAY)
    visits.check_visit_day(TODAY, TODAY, TODAY)
    with pytest.raises(Invalid):
        visits.check_visit_day(TODAY + timedelta(1), TODAY, None)
    with pytest.raises(Conflict):
        visits.check_visit_day(TODAY, TODAY, TODAY - timedelta(1))
    assert visits.next_due(TODAY, 7) == TODAY + timedelta(7)
    assert visits.moves_schedule(None, TODAY) and not visits.moves_schedule(TODAY,
                                                                            TODAY - timedelta(1))


def test_alerts():
    alerts.check_kind("doorbell")
    with pytest.raises(Invalid):
        alerts.check_kind("fire-drill")
    with pytest.raises(Invalid):
        alerts.check_raised_at(NOW + timedelta(minutes=1), NOW)
    alerts.check_can_acknowledge("raised")
    for status in ("acknowledged", "resolved"):
        with pytest.raises(Conflict):
            alerts.check_can_acknowledge(status)
    alerts.check_can_resolve("acknowledged")
    with pytest.raises(Conflict):
        alerts.check_can_resolve("resolved")
    with pytest.raises(Invalid):
        alerts.check_status_filter("open")


def test_month_close():
    assert closes.close_unit_of("620102001", None) == ("township", "620102001")
    assert closes.close_unit_of("620102001001", "12620100MB0000000X")[0] == "institution"
    with pytest.raises(Invalid) as err:
        closes.close_unit_of("620102001001", None)
    assert reason(err) == "bad_unit"
    with pytest.raises(Invalid):
        closes.close_unit_of(None, None)
    closes.check_month_over("2026-02", TODAY)
    with pytest.raises(Conflict):
        closes.check_month_over("2026-03", TODAY)
    with pytest.raises(Conflict):
        closes.check_not_closed(True, "2026-02")
    with pytest.raises(Conflict) as err:
        closes.check_recordable(True, "2026-02")
    assert reason(err) == "month_closed"
    assert next_month("2026-12") == "2027-01"
    assert closes.lookup_unit(None, "x") == "institution"
    with pytest.raises(Invalid):
        closes.lookup_unit(None, None)
