"""Registry, licences (expiry alerts), grade, staff, medical-insurance
designation, catalogue prices (effective dates, never retroactive)."""

from __future__ import annotations

from datetime import date

import pytest
from doudi_common.clock import clock_of
from doudi_common.errors import Conflict, Invalid, NotFound
from doudi_common.testing.fixtures import count_rows, wait_for
from doudi_common.testing.idnumbers import make_id_number
from doudi_institutions.testing import TODAY, make_uscc, open_home

REG = {"name": "金安区中心敬老院", "legal_form": "public_institution", "kind": "tekun_home",
       "operating_model": "public_built_private_run", "division_code": "341502100",
       "contact_phone": "13812345678"}


def test_register_validates_and_keeps_history(institutions):
    container, rpc = institutions
    code = make_uscc(7)
    with pytest.raises(Invalid) as exc:
        rpc.register_institution(uscc=code[:-1] + ("0" if code[-1] != "0" else "1"), **REG)
    assert exc.value.fields["reason"] == "bad_checksum"
    with pytest.raises(Invalid):
        rpc.register_institution(uscc=code, **{**REG, "legal_form": "llc"})
    with pytest.raises(Invalid):
        rpc.register_institution(uscc=code, **{**REG, "division_code": "341500"})
    inst = rpc.register_institution(uscc=code, **REG)
    assert inst["status"] == "preparing" and inst["county_code"] == "341502"
    assert inst["contact_phone"] == "138****5678"
    with pytest.raises(Conflict):
        rpc.register_institution(uscc=code, **REG)
    rpc.set_status(uscc=code, status="open", on="2026-03-02", reason="验收通过")
    with pytest.raises(Conflict):
        rpc.set_status(uscc=code, status="preparing", on="2026-03-02", reason="x")
    inst = rpc.update_institution(uscc=code, address="金安区三十铺镇", operator="某养老公司")
    assert inst["address"] == "金安区三十铺镇"
    with pytest.raises(Invalid):
        rpc.update_institution(uscc=code, status="closed")
    assert [h["status"] for h in inst["status_history"]] == ["preparing", "open"]
    listed = rpc.list_institutions(division_code="341500", page=1, per_page=10)
    assert listed["total"] == 1 and listed["items"][0]["uscc"] == code
    assert rpc.list_institutions(division_code="330100")["total"] == 0
    with pytest.raises(NotFound):
        rpc.get_institution(uscc=make_uscc(8))
    assert count_rows(container, "outbox", event_type="institution.registered") == 1


def test_close_refused_with_residents_then_history_kept(institutions):
    container, rpc = institutions
    home = open_home(rpc)
    placement = rpc.admit(id_number=make_id_number(seq=1), uscc=home, admitted_on="2026-03-02",
                          care_level="full", division_code="341502001001")
    with pytest.raises(Conflict) as exc:
        rpc.set_status(uscc=home, status="closed", on="2026-03-02", reason="撤并")
    assert exc.value.fields["reason"] == "has_residents"
    rpc.discharge(placement_id=placement["placement_id"], discharged_on="2026-03-03",
                  reason="voluntary")
    inst = rpc.set_status(uscc=home, status="closed", on="2026-03-04", reason="撤并")
    assert [h["status"] for h in inst["status_history"]] == ["open", "closed"]
    assert count_rows(container, "outbox", event_type="institution.closed") == 1


def test_grade_and_staff(institutions):
    container, rpc = institutions
    home = open_home(rpc, beds=4)
    with pytest.raises(Invalid):
        rpc.set_grade(uscc=home, grade=6, assessed_on="2026-02-01")
    inst = rpc.set_grade(uscc=home, grade=3, assessed_on="2026-02-01")
    assert inst["grade"] == 3 and inst["grade_history"] == [
        {"grade": 3, "assessed_on": "2026-02-01"}]
    assert count_rows(container, "outbox", event_type="institution.graded") == 1
    rpc.admit(id_number=make_id_number(seq=1), uscc=home, admitted_on="2026-03-02",
              care_level="full", division_code="341502001001")
    staff = rpc.set_staff(uscc=home, nurses=1, carers=2, safety_officers=1, social_workers=1)
    assert staff["carers_per_resident"] == "2.00"
    with pytest.raises(Invalid):
        rpc.set_staff(uscc=home, carers=-1)


def test_licence_expiry_alert_with_clock(institutions):
    container, rpc = institutions
    home = open_home(rpc)
    with pytest.raises(Invalid):
        rpc.add_licence(uscc=home, kind="medical_insurance", number="x", issuer="y",
                        valid_from="2026-01-01")
    rpc.add_licence(uscc=home, kind="food_business", number="JY1341502001", issuer="市场监管局",
                    valid_from="2021-06-01", valid_until="2026-06-30")
    rpc.add_licence(uscc=home, kind="fire_safety", number="XF-2020-1", issuer="消防救援大队",
                    valid_from="2020-01-01")
    assert rpc.licence_alerts(within_days=60)["total"] == 0
    clock_of(container).set(date(2026, 5, 15))
    alerts = rpc.licence_alerts(within_days=60)
    assert alerts["total"] == 1
    assert alerts["items"][0]["state"] == "expiring" and alerts["items"][0]["days_left"] == 46
    assert "licence_id" not in alerts["items"][0]
    assert rpc.run_deadline_checks()["licence_alerts"] == 1
    assert rpc.run_deadline_checks()["licence_alerts"] == 0     # once per expiry date
    assert count_rows(container, "outbox", event_type="licence.expiring") == 1
    clock_of(container).set(date(2026, 7, 1))
    assert rpc.licence_alerts()["items"][0]["state"] == "expired"


def test_designation_from_medical_insurance(institutions, publish_as):
    _container, rpc = institutions
    home = open_home(rpc)
    publish_as("medical_insurance", "designation.signed", {
        "institution_uscc": home, "agreement_no": "YB-341500-2026-017",
        "valid_from": "2026-03-01", "valid_until": "2028-02-29"})
    wait_for(lambda: rpc.get_institution(uscc=home)["designation"])
    assert rpc.get_institution(uscc=home)["designation"]["status"] == "active"
    kinds = [lic["kind"] for lic in rpc.list_licences(uscc=home)]
    assert kinds == ["medical_insurance"]
    publish_as("medical_insurance", "designation.terminated", {
        "institution_uscc": home, "agreement_no": "YB-341500-2026-017",
        "valid_from": "2026-03-01", "valid_until": "2026-03-01"})
    wait_for(lambda: rpc.get_institution(uscc=home)["designation"]["status"] == "terminated")


def test_designation_expiry_alert(institutions, publish_as):
    container, rpc = institutions
    home = open_home(rpc)
    publish_as("medical_insurance", "designation.signed", {
        "institution_uscc": home, "agreement_no": "YB-341500-2026-018",
        "valid_from": "2026-03-01", "valid_until": "2026-04-15"})
    wait_for(lambda: rpc.licence_alerts()["total"] == 1)
    alert = rpc.licence_alerts()["items"][0]
    assert (alert["kind"], alert["state"], alert["days_left"]) == ("medical_insurance",
                                                                   "expiring", 44)
    assert rpc.run_deadline_checks()["licence_alerts"] == 1
    assert rpc.run_deadline_checks()["licence_alerts"] == 0
    assert count_rows(container, "outbox", event_type="licence.expiring") == 1


def test_prices_effective_dates_never_retroactive(institutions):
    container, rpc = institutions
    home = open_home(rpc)          # prices from 2026-03-02 (today)
    with pytest.raises(Invalid) as exc:
        rpc.set_price(uscc=home, code="meals", price="700.00", effective_from="2026-03-01")
    assert exc.value.fields["reason"] == "retroactive"
    with pytest.raises(Conflict):
        rpc.set_price(uscc=home, code="meals", price="700.00", effective_from="2026-03-02")
    item = rpc.set_price(uscc=home, code="meals", price="700.00", effective_from="2026-04-01",
                         reason="物价上涨")
    assert item["price"] == "650.00"
    assert item["prices"] == [{"price": "650.00", "effective_from": "2026-03-02"},
                              {"price": "700.00", "effective_from": "2026-04-01"}]
    assert rpc.monthly_price(uscc=home, room_type="double", care_level="full",
                             on="2026-03-31")["monthly_price"] == "2650.00"
    assert rpc.monthly_price(uscc=home, room_type="double", care_level="full",
                             on="2026-04-01")["monthly_price"] == "2700.00"
    catalog = rpc.get_catalog(uscc=home, on="2026-04-15")
    assert {i["code"]: i["price"] for i in catalog}["meals"] == "700.00"
    # an admission before the change keeps its recorded price; one after gets the new one
    early = rpc.admit(id_number=make_id_number(seq=1), uscc=home, admitted_on="2026-03-10",
                      care_level="full", division_code="341502001001")
    late = rpc.admit(id_number=make_id_number(seq=2), uscc=home, admitted_on="2026-04-02",
                     care_level="full", division_code="341502001001")
    assert (early["monthly_price"], late["monthly_price"]) == ("2650.00", "2700.00")
    assert count_rows(container, "outbox", event_type="catalog.price_changed") == 4
    with pytest.raises(Invalid):
        rpc.add_catalog_item(uscc=home, code="bed-x", category="bed", name="单人间",
                             unit="month", price="900", effective_from="2026-03-02")
    with pytest.raises(Invalid):
        rpc.set_price(uscc=home, code="meals", price=1.5, effective_from="2026-05-01")


def test_pagination_bounds(institutions):
    _, rpc = institutions
    for n in range(1, 4):
        open_home(rpc, n=n, beds=0, prices=False)
    first = rpc.list_institutions(page=1, per_page=2)
    second = rpc.list_institutions(page=2, per_page=2)
    assert first["total"] == 3 and len(first["items"]) == 2 and len(second["items"]) == 1
    with pytest.raises(Invalid):
        rpc.list_institutions(per_page=1000)


def test_site_of_an_institution_and_catalogue_item_rules(institutions):
    _, rpc = institutions
    parent = open_home(rpc, n=1, beds=0, prices=False)
    site = rpc.register_institution(uscc=make_uscc(2), **{**REG, "kind": "day_care_centre",
                                                            "name": "三十铺村日间照料中心"},
                                     parent_uscc=parent)
    assert site["parent_uscc"] == parent and site["kind"] == "day_care_centre"
    with pytest.raises(NotFound):
        rpc.register_institution(uscc=make_uscc(3), **REG, parent_uscc=make_uscc(4))
    rpc.add_catalog_item(uscc=parent, code="bath", category="extra", name="助浴", unit="each",
                         price="15.00", effective_from="2026-03-02", monthly=False)
    with pytest.raises(Conflict):
        rpc.add_catalog_item(uscc=parent, code="bath", category="extra", name="助浴",
                             unit="each", price="15.00", effective_from="2026-03-02")
    assert rpc.monthly_price(uscc=parent)["monthly_price"] == "0.00"    # extras not monthly
    assert rpc.get_catalog(uscc=parent)[0]["price"] == "15.00"


def test_price_segments_follow_prices_and_care_level(institutions):
    _, rpc = institutions
    home = open_home(rpc)
    idn = make_id_number(seq=5)
    placement = rpc.admit(id_number=idn, uscc=home, admitted_on="2026-03-10",
                          care_level="full", division_code="341502001001")
    pid = placement["placement_id"]
    rpc.set_price(uscc=home, code="meals", price="700.00", effective_from="2026-04-16")
    with pytest.raises(Invalid):
        rpc.change_care_level(placement_id=pid, care_level="partial", on="2026-03-01")
    rpc.change_care_level(placement_id=pid, care_level="partial", on="2026-04-20")
    with pytest.raises(Invalid):
        rpc.change_care_level(placement_id=pid, care_level="full", on="2026-04-19")
    march = rpc.price_segments(placement_id=pid, month="2026-03")["segments"]
    assert march == [{"from": "2026-03-10", "until": "2026-03-31", "days": 22,
                      "care_level": "full", "monthly_price": "2650.00"}]
    rpc.discharge(placement_id=pid, discharged_on="2026-04-25", reason="voluntary")
    april = rpc.price_segments(placement_id=pid, month="2026-04")["segments"]
    assert [(s["from"], s["until"], s["care_level"], s["monthly_price"]) for s in april] == [
        ("2026-04-01", "2026-04-15", "full", "2650.00"),
        ("2026-04-16", "2026-04-19", "full", "2700.00"),
        ("2026-04-20", "2026-04-25", "partial", "1500.00")]     # no partial nursing item
    assert rpc.price_segments(placement_id=pid, month="2026-05")["segments"] == []


def test_reassessment_changes_care_level(institutions, publish_as):
    container, rpc = institutions
    home = open_home(rpc)
    idn = make_id_number(seq=6)
    placement = rpc.admit(id_number=idn, uscc=home, admitted_on="2026-03-02",
                          care_level="partial", division_code="341502001001")
    publish_as("health", "assessment.completed", {
        "id_number": idn, "assessment_id": "PG-341500-2026-000123",
        "standard": "GB/T 42195-2022", "level": 4, "incapacity_level": "full",
        "assessed_on": "2026-03-05", "valid_until": "2027-03-04",
        "assessor_uscc": "12341500485912345J"})
    wait_for(lambda: rpc.get_placement(placement_id=placement["placement_id"])["care_level"]
             == "full")
    segments = rpc.price_segments(placement_id=placement["placement_id"],
                                  month="2026-03")["segments"]
    assert [(s["from"], s["monthly_price"]) for s in segments] == [
        ("2026-03-02", "1450.00"), ("2026-03-05", "2650.00")]
    assert count_rows(container, "care_level_changes") == 2


def test_puyang_2020_s4_3_co_housing_site_shows_its_public_welfare_post_duty(institutions):
    """A co-housing site (居村联养点) in puyang: each household lives in its own
    dwelling (a room); from the fifth household on, the township must arrange one
    public-welfare post (puyang-2020 §四(三)); the view says whether it has."""
    _, rpc = institutions
    site = open_home(rpc, n=5, beds=0, division="410928001", kind="co_housing_site",
                     room_type="single", prices=False)
    for room in range(1, 6):
        rpc.add_room(uscc=site, room_no=f"户{room}", room_type="single", beds=[f"户{room}-1"])
    rpc.add_catalog_item(uscc=site, code="bed-single", category="bed", name="联养住房",
                         unit="month", price="0.00", effective_from=TODAY.isoformat(),
                         room_type="single")
    for seq in range(1, 5):
        rpc.admit(id_number=make_id_number(region="410928", seq=seq), uscc=site,
                  admitted_on="2026-03-02", care_level="partial",
                  division_code="410928001001")
    duty = rpc.get_institution(uscc=site)["co_housing_post"]
    assert (duty["households"], duty["required_posts"], duty["met"]) == (4, 0, True)
    rpc.admit(id_number=make_id_number(region="410928", seq=5), uscc=site,
              admitted_on="2026-03-02", care_level="partial", division_code="410928001001")
    duty = rpc.get_institution(uscc=site)["co_housing_post"]
    assert (duty["households"], duty["required_posts"], duty["posts"], duty["met"]) == \
        (5, 1, 0, False)
    assert duty["clause"] == "puyang-2020 §四(三)" and duty["arranged_by"] == "township"
    staffed = rpc.set_staff(uscc=site, public_welfare_posts=1)
    assert staffed["staff"]["public_welfare_posts"] == 1
    assert staffed["co_housing_post"]["met"] is True
    # a care home in puyang, or a co-housing site elsewhere, has no such duty
    assert rpc.get_institution(uscc=open_home(rpc, n=6, division="410928001"))[
        "co_housing_post"] is None
    elsewhere = open_home(rpc, n=7, division="341502001", kind="co_housing_site")
    assert rpc.get_institution(uscc=elsewhere)["co_housing_post"] is None
