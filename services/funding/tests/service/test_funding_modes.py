"""Care modes and funds beyond the four channels: Puyang neighbour care,
serve-then-subsidise with the Qingyunpu pilot account, Hangzhou's management
fee, catalogue prices; the set-based ledger agrees with the domain postings."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from doudi_common.clock import clock_of
from doudi_common.testing.fixtures import count_rows, db_engine, wait_for
from doudi_common.testing.idnumbers import make_id_number
from doudi_funding.domain.ledger import settlement_postings
from doudi_funding.store.settlement import split_of
from funding_testing import call

INST = "12341500MB1234567G"
ORG = "52341502MJ0012345T"


def test_puyang_neighbour_care_pays_the_caregiver(funding, publish_as):
    """puyang-2020 §五 §六: the person's subsidies go to the caregiver as living
    money, and the county pays its caregiver subsidy each month."""
    person = make_id_number(region="410928", birth="19800101", seq=31)
    caregiver = make_id_number(region="410928", birth="19700505", seq=32)
    case = call(funding, "register_caregiver", person, caregiver, "410928001", "2026-03-01")
    assert case["kind"] == "neighbor"
    publish_as("cdpf", "subsidy.granted", {"id_number": person,
                                           "kind": "severe_disability_nursing_subsidy",
                                           "monthly_amount": "100.00", "from_month": "2026-01"})
    wait_for(lambda: count_rows(funding, "person_subsidies") == 1, message="subsidy")
    call(funding, "record_dibao", person, "450.00", "2026-01")
    run = call(funding, "settle_month", "410928", "2026-03")
    assert run["cases"] == 1 and run["caregiver_subsidy"] == "300.00"
    assert run["by_channel"] == {"own_subsidies": "550.00", "family_share": "0.00",
                                 "donations": "0.00", "county_cover": "300.00"}
    paid = call(funding, "list_payouts", "2026-03", division_code="410928")["items"]
    assert sorted((p["payee_kind"], p["purpose"], p["amount"]) for p in paid) == [
        ("caregiver", "caregiver_subsidy", "300.00"), ("caregiver", "living_money", "550.00")]
    assert all(p["payee_id_number_masked"].endswith(caregiver[-4:]) for p in paid)
    assert "*" in paid[0]["payee_id_number_masked"]
    assert call(funding, "reconciliation", "410928")["ok"]


def closed(division, month, lines, institution=None):
    providers: dict = {}
    for line in lines:
        key = (line["provider_kind"], line["provider_uscc"], line["provider_id_number"])
        p = providers.setdefault(key, {"provider_kind": key[0], "provider_uscc": key[1],
                                       "provider_id_number": key[2], "provider_name": None,
                                       "records": 0, "minutes": 0, "amount": 0})
        p["records"] += line["records"]
        p["minutes"] += line["minutes"]
        p["amount"] += int(line["amount"].replace(".", ""))
    total = sum(p["amount"] for p in providers.values())
    for p in providers.values():
        p["amount"] = f"{p['amount'] / 100:.2f}"
    return {"month": month, "division_code": division, "institution_uscc": institution,
            "records": sum(x["records"] for x in lines), "persons": len(lines),
            "minutes": sum(x["minutes"] for x in lines), "total_amount": f"{total / 100:.2f}",
            "unverified": 0, "closed_at": "2026-04-01T02:00:00+08:00",
            "providers": list(providers.values()), "lines": lines}


def line(person, amount, *, helper=None, org=None, item="cleaning", records=2):
    return {"id_number": person, "provider_kind": "neighbor" if helper else "organisation",
            "provider_uscc": org, "provider_id_number": helper, "service_item": item,
            "records": records, "minutes": 60 * records, "quantity": f"{records}.00",
            "amount": amount}


def test_serve_then_subsidise_from_the_pilot_special_account(funding, publish_as, event_tap):
    """qingyunpu-2021 §四(三)6 §六(二): verified services are paid to their
    providers from the pilot special account (专款专用) while it lasts."""
    tap = event_tap("funding", "payout.issued", user="cdpf")
    call(funding, "fund_pilot_account", "360104", "100.00", "2026-01-05", "区财政试点资金")
    a, b = make_id_number(region="360104", seq=41), make_id_number(region="360104", seq=42)
    helper = make_id_number(region="360104", birth="19650101", seq=43)
    publish_as("services_log", "month.closed", closed("360104001", "2026-03", [
        line(a, "60.00", helper=helper), line(b, "30.00", helper=helper, records=1),
        line(a, "80.00", org=ORG, item="meals")]))
    wait_for(lambda: count_rows(funding, "settlement_runs") == 1, message="settled")
    payouts = {(p["payee_kind"], p["amount"]) for p in
               call(funding, "list_payouts", "2026-03", division_code="360104")["items"]}
    assert payouts == {("caregiver", "90.00"), ("provider", "80.00")}
    balances = {x["code"]: x["balance"] for x in
                call(funding, "fund_balances", "360104")["accounts"]}
    assert balances["pilot:360104"] == "0.00"              # 100.00 used up first
    assert balances["service_subsidy:360104"] == "70.00"   # the rest from the budget
    tap.wait_for(lambda e: e["data"]["purpose"] == "service_subsidy"
                 and e["data"]["payee_kind"] == "provider")
    # another township of the same district closes later: paid in a batch of its own
    publish_as("services_log", "month.closed", closed("360104002", "2026-03", [
        line(b, "25.00", org=ORG)]))
    wait_for(lambda: count_rows(funding, "payouts") == 3, message="second batch paid")
    assert count_rows(funding, "settlement_runs") == 1
    statement = call(funding, "person_statement", a, "2026-03")
    assert statement["lines"] == [] and statement["service_subsidy"] == "140.00"
    assert {x["amount"] for x in statement["services"]} == {"60.00", "80.00"}
    summary = call(funding, "county_summary", "360104", month="2026-03")
    assert summary["service_subsidy"] == "195.00"      # 170.00 in the run + 25.00 later
    assert summary["by_channel"]["county_cover"] == "195.00"
    assert call(funding, "reconciliation", "360104")["ok"]


def test_hangzhou_2024_s5_2_management_fee_per_tekun_person_paid_by_the_township(
        funding, publish_as):
    """hangzhou-2024 §五(二) 乡镇(街道)……根据辖区集中供养的特困人员数量,按照每人每年一定标准
    支付相应服务管理费用: only for centralised tekun persons, owed by their township to
    the institution, and not part of the county's cover (issue 17 item 10)."""
    tekun, dibao = make_id_number(region="330102", seq=51), make_id_number(region="330102",
                                                                           seq=52)
    for n, (person, hardship, town) in enumerate(((tekun, "tekun", "330102001"),
                                                  (dibao, "dibao", "330102002")), 1):
        publish_as("eligibility", "enrolment.started", {
            "enrolment_id": f"ENR-HZ-{n}", "id_number": person, "division_code": town + "001",
            "care_mode": "centralized", "hardship": [hardship], "incapacity_level": "full",
            "started_on": "2026-03-01", "application_id": None, "institution_uscc": INST})
        publish_as("institutions", "placement.admitted", {
            "placement_id": f"PL-HZ-{n}", "id_number": person, "division_code": town + "001",
            "institution_uscc": INST, "care_mode": "centralized", "admitted_on": "2026-03-01",
            "bed_no": None, "monthly_price": "3000.00", "enrolment_id": f"ENR-HZ-{n}",
            "care_level": "full"})
    wait_for(lambda: count_rows(funding, "cases") == 2 and
             count_rows(funding, "care_levels") == 2, message="enrolments and placements")
    run = call(funding, "settle_month", "330102", "2026-03")
    assert run["management_fee"] == "100.00"          # 1200.00 a year, 1/12, one tekun person
    assert run["total"] == "6000.00"                  # the care cost of the two, nothing more
    statement = call(funding, "institution_statement", INST, "2026-03")
    assert statement["management_fee"] == "100.00"
    assert [p["amount"] for p in statement["payouts"]] == ["6100.00"]
    with db_engine(funding).connect() as conn:
        payers = conn.execute(sa.text(
            "SELECT e.party, e.amount_fen FROM ledger_entries e JOIN ledger_txns t USING (txn_id)"
            " WHERE t.purpose = 'management_fee' AND e.amount_fen > 0")).all()
    assert [tuple(r) for r in payers] == [("330102001", 10000)]  # the tekun person's township
    assert call(funding, "reconciliation")["ok"]


def test_cost_plan_from_catalogue_prices_with_a_mid_month_change(funding, publish_as):
    person = make_id_number(seq=61)
    items = [("bed-std", "bed", "600.00", None), ("nursing-partial", "nursing", "500.00",
                                                  "partial"),
             ("nursing-full", "nursing", "900.00", "full"), ("meals", "meals", "600.00", None),
             ("rehab", "rehabilitation", "150.00", None), ("supplies", "supplies", "50.00", None),
             ("overhead", "overhead", "100.00", None)]
    for code, category, price, level in items:
        publish_as("institutions", "catalog.price_changed", {
            "institution_uscc": INST, "item_code": code, "category": category, "name": code,
            "unit": "month", "price": price, "previous_price": None,
            "effective_from": "2026-01-01", "room_type": None, "care_level": level})
    # meals go up on the 16th of March
    publish_as("institutions", "catalog.price_changed", {
        "institution_uscc": INST, "item_code": "meals", "category": "meals", "name": "meals",
        "unit": "month", "price": "910.00", "previous_price": "600.00",
        "effective_from": "2026-03-16", "room_type": None, "care_level": None})
    publish_as("institutions", "placement.admitted", {
        "placement_id": "PL-CAT-1", "id_number": person, "division_code": "341502001001",
        "institution_uscc": INST, "care_mode": "centralized", "admitted_on": "2026-02-01",
        "bed_no": None, "monthly_price": "1.00", "enrolment_id": None,
        "care_level": "partial"})
    wait_for(lambda: count_rows(funding, "catalog_items") == 8 and
             count_rows(funding, "cases") == 1, message="catalogue and placement")
    feb = call(funding, "get_cost_plan", "PL-CAT-1", "2026-02")
    assert feb["monthly_total"] == "2000.00" and feb["items"]["nursing"] == "500.00"
    march = call(funding, "get_cost_plan", "PL-CAT-1", "2026-03")
    # 2000 * 15/31 + 2310 * 16/31 = 967.74 + 1192.26
    assert march["cost"] == "2160.00"
    assert [s["monthly_total"] for s in march["price_segments"]] == ["2000.00", "2310.00"]
    call(funding, "settle_month", "341502", "2026-03")
    lines = call(funding, "list_settlements", "2026-03", id_number=person)["items"]
    assert lines[0]["cost"] == "2160.00"


def test_set_based_ledger_agrees_with_the_domain_postings(funding, publish_as):
    people = [make_id_number(seq=70 + n) for n in range(4)]
    for n, person in enumerate(people):
        publish_as("institutions", "placement.admitted", {
            "placement_id": f"PL-AG-{n}", "id_number": person, "division_code": "341502001",
            "institution_uscc": INST if n % 2 else ORG, "care_mode": "centralized",
            "admitted_on": f"2026-03-0{n + 1}", "bed_no": None,
            "monthly_price": f"{1800 + 37 * n}.00", "enrolment_id": None, "care_level": None})
        publish_as("cdpf", "subsidy.granted", {"id_number": person,
                                               "kind": "disabled_living_allowance",
                                               "monthly_amount": "80.00",
                                               "from_month": "2026-01"})
    wait_for(lambda: count_rows(funding, "cases") == 4 and
             count_rows(funding, "person_subsidies") == 4, message="facts")
    call(funding, "set_self_pay_ratio", people[1], "0.20", "2026-01", "县民政局核定")
    call(funding, "record_donation", "341502", "333.33", "2026-03-02")
    call(funding, "record_donation", "341502", "100.00", "2026-03-02", earmark="institution",
         institution_uscc=INST)
    call(funding, "settle_month", "341502", "2026-03")
    engine = db_engine(funding)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM case_settlements")).all()
        assert len(rows) == 4
        for row in rows:
            expected = sorted((p.account, p.party or "", p.amount) for p in settlement_postings(
                split_of(row), row.county, id_number=row.id_number,
                payee=row.institution_uscc or row.caregiver_id_number))
            actual = sorted((a, p or "", n) for a, p, n in conn.execute(sa.text(
                "SELECT account, party, amount_fen FROM ledger_entries WHERE txn_id = :t"),
                {"t": row.txn_id}))
            assert actual == expected
        used = conn.execute(sa.text("SELECT sum(don_earmarked_fen), sum(don_pool_fen) "
                                    "FROM case_settlements")).one()
    assert tuple(used) == (10000, 33333)
    donation = call(funding, "list_donations", "341502")["items"][0]
    assert call(funding, "get_donation", donation["donation_id"])["balance"] == "0.00"
    assert call(funding, "reconciliation")["ok"]


def test_unknown_and_bad_department_events(funding, publish_as, dead_letters):
    person = make_id_number(seq=81)
    publish_as("cdpf", "certificate.revoked", {"id_number": person,
                                               "certificate_no": person + "41",
                                               "revoked_on": "2026-03-01", "reason": "注销"})
    publish_as("cdpf", "subsidy.granted", {"id_number": person, "kind": "dibao",
                                           "monthly_amount": "80.00", "from_month": "2026-01"})
    letters = wait_for(lambda: dead_letters("funding"), message="dead letter")
    assert letters[0][0] == "bad_data"
    wait_for(lambda: count_rows(funding, "inbox", event_type="certificate.revoked") == 1,
             message="ignored type acknowledged")
    assert count_rows(funding, "person_subsidies") == 0


def test_hospital_stays_are_recorded_and_the_bed_is_charged(funding, publish_as):
    person = make_id_number(seq=91)
    publish_as("institutions", "placement.admitted", {
        "placement_id": "PL-H-1", "id_number": person, "division_code": "341502001",
        "institution_uscc": INST, "care_mode": "centralized", "admitted_on": "2026-01-01",
        "bed_no": None, "monthly_price": "2000.00", "enrolment_id": None, "care_level": None})
    hospital = "12341500485912345J"
    publish_as("health", "hospital.admitted", {"id_number": person, "hospital_uscc": hospital,
                                               "on": "2026-03-05"})
    publish_as("health", "hospital.discharged", {"id_number": person,
                                                 "hospital_uscc": hospital, "on": "2026-03-20"})
    wait_for(lambda: count_rows(funding, "hospital_stays") == 1 and
             count_rows(funding, "inbox", event_type="hospital.discharged") == 1,
             message="stay recorded")
    with db_engine(funding).connect() as conn:
        assert conn.execute(sa.text("SELECT discharged_on FROM hospital_stays")).scalar_one() \
            == date(2026, 3, 20)
    call(funding, "settle_month", "341502", "2026-03")
    # luan-2021 sets no reduction for a hospital stay: the bed is kept and charged
    assert call(funding, "list_settlements", "2026-03", id_number=person)["items"][0]["cost"] \
        == "2000.00"


def test_puyang_centralised_care_topped_up_by_department_funds(funding, publish_as):
    """puyang-2020 §六: CDPF, civil-affairs and poverty funds carry the top-up
    before county finance."""
    person = make_id_number(region="410928", birth="19800101", seq=95)
    call(funding, "fund_topup_account", "410928", "cdpf", "500.00", "2026-01-10")
    call(funding, "fund_topup_account", "410928", "civil_affairs", "300.00", "2026-01-10")
    publish_as("institutions", "placement.admitted", {
        "placement_id": "PL-PY-1", "id_number": person, "division_code": "410928001",
        "institution_uscc": INST, "care_mode": "centralized", "admitted_on": "2026-02-01",
        "bed_no": None, "monthly_price": "2000.00", "enrolment_id": None, "care_level": None})
    wait_for(lambda: count_rows(funding, "cases") == 1, message="placement")
    call(funding, "record_dibao", person, "550.00", "2026-01")
    call(funding, "settle_month", "410928", "2026-03")
    summary = call(funding, "county_summary", "410928", month="2026-03")
    assert summary["by_channel"]["county_cover"] == "1450.00"
    assert summary["top_up_needed"] == "650.00"          # 1450 - 500 (CDPF) - 300 (civil)
    balances = {a["code"]: a["balance"] for a in call(funding, "fund_balances",
                                                      "410928")["accounts"]}
    assert balances["topup:410928:cdpf"] == "0.00"
    assert balances["topup:410928:civil_affairs"] == "0.00"
    assert balances["county_cover:410928"] == "650.00"
    with pytest.raises(Exception) as err:
        call(funding, "fund_topup_account", "410928", "lottery", "1.00", "2026-01-10")
    assert err.value.fields["reason"] == "bad_source"
    assert call(funding, "reconciliation")["ok"]


def test_calendar_settles_months_no_close_settled(funding, publish_as):
    person = make_id_number(seq=97)
    publish_as("institutions", "placement.admitted", {
        "placement_id": "PL-T-1", "id_number": person, "division_code": "341522001",
        "institution_uscc": INST, "care_mode": "centralized", "admitted_on": "2026-03-01",
        "bed_no": None, "monthly_price": "1500.00", "enrolment_id": None, "care_level": None})
    wait_for(lambda: count_rows(funding, "cases") == 1, message="placement")
    assert call(funding, "settle_overdue_months") == []          # the 3rd: not yet
    clock_of(funding).set(date(2026, 4, 5))
    assert call(funding, "settle_overdue_months") == ["ST-341522-2026-03"]
    assert call(funding, "settle_overdue_months") == []
    assert call(funding, "settlement_status", "341522", "2026-03")["total"] == "1500.00"


def test_a_transfer_splits_the_month_between_institutions(funding, publish_as):
    person = make_id_number(seq=99)
    publish_as("institutions", "placement.admitted", {
        "placement_id": "PL-TR-1", "id_number": person, "division_code": "341502001",
        "institution_uscc": ORG, "care_mode": "centralized", "admitted_on": "2026-01-01",
        "bed_no": None, "monthly_price": "3100.00", "enrolment_id": None, "care_level": None})
    moved = publish_as("institutions", "placement.transferred", {
        "placement_id": "PL-TR-1", "id_number": person, "division_code": "341502001",
        "from_institution_uscc": ORG, "to_institution_uscc": INST,
        "transferred_on": "2026-03-16", "consent_recorded": True, "care_level": "full",
        "to_placement_id": "PL-TR-2"})
    wait_for(lambda: count_rows(funding, "cases") == 2, message="transfer")
    call(funding, "settle_month", "341502", "2026-03")
    # money per institution (issue 18), by hand: 3,100.00 a month over 31 days,
    # 15 days at ORG and 16 at INST, all of it county cover (no subsidies)
    summary = call(funding, "county_summary", "341502", month="2026-03")

    def per_institution(s):
        return {(x["institution_uscc"], x["persons"], x["total"],
                 x["by_channel"]["county_cover"]) for x in s["by_institution"]}
    assert per_institution(summary) == {(ORG, 1, "1500.00", "1500.00"),
                                        (INST, 1, "1600.00", "1600.00")}
    assert summary["total"] == "3100.00"
    # the same transfer delivered again changes no figure
    publish_as("institutions", "placement.transferred", envelope=moved)
    # a later event on the same queue (another county's) shows the duplicate was taken
    publish_as("institutions", "placement.admitted", {
        "placement_id": "PL-TR-9", "id_number": make_id_number(region="341522", seq=97),
        "division_code": "341522001", "institution_uscc": ORG, "care_mode": "centralized",
        "admitted_on": "2026-03-01", "bed_no": None, "monthly_price": "3100.00",
        "enrolment_id": None, "care_level": None})
    wait_for(lambda: count_rows(funding, "cases") == 3, message="the later event")
    assert count_rows(funding, "inbox") == 3  # the duplicate left no row
    assert call(funding, "county_summary", "341502", month="2026-03") == summary
    lines = {x["case_id"]: (x["institution_uscc"], x["days"], x["cost"]) for x in
             call(funding, "list_settlements", "2026-03", id_number=person)["items"]}
    assert lines == {"PL-TR-1": (ORG, 15, "1500.00"), "PL-TR-2": (INST, 16, "1600.00")}
    assert [p["amount"] for p in call(funding, "list_payouts", "2026-03", payee=INST)["items"]] \
        == ["1600.00"]
    from doudi_gateway.exports import to_csv
    from doudi_gateway.reports import statement_table

    statement = call(funding, "institution_statement", INST, "2026-03")
    csv = to_csv(statement_table(statement, INST, "test")).decode("utf-8-sig").splitlines()
    assert csv[0].startswith("入住编号,结算行,结算行代码,所属月份,身份证号（脱敏）,在院天数")
    assert csv[1].startswith("PL-TR-2,本月结算,regular,2026-03,") and person not in csv[1]
    assert csv[-1].startswith("合计,,,2026-03,,,,1600.00,")


def test_tekun_never_self_pay(funding, publish_as):
    """luan-2021 §三(一): rural tekun keep their own channel — no family share."""
    person = make_id_number(seq=98)
    publish_as("eligibility", "enrolment.started", {
        "enrolment_id": "ENR-T-1", "id_number": person, "division_code": "341502001",
        "care_mode": "centralized", "hardship": ["tekun"], "incapacity_level": "full",
        "started_on": "2026-03-01", "application_id": None, "institution_uscc": INST})
    publish_as("institutions", "placement.admitted", {
        "placement_id": "PL-TK-1", "id_number": person, "division_code": "341502001",
        "institution_uscc": INST, "care_mode": "centralized", "admitted_on": "2026-03-01",
        "bed_no": None, "monthly_price": "1000.00", "enrolment_id": "ENR-T-1",
        "care_level": "full"})
    wait_for(lambda: count_rows(funding, "cases") == 1 and
             count_rows(funding, "care_levels") == 1, message="enrolment and placement")
    call(funding, "set_self_pay_ratio", person, "0.50", "2026-01", "误设")
    call(funding, "settle_month", "341502", "2026-03")
    line = call(funding, "list_settlements", "2026-03", id_number=person)["items"][0]
    assert line["by_channel"]["family_share"] == "0.00"
    assert line["by_channel"]["county_cover"] == "1000.00"
