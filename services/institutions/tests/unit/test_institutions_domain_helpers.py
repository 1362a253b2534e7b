"""Pure helpers moved out of service.py: references, designations, licence
alerts, monthly totals, findings and county statistics."""

from datetime import date
from decimal import Decimal

import pytest
from doudi_common.errors import Invalid, NotFound
from doudi_institutions.domain import catalogue as catalogue_rules
from doudi_institutions.domain import consolidation as cons
from doudi_institutions.domain import inspections as inspections_rules
from doudi_institutions.domain import licences as licences_rules
from doudi_institutions.domain import references as references_rules
from doudi_institutions.domain import registry as registry_rules


def test_placement_and_inspection_references_round_trip():
    assert references_rules.placement_no(7) == "PL-7"
    assert references_rules.placement_pk("PL-7") == 7
    assert references_rules.inspection_pk("INS-12") == 12


@pytest.mark.parametrize("text", ["7", "PL-", "PL-x", "INS-7", None, "PL-0", "PL-²",
                                  "PL-83646162956"])  # beyond the key column: nothing
def test_bad_placement_reference_is_not_found(text):
    with pytest.raises(NotFound):
        references_rules.placement_pk(text)


@pytest.mark.parametrize("text", ["PL-3", "INS-6246162956"])
def test_bad_inspection_reference_is_not_found(text):
    with pytest.raises(NotFound):
        references_rules.inspection_pk(text)


def test_month_bounds():
    assert references_rules.month_bounds("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    with pytest.raises(Invalid) as exc:
        references_rules.month_bounds("2024-13")
    assert exc.value.fields["reason"] == "bad_month"


@pytest.mark.parametrize("name", ["", "   ", None, "x" * 101])
def test_bad_name(name):
    with pytest.raises(Invalid):
        registry_rules.check_name(name)


def test_name_is_stripped_and_county_level_needed():
    assert registry_rules.check_name(" 敬老院 ") == "敬老院"
    assert registry_rules.check_county_or_below("341502") == "341502"
    with pytest.raises(Invalid) as exc:
        registry_rules.check_county_or_below("341500")
    assert exc.value.fields["reason"] == "not_county"


def test_staff_counts_and_ratio():
    registry_rules.check_staff_counts({"carers": 0, "nurses": 3})
    for bad in (-1, True, 1.5, "2"):
        with pytest.raises(Invalid) as exc:
            registry_rules.check_staff_counts({"carers": bad})
        assert exc.value.fields["field"] == "carers"
    assert registry_rules.carers_per_resident(3, 0) is None
    assert registry_rules.carers_per_resident(1, 3) == "0.33"


def _designation(no, status, start, end):
    return {"agreement_no": no, "status": status, "valid_from": start, "valid_until": end}


def test_designation_status_prefers_the_active_one():
    on = date(2026, 6, 1)
    rows = [_designation("B", "signed", date(2027, 1, 1), date(2027, 12, 31)),
            _designation("A", "signed", date(2026, 1, 1), date(2026, 12, 31))]
    assert registry_rules.designation_status(rows, on)["agreement_no"] == "A"
    assert registry_rules.designation_status(rows, on)["status"] == "active"
    assert registry_rules.designation_status(rows[:1], on)["status"] == "not_yet_valid"
    old = [_designation("C", "signed", date(2024, 1, 1), date(2025, 1, 1))]
    assert registry_rules.designation_status(old, on)["status"] == "expired"
    ended = [_designation("D", "terminated", date(2026, 1, 1), date(2026, 12, 31))]
    assert registry_rules.designation_status(ended, on)["status"] == "terminated"
    assert registry_rules.designation_status([], on) is None


def test_licence_alerts_sorted_and_filtered():
    today = date(2026, 6, 1)
    base = {"uscc": "U1", "name": "n", "number": "1", "division_code": "341502",
            "alerted_until": None, "institution_id": 1}
    licences = [{**base, "id": 1, "kind": "fire", "valid_until": date(2026, 7, 1)},
                {**base, "id": 2, "kind": "food", "valid_until": date(2027, 1, 1)},
                {**base, "id": 3, "kind": "other", "valid_until": date(2026, 5, 1)}]
    designations = [{**base, "agreement_no": "YB1", "valid_until": date(2026, 6, 10)}]
    alerts = licences_rules.licence_alerts(licences, designations, today, 60)
    assert [(a["licence_id"], a["state"], a["days_left"]) for a in alerts] == [
        (3, "expired", -31), (None, "expiring", 9), (1, "expiring", 30)]
    assert alerts[1]["kind"] == "medical_insurance" and alerts[1]["number"] == "YB1"


def test_monthly_total_takes_matching_items_in_force():
    bed = {"code": "bed", "category": "bed", "room_type": "double", "care_level": None}
    nursing = {"code": "n-full", "category": "nursing", "room_type": None,
               "care_level": "full"}
    meals = {"code": "meals", "category": "meals", "room_type": None, "care_level": None}
    assert catalogue_rules.item_applies(bed, "double", "full")
    assert not catalogue_rules.item_applies(bed, "single", "full")
    assert not catalogue_rules.item_applies(nursing, "double", "partial")
    assert catalogue_rules.item_applies(meals, None, None)
    priced = [(bed, [(date(2026, 1, 1), Decimal(800)), (date(2026, 7, 1), Decimal(900))]),
              (meals, [(date(2026, 8, 1), Decimal(300))])]
    total, parts = catalogue_rules.monthly_total(priced, date(2026, 7, 15))
    assert total == Decimal("900.00")
    assert parts == [{"code": "bed", "price": "900.00"}]


def test_catalog_item_needs_room_type_or_care_level():
    catalogue_rules.check_catalog_item("meals", None, None)
    with pytest.raises(Invalid) as exc:
        catalogue_rules.check_catalog_item("bed", None, None)
    assert exc.value.fields["field"] == "room_type"
    with pytest.raises(Invalid) as exc:
        catalogue_rules.check_catalog_item("nursing", "double", None)
    assert exc.value.fields["field"] == "care_level"


def test_finding_checks():
    day = date(2026, 6, 1)
    good = {"severity": "minor", "description": "d", "rectify_by": "2026-06-30"}
    assert inspections_rules.check_finding(good, day) == date(2026, 6, 30)
    for bad, reason in (("x", "bad_finding"),
                        ({**good, "severity": "huge"}, "bad_choice"),
                        ({**good, "description": ""}, "missing"),
                        ({**good, "rectify_by": "2026-05-01"}, "bad_date")):
        with pytest.raises(Invalid) as exc:
            inspections_rules.check_finding(bad, day)
        assert exc.value.fields["reason"] == reason


def test_county_statistics():
    staff = {"nurses": 1, "carers": 2, "safety_officers": 0, "social_workers": 0,
             "other_staff": 1, "public_welfare_posts": 1}
    homes = [({"kind": "tekun_home", "grade": 2, **staff}, {"capacity": 3, "occupied": 1}),
             ({"kind": "care_home", "grade": None, **staff}, {"capacity": 0, "occupied": 0})]
    stats = cons.county_statistics("341502", homes, need=3, placed=1)
    assert stats["institutions"] == 2 and stats["tekun_institutions"] == 1
    assert stats["below_grade_3"] == 1 and stats["beds"] == 3
    assert stats["by_grade"] == {"2": 1, "none": 1}
    assert stats["occupancy"] == "0.3333" and stats["centralised_support_rate"] == "0.3333"
    assert stats["staff"] == {"nurses": 2, "carers": 4, "safety_officers": 0,
                              "social_workers": 0, "others": 2, "public_welfare_posts": 2}
    empty = cons.county_statistics("341502", [], need=0, placed=0)
    assert empty["occupancy"] is None and empty["centralised_support_rate"] is None
