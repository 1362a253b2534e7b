"""funding as a running service: real PostgreSQL, real RabbitMQ."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from doudi_common.clock import clock_of
from doudi_common.errors import Conflict, Forbidden, Invalid
from doudi_common.testing.fixtures import count_rows, db_engine, wait_for
from doudi_common.testing.idnumbers import make_id_number
from funding_testing import call

INST = "12341500MB1234567G"
INST_B = "52341502MJ0012345T"


def admitted(pid, id_number, on="2026-03-01", price="2000.00", inst=INST, division="341502001001"):
    return {"placement_id": pid, "id_number": id_number, "division_code": division,
            "institution_uscc": inst, "care_mode": "centralized", "admitted_on": on,
            "bed_no": None, "monthly_price": price, "enrolment_id": None}


def settled_lines(container, month):
    return call(container, "list_settlements", month, division_code="341502")["items"]


def test_placements_subsidies_and_a_settled_month(funding, publish_as):
    p1 = make_id_number(seq=11)
    p2 = make_id_number(seq=12)
    publish_as("institutions", "placement.admitted", admitted("PL-1", p1))
    publish_as("institutions", "placement.admitted", admitted("PL-2", p2, on="2026-03-10"))
    publish_as("cdpf", "subsidy.granted", {"id_number": p1, "kind": "disabled_living_allowance",
                                           "monthly_amount": "80.00", "from_month": "2026-01"})
    publish_as("cdpf", "subsidy.granted", {
        "id_number": p1, "kind": "severe_disability_nursing_subsidy",
        "monthly_amount": "100.00", "from_month": "2026-01"})
    wait_for(lambda: count_rows(funding, "cases") == 2 and
             count_rows(funding, "person_subsidies") == 2, message="facts stored")
    call(funding, "record_dibao", p1, "560.00", "2026-01")
    review = call(funding, "record_family_review", p1, "2026-02-10", 3, "7200.00")
    assert review["self_pay_ratio"] == "0.30" and review["effective_month"] == "2026-03"
    call(funding, "record_donation", "341502", "300.00", "2026-03-05", donor_name="六安市慈善总会")

    run = call(funding, "settle_month", "341502", "2026-03")
    assert run["cases"] == 2 and not run["rerun"]
    lines = {line["case_id"]: line for line in settled_lines(funding, "2026-03")}
    one = lines["PL-1"]
    assert one["cost"] == "2000.00"
    assert one["subsidies"] == {"dibao": "560.00", "disabled_living_allowance": "80.00",
                                "severe_disability_nursing_subsidy": "100.00"}
    assert one["by_channel"]["family_share"] == "378.00"
    two = lines["PL-2"]
    assert two["days"] == 22 and two["cost"] == "1419.35"
    # the 300.00 pool split pro rata over the two shortfalls (882.00 and 1419.35):
    # 300 * 882 / 2301.35 = 114.976.. -> 114.98 and the rest, 185.02
    donated = [lines[c]["by_channel"]["donations"] for c in ("PL-1", "PL-2")]
    assert donated == ["114.98", "185.02"]
    assert run["total"] == "3419.35"

    again = call(funding, "settle_month", "341502", "2026-03")
    assert again["rerun"] and again["total"] == run["total"]
    assert count_rows(funding, "case_settlements") == 2
    payouts = call(funding, "list_payouts", "2026-03", division_code="341502")["items"]
    assert [(p["payee_uscc"], p["amount"], p["purpose"]) for p in payouts] == \
        [(INST, "3419.35", "care_fee")]
    recon = call(funding, "reconciliation")
    assert recon["ok"], recon
    statement = call(funding, "person_statement", p1, "2026-03")
    assert statement["cost"] == "2000.00" and "*" in statement["id_number_masked"]
    from doudi_gateway.exports import to_csv
    from doudi_gateway.reports import summary_table

    summary = call(funding, "county_summary", "341502", year=2026)
    csv = to_csv(summary_table(summary, "341502", "test")).decode("utf-8-sig")
    assert csv.splitlines()[1].startswith("2026-03,2,3419.35,")

    # a late discharge for March -> an adjustment in April, never an edit
    discharge = publish_as("institutions", "placement.discharged", {
        "placement_id": "PL-1", "id_number": p1, "division_code": "341502001001",
        "institution_uscc": INST, "discharged_on": "2026-03-15", "reason": "deceased"})
    wait_for(lambda: count_rows(funding, "late_changes") == 1, message="late change noted")
    clock_of(funding).set(date(2026, 5, 2))
    april = call(funding, "settle_month", "341502", "2026-04")
    lines = settled_lines(funding, "2026-04")
    adj = [x for x in lines if x["line"] == "adjustment"]
    assert len(adj) == 1 and adj[0]["for_month"] == "2026-03" and adj[0]["case_id"] == "PL-1"
    assert adj[0]["cost"] == "-1032.26"       # 2000 - 2000*15/31 (967.74)
    assert [x["case_id"] for x in lines if x["line"] == "regular"] == ["PL-2"]
    assert april["adjustments"] == "-1032.26"
    txn = call(funding, "get_transaction", adj[0]["txn_id"])
    assert txn["cause"] == "adjustment" and txn["event_id"] == discharge["id"]
    march = call(funding, "list_settlements", "2026-03", division_code="341502")["items"]
    assert {x["case_id"]: x["cost"] for x in march}["PL-1"] == "2000.00"   # unchanged
    assert call(funding, "reconciliation")["ok"]


def test_off_purpose_spending_from_a_pilot_fund_is_refused(funding):
    acct = call(funding, "fund_pilot_account", "360104", "10000.00", "2026-01-05",
                "区财政试点资金")
    assert acct["code"] == "pilot:360104" and acct["purposes"] == ["service_subsidy"]
    with pytest.raises(Forbidden) as err:
        call(funding, "spend_from_account", "pilot:360104", "care_fee", "500.00",
             "institution", INST, "2026-03")
    assert err.value.fields["reason"] == "off_purpose"
    txn = call(funding, "spend_from_account", "pilot:360104", "service_subsidy", "500.00",
               "provider", INST, "2026-03", memo="助洁服务")
    assert txn["cause"] == "spend"
    with pytest.raises(Conflict):
        call(funding, "spend_from_account", "pilot:360104", "service_subsidy", "99999.00",
             "provider", INST, "2026-03")
    balances = {a["code"]: a["balance"] for a in call(funding, "fund_balances",
                                                      "360104")["accounts"]}
    assert balances["pilot:360104"] == "-9500.00"
    assert call(funding, "reconciliation")["ok"]


def test_bad_inputs_are_refused(funding):
    with pytest.raises(Invalid):
        call(funding, "settle_month", "341502", "2026-13")
    with pytest.raises(Conflict):
        call(funding, "settle_month", "341502", "2026-04")   # not over yet
    with pytest.raises(Invalid):
        call(funding, "record_donation", "341502", "-5.00", "2026-03-01")
    with pytest.raises(Invalid):
        call(funding, "record_donation", "341502", 5.0, "2026-03-01")
    with pytest.raises(Invalid):
        call(funding, "record_donation", "341502", "5.00", "2026-03-01", earmark="institution")
    donation = call(funding, "record_donation", "341502", "50.00", "2026-03-01",
                    earmark="institution", institution_uscc=INST_B)
    assert donation["receipt_no"].startswith("RC-341502-20260301")
    cor = call(funding, "reverse_transaction", donation["txn_id"], "录入错误")
    assert cor["reverses"] == donation["txn_id"]
    with pytest.raises(Conflict):
        call(funding, "reverse_transaction", donation["txn_id"], "再次")
    assert call(funding, "get_donation", donation["donation_id"])["reversed"] is True
    with engine_conn(funding) as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM ledger_entries")).scalar_one() == 4
    # the database itself refuses edits of the ledger
    for sql in ("UPDATE ledger_entries SET amount_fen = 0",
                "DELETE FROM ledger_txns", "UPDATE ledger_txns SET memo = 'x'"):
        with pytest.raises(sa.exc.DBAPIError), engine_conn(funding) as conn:
            conn.execute(sa.text(sql))
            conn.commit()


def engine_conn(container):
    return db_engine(container).connect()


def test_a_month_with_a_mid_month_admission_and_a_death(funding, publish_as):
    """Worked example: March 2026 (31 days), 2000.00 a month. One resident all
    month; one admitted on the 10th (22 days); one admitted on the 10th who died
    on the 20th (11 days: the admission day and the day of death both count)."""
    stay, new, died = (make_id_number(seq=n) for n in (101, 102, 103))
    publish_as("institutions", "placement.admitted", admitted("PL-W-1", stay, on="2026-01-01"))
    publish_as("institutions", "placement.admitted", admitted("PL-W-2", new, on="2026-03-10"))
    publish_as("institutions", "placement.admitted", admitted("PL-W-3", died, on="2026-03-10"))
    wait_for(lambda: count_rows(funding, "cases") == 3, message="placements")
    publish_as("health", "person.deceased", {"id_number": died, "date_of_death": "2026-03-20"})
    wait_for(lambda: count_rows(funding, "inbox", event_type="person.deceased") == 1,
             message="death")
    run = call(funding, "settle_month", "341502", "2026-03")
    costs = {x["case_id"]: (x["days"], x["cost"]) for x in settled_lines(funding, "2026-03")}
    assert costs == {"PL-W-1": (31, "2000.00"), "PL-W-2": (22, "1419.35"),
                     "PL-W-3": (11, "709.68")}
    assert run["total"] == "4129.03"
    clock_of(funding).set(date(2026, 5, 3))
    april = call(funding, "settle_month", "341502", "2026-04")
    assert {x["case_id"] for x in settled_lines(funding, "2026-04")} == {"PL-W-1", "PL-W-2"}
    assert april["cases"] == 2


def test_a_month_of_refunds_only_publishes_signed_channels(funding, publish_as, event_tap):
    """A late death for a settled month, and nobody in care the next month: the
    next run carries only a negative adjustment — published, never an error."""
    tap = event_tap("funding", "#", user="cdpf")
    person = make_id_number(seq=111)
    publish_as("institutions", "placement.admitted", admitted("PL-R-1", person, on="2026-02-01"))
    wait_for(lambda: count_rows(funding, "cases") == 1, message="placement")
    call(funding, "settle_month", "341502", "2026-03")
    publish_as("health", "person.deceased", {"id_number": person, "date_of_death": "2026-03-10"})
    wait_for(lambda: count_rows(funding, "late_changes") == 1, message="late death")
    clock_of(funding).set(date(2026, 5, 2))
    april = call(funding, "settle_month", "341502", "2026-04")
    assert april["cases"] == 0 and april["total"].startswith("-")
    done = tap.wait_for(lambda e: e["type"] == "settlement.completed"
                        and e["data"]["month"] == "2026-04")
    assert done["data"]["by_channel"]["county_cover"] == april["by_channel"]["county_cover"]
    assert not [e for e in tap.poll() if e["type"] == "shortfall.covered"
                and e["data"]["month"] == "2026-04"]
    # the institution was overpaid: nothing is paid out, the credit is carried
    assert call(funding, "list_payouts", "2026-04", division_code="341502")["items"] == []
    assert call(funding, "reconciliation")["ok"]


def test_donations_are_receipted_and_announced(funding, event_tap):
    tap = event_tap("funding", "donation.received", user="cdpf")
    gift = call(funding, "record_donation", "341502001", "12000.00", "2026-03-08",
                donor_name="六安市慈善总会", earmark="centralized")
    assert gift["receipt_no"] == "RC-341502-20260308-00001"
    seen = tap.wait_for(lambda e: e["data"]["donation_id"] == gift["donation_id"])["data"]
    assert seen == {"donation_id": gift["donation_id"], "division_code": "341502001",
                    "donor_name": "六安市慈善总会", "donor_uscc": None, "amount": "12000.00",
                    "received_on": "2026-03-08", "restricted_to": "centralized"}
    listed = call(funding, "list_donations", "341502")
    assert listed["total"] == 1 and listed["items"][0]["amount"] == "12000.00"
    balances = {a["code"]: a["balance"] for a in call(funding, "fund_balances",
                                                      "341502")["accounts"]}
    assert balances["donations:341502"] == "-12000.00" and balances["cash:341502"] == "12000.00"


def test_the_annual_income_review_changes_the_family_share(funding, publish_as, rabbit):
    """luan-2021 §三(六) 每年至少对养护对象家庭收入情况进行一次评估,依据评估结论及时调整养护对象
    家庭承担费用比例: eligibility's review.completed sets the share funding settles
    by from the next month; a redelivered event changes nothing (issue 17)."""
    from doudi_common.testing.fixtures import publish_event

    pid = make_id_number(seq=31)
    publish_as("institutions", "placement.admitted", admitted("PL-31", pid))
    wait_for(lambda: count_rows(funding, "cases") == 1, message="case opened")
    call(funding, "settle_month", "341502", "2026-03")
    assert settled_lines(funding, "2026-03")[0]["by_channel"]["family_share"] == "0.00"
    review = {"enrolment_id": "ENR-31", "id_number": pid, "division_code": "341502001001",
              "kind": "annual_income", "completed_on": "2026-03-20",
              "income_per_head": "1500.00", "copay_band": "C", "previous_copay_band": None,
              "copay_share": "0.20", "next_review_on": "2027-03-20",
              "clause": "luan-2021 §三(四)"}
    event_id = "0b6c1f9e-31aa-4c55-9d2e-000000000031"
    for _ in range(2):
        publish_event(rabbit, "eligibility", "review.completed", review, event_id=event_id)
    wait_for(lambda: count_rows(funding, "self_pay_ratios", id_number=pid) == 1,
             message="the review's share recorded")
    clock_of(funding).set(date(2026, 5, 2))
    call(funding, "settle_month", "341502", "2026-04")
    (april,) = [x for x in settled_lines(funding, "2026-04") if x["line"] == "regular"]
    assert april["self_pay_ratio"] == "0.20"
    assert april["by_channel"]["family_share"] == "400.00"  # 20 % of 2000.00, nothing else
    # a review without a share (another kind of review) leaves the ratio alone
    other = publish_event(rabbit, "eligibility", "review.completed",
                          {**review, "copay_share": None, "copay_band": None,
                           "completed_on": "2026-04-20"})
    wait_for(lambda: count_rows(funding, "inbox", event_id=other["id"]) == 1,
             message="the second review handled")
    assert count_rows(funding, "self_pay_ratios", id_number=pid) == 1


def test_integrated_subsidies_above_the_cost_go_to_the_institution(funding, publish_as):
    """luan-2021 §三(四)一 整合……按月拨付至养护机构 (issue 17 item 8): every subsidy is
    paid in full; the part above the accounted cost is shown on the statements and
    paid with the care fee; the ledger still reconciles."""
    pid = make_id_number(seq=41)
    publish_as("institutions", "placement.admitted", admitted("PL-41", pid, price="800.00"))
    for kind, amount in (("disabled_living_allowance", "300.00"),
                         ("severe_disability_nursing_subsidy", "400.00")):
        publish_as("cdpf", "subsidy.granted", {"id_number": pid, "kind": kind,
                                               "monthly_amount": amount, "from_month": "2026-01"})
    wait_for(lambda: count_rows(funding, "person_subsidies") == 2, message="subsidies")
    call(funding, "record_dibao", pid, "560.00", "2026-01")
    run = call(funding, "settle_month", "341502", "2026-03")
    (line,) = settled_lines(funding, "2026-03")
    assert line["subsidies"] == {"dibao": "560.00", "disabled_living_allowance": "300.00",
                                 "severe_disability_nursing_subsidy": "400.00"}
    assert line["cost"] == "800.00" and line["excess"] == "460.00"
    assert line["by_channel"] == {"own_subsidies": "1260.00", "family_share": "0.00",
                                  "donations": "0.00", "county_cover": "0.00"}
    assert run["total"] == "1260.00"
    statement = call(funding, "institution_statement", INST, "2026-03")
    assert statement["excess"] == "460.00"
    assert [p["amount"] for p in statement["payouts"]] == ["1260.00"]
    assert call(funding, "person_statement", pid, "2026-03")["excess"] == "460.00"
    assert call(funding, "reconciliation")["ok"]
