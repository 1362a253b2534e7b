"""Pure rules of services_log: catalogues, record checks, quantities, close
units, time-bank arithmetic."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from doudi_common.dates import SHANGHAI
from doudi_common.errors import Conflict, Invalid
from doudi_common.testing.idnumbers import make_id_number
from doudi_contracts.vocab import SERVICE_ITEMS
from doudi_services_log import policy
from doudi_services_log.domain import catalogue, timebank
from doudi_services_log.domain.records import (
    CardView,
    Provider,
    amount_for,
    check_against_card,
    check_frequency,
    close_unit,
    parse_provider,
    quantity_for,
    service_times,
)

QINGYUNPU = policy.require_jurisdiction("360104")
LANZHOU = policy.require_jurisdiction("620100")
PERSON = make_id_number(region="620102", birth="19450301", seq=11)
HELPER = make_id_number(region="620102", birth="19700505", seq=21, female=True)
NOW = datetime(2026, 3, 20, 10, tzinfo=SHANGHAI)


def test_catalogue_codes_are_contract_vocabulary():
    for j in policy.JURISDICTIONS.values():
        codes = [i.code for i in j.items]
        assert len(codes) == len(set(codes))
        assert set(codes) <= set(SERVICE_ITEMS)
        assert all(i.unit in catalogue.UNITS and i.clause.startswith(j.pack) for i in j.items)
    assert len(QINGYUNPU.items) == 18 and len(LANZHOU.items) == 7


@pytest.mark.parametrize("code, expected", [
    ("620102001001", "620100"), ("620100", "620100"), ("360104002", "360104"),
    ("360103", None), ("341502001001", None)])
def test_jurisdiction_by_division(code, expected):
    found = policy.jurisdiction_for(code)
    assert (found.code if found else None) == expected


def test_times_and_quantities():
    t = service_times("2026-03-10T09:00:00+08:00", "2026-03-10T10:30:00+08:00")
    assert (t.minutes, t.served_on, t.month) == (90, date(2026, 3, 10), "2026-03")
    # UTC input is read on the Shanghai calendar
    t = service_times("2026-03-31T17:00:00Z", "2026-03-31T18:00:00Z")
    assert (t.served_on, t.month) == (date(2026, 4, 1), "2026-04")
    assert quantity_for("hour", 90, None) == Decimal("1.50")
    assert quantity_for("hour", 20, None) == Decimal("0.33")
    assert quantity_for("meal", 20, 3) == Decimal("3.00")
    assert quantity_for("visit", 20, None) == Decimal("1.00")
    for bad in (0, 51, 1.5, True, "2"):
        with pytest.raises(Invalid):
            quantity_for("meal", 20, bad)
    assert amount_for(True, Decimal("30.00"), Decimal("0.33")) == Decimal("9.90")
    assert amount_for(True, None, Decimal("1.00")) is None
    assert amount_for(False, Decimal("30.00"), Decimal("1.00")) is None


def test_providers():
    p = parse_provider({"kind": "neighbor", "id_number": HELPER.lower(), "uscc": None})
    assert p.key == f"id:{HELPER}"
    for bad in ({"kind": "neighbor", "uscc": "12341500MB1234567G", "id_number": None},
                {"kind": "institution", "uscc": None, "id_number": HELPER},
                {"kind": "robot", "uscc": None, "id_number": HELPER},
                {"kind": "social_worker", "uscc": "12341500MB1234567G", "id_number": HELPER},
                {"kind": "neighbor", "uscc": None, "id_number": "123"}, "neighbor"):
        with pytest.raises(Invalid):
            parse_provider(bad)


def _card(**kw):
    base = {"id_number": PERSON, "service_no": "FWK-620102001-00001", "status": "active",
            "issued_on": date(2026, 3, 2), "ended_on": None, "items": {"cleaning": 2},
            "providers": [Provider("neighbor", None, HELPER)]}
    base.update(kw)
    return CardView(**base)


def _reason(card, start="2026-03-10T09:00:00+08:00", end="2026-03-10T10:00:00+08:00",
            item="cleaning", died=None, provider=None):
    try:
        check_against_card(card, id_number=PERSON, item=item,
                           provider=provider or Provider("neighbor", None, HELPER),
                           times=service_times(start, end), now=NOW, date_of_death=died)
    except (Invalid, Conflict) as exc:
        return exc.fields["reason"]
    return None


def test_card_rules_in_order():
    assert _reason(_card()) is None
    assert _reason(None) == "no_card"
    assert _reason(_card(status="pending_assessment")) == "card_not_issued"
    assert _reason(_card(status="suspended")) == "card_suspended"
    assert _reason(_card(status="ended", ended_on=date(2026, 3, 9))) == "card_ended"
    assert _reason(_card(status="ended", ended_on=date(2026, 3, 10))) is None
    # death is named before the card's own end
    assert _reason(_card(status="ended", ended_on=date(2026, 3, 9)),
                   died=date(2026, 3, 9)) == "after_death"
    assert _reason(_card(issued_on=date(2026, 3, 11))) == "before_card"
    assert _reason(_card(), start="2026-03-20T09:30:00+08:00",
                   end="2026-03-20T10:30:00+08:00") == "in_future"
    assert _reason(_card(), item="meals") == "item_not_granted"
    assert _reason(_card(), provider=Provider("volunteer", None, PERSON)) == \
        "provider_not_assigned"
    assert _reason(_card(providers=[Provider("neighbor", None, HELPER, items=("meals",))])) == \
        "provider_not_for_item"
    check_frequency(_card(), "cleaning", 1)
    with pytest.raises(Conflict):
        check_frequency(_card(), "cleaning", 2)
    check_frequency(_card(items={"cleaning": None}), "cleaning", 999)


def test_close_unit():
    assert close_unit("institution", "12341500MB1234567G", "620102001001") == (
        "institution", "12341500MB1234567G")
    assert close_unit("organisation", "12341500MB1234567G", "620102001001") == (
        "township", "620102001")
    assert close_unit("neighbor", None, "620102") == ("township", "620102")


def test_time_bank_rules():
    assert timebank.hours(150) == "2.50"
    assert timebank.check_debit(150, 150) == 0
    with pytest.raises(Conflict) as excinfo:
        timebank.check_debit(150, 151)
    assert excinfo.value.fields["reason"] == "insufficient_balance"
    for bad in (0, -1, 1.5, True):
        with pytest.raises(Invalid):
            timebank.check_minutes(bad)
    timebank.check_transfer(LANZHOU, "spouse", PERSON, HELPER)
    with pytest.raises(Conflict):
        timebank.check_transfer(QINGYUNPU, "spouse", PERSON, HELPER)
    with pytest.raises(Conflict):
        timebank.check_transfer(None, "spouse", PERSON, HELPER)
    with pytest.raises(Invalid):
        timebank.check_transfer(LANZHOU, "neighbour", PERSON, HELPER)


def test_time_to_resolve_is_the_median_and_the_longest_in_minutes():
    from datetime import datetime, timedelta

    from doudi_services_log.domain.alerts import time_to_resolve

    t0 = datetime(2026, 3, 1, 8, 0)
    spans = [(t0, t0 + timedelta(minutes=m)) for m in (30, 10, 95, 20)]
    assert time_to_resolve(spans) == {"median_minutes": 25.0, "max_minutes": 95}
    assert time_to_resolve(spans[:3]) == {"median_minutes": 30.0, "max_minutes": 95}
    assert time_to_resolve([]) == {"median_minutes": None, "max_minutes": None}
