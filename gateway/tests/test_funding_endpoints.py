"""Funding endpoints over the real funding and eligibility services: fund
accounts, spending, ledgers, transactions and reversal, per-person inputs;
bad input (422 naming the field) and jurisdiction (404 on reads, 403 on actions)."""

from __future__ import annotations

import pytest
from doudi_common.testing.idnumbers import make_id_number
from doudi_gateway.app import create_app

from gateway.tests.conftest import field_names, gateway_test_config, role_headers

PROVIDER = "12341500MB1234567G"


@pytest.fixture
def gw(rabbit, start_service, tmp_path):
    start_service("eligibility")
    start_service("funding")
    app = create_app(gateway_test_config(tmp_path, rabbit["AMQP_URI"], RPC_TIMEOUT=10))
    headers = role_headers(app, {"county": ("county_officer", "341502"),
                                 "other": ("county_officer", "341503"),
                                 "city": ("city_officer", "341500"),
                                 "auditor": ("auditor", "")})
    return app.test_client(), headers


def test_fund_spend_ledger_and_reverse(gw):
    client, h = gw
    bad = client.post("/api/v1/funding/pilot-funds", headers=h["county"], json={
        "division_code": "341502", "amount": "12.345", "received_on": "2026-03-01",
        "source": "省级试点", "purposes": ["lunch"]})
    assert bad.status_code == 422
    named = field_names(bad)
    assert {"amount", "purposes.0"} <= named or {"amount", "purposes"} <= named

    body = {"division_code": "341502", "amount": "1000.00", "received_on": "2026-03-01",
            "source": "省级试点", "purposes": ["service_subsidy"]}
    # another county may not put money into this one; a city officer only reads
    assert client.post("/api/v1/funding/pilot-funds", headers=h["other"],
                       json=body).status_code == 403
    assert client.post("/api/v1/funding/pilot-funds", headers=h["city"],
                       json=body).status_code == 403
    key = {"Idempotency-Key": "pilot-1"}
    funded = client.post("/api/v1/funding/pilot-funds", headers={**h["county"], **key}, json=body)
    assert funded.status_code == 201, funded.get_json()
    assert funded.get_json()["code"] == "pilot:341502"
    assert funded.get_json()["balance"] == "-1000.00"  # debits − credits
    again = client.post("/api/v1/funding/pilot-funds", headers={**h["county"], **key}, json=body)
    assert again.headers.get("Idempotent-Replayed") == "true"

    ledger = client.get("/api/v1/funding/ledger-accounts/pilot:341502", headers=h["county"])
    assert ledger.status_code == 200, ledger.get_json()
    assert ledger.get_json()["balance"] == "-1000.00"  # replayed, not funded twice
    assert client.get("/api/v1/funding/ledger-accounts/pilot:341502",
                      headers=h["other"]).status_code == 404
    assert client.get("/api/v1/funding/ledger-accounts/pilot:341502",
                      headers=h["city"]).status_code == 200

    spend = {"purpose": "care_fee", "amount": "100.00", "payee_kind": "provider",
             "payee": PROVIDER, "month": "2026-03"}
    off = client.post("/api/v1/funding/ledger-accounts/pilot:341502/spendings",
                      headers=h["county"], json=spend)
    assert off.status_code == 403 and off.get_json()["fields"]["reason"] == "off_purpose"
    bad_payee = client.post("/api/v1/funding/ledger-accounts/pilot:341502/spendings",
                            headers=h["county"], json={**spend, "payee_kind": "caregiver"})
    assert bad_payee.status_code == 422 and "payee" in field_names(bad_payee)
    spend["purpose"] = "service_subsidy"
    assert client.post("/api/v1/funding/ledger-accounts/pilot:341502/spendings",
                       headers=h["other"], json=spend).status_code == 403
    spent = client.post("/api/v1/funding/ledger-accounts/pilot:341502/spendings",
                        headers=h["county"], json=spend)
    assert spent.status_code == 201, spent.get_json()
    txn_id = spent.get_json()["txn_id"]
    too_much = client.post("/api/v1/funding/ledger-accounts/pilot:341502/spendings",
                           headers=h["county"], json={**spend, "amount": "5000.00"})
    assert too_much.status_code == 409

    txn = client.get(f"/api/v1/funding/transactions/{txn_id}", headers=h["auditor"])
    assert txn.status_code == 200 and txn.get_json()["cause"] == "spend"
    assert client.get(f"/api/v1/funding/transactions/{txn_id}",
                      headers=h["other"]).status_code == 404
    assert client.get("/api/v1/funding/transactions/NOPE-1",
                      headers=h["county"]).status_code == 404
    assert client.post(f"/api/v1/funding/transactions/{txn_id}/reversal", headers=h["other"],
                       json={"reason": "错付"}).status_code == 403
    assert client.post(f"/api/v1/funding/transactions/{txn_id}/reversal", headers=h["county"],
                       json={}).status_code == 422
    rev = client.post(f"/api/v1/funding/transactions/{txn_id}/reversal", headers=h["county"],
                      json={"reason": "错付"})
    assert rev.status_code == 201, rev.get_json()
    assert rev.get_json()["cause"] == "correction"
    twice = client.post(f"/api/v1/funding/transactions/{txn_id}/reversal", headers=h["county"],
                        json={"reason": "错付"})
    assert twice.status_code == 409
    after = client.get("/api/v1/funding/ledger-accounts/pilot:341502", headers=h["county"])
    assert after.get_json()["balance"] == "-1000.00"

    topup = client.post("/api/v1/funding/topup-funds", headers=h["county"], json={
        "division_code": "341502", "source": "cdpf", "amount": "300.00",
        "received_on": "2026-03-02"})
    assert topup.status_code == 201 and topup.get_json()["code"] == "topup:341502:cdpf"
    lottery = client.post("/api/v1/funding/topup-funds", headers=h["county"], json={
        "division_code": "341502", "source": "lottery", "amount": "300.00",
        "received_on": "2026-03-02"})
    assert "source" in field_names(lottery)


def test_person_inputs_scoped_and_validated(gw):
    client, h = gw
    pid = make_id_number(region="341502", seq=41)
    resp = client.post("/api/v1/persons", headers=h["county"], json={
        "id_number": pid, "name": "王秀英", "division_code": "341502001201",
        "registration": "rural", "hardship": [{"status": "tekun", "valid_from": "2025-01-01"}]})
    assert resp.status_code == 200, resp.get_json()

    bad = client.post(f"/api/v1/funding/accounts/{pid}/dibao", headers=h["county"], json={
        "monthly_amount": "abc", "from_month": "2026-05", "to_month": "2026-03"})
    assert bad.status_code == 422 and {"monthly_amount"} <= field_names(bad)
    bad = client.post(f"/api/v1/funding/accounts/{pid}/dibao", headers=h["county"], json={
        "monthly_amount": "300.00", "from_month": "2026-05", "to_month": "2026-03"})
    assert bad.status_code == 422 and "to_month" in field_names(bad)
    body = {"monthly_amount": "300.00", "from_month": "2026-03"}
    assert client.post(f"/api/v1/funding/accounts/{pid}/dibao", headers=h["other"],
                       json=body).status_code == 403
    ok = client.post(f"/api/v1/funding/accounts/{pid}/dibao", headers=h["county"], json=body)
    assert ok.status_code == 201, ok.get_json()
    assert ok.get_json()["monthly_amount"] == "300.00" and pid not in ok.get_data(as_text=True)

    ratio = client.post(f"/api/v1/funding/accounts/{pid}/self-pay-ratios", headers=h["county"],
                        json={"ratio": "1.5", "from_month": "2026-03", "reason": "复核"})
    assert ratio.status_code == 422 and "ratio" in field_names(ratio)
    ratio = client.post(f"/api/v1/funding/accounts/{pid}/self-pay-ratios", headers=h["county"],
                        json={"ratio": "0.30", "from_month": "2026-03", "reason": "复核"})
    assert ratio.status_code == 201, ratio.get_json()
    assert client.post(f"/api/v1/funding/accounts/{pid}/self-pay-ratios", headers=h["other"],
                       json={"ratio": "0.30", "from_month": "2026-03",
                             "reason": "复核"}).status_code == 403

    caregiver = make_id_number(region="341502", seq=42)
    care = {"caregiver_id_number": caregiver, "division_code": "341502001201",
            "from_date": "2026-03-01"}
    selfcare = client.post(f"/api/v1/funding/accounts/{pid}/caregivers", headers=h["county"],
                           json={**care, "caregiver_id_number": pid})
    assert selfcare.status_code == 422 and "caregiver_id_number" in field_names(selfcare)
    assert client.post(f"/api/v1/funding/accounts/{pid}/caregivers", headers=h["other"],
                       json=care).status_code == 403
    case = client.post(f"/api/v1/funding/accounts/{pid}/caregivers", headers=h["county"],
                       json=care)
    assert case.status_code == 201, case.get_json()
    case_id = case.get_json()["case_id"]
    assert case_id.startswith("NB-341502-") and pid not in case.get_data(as_text=True)
    plan = client.get(f"/api/v1/funding/cost-plans/{case_id}?month=2026-03", headers=h["county"])
    assert plan.status_code == 200, plan.get_json()
    assert plan.get_json()["case_id"] == case_id
    assert client.get(f"/api/v1/funding/cost-plans/{case_id}?month=2026-03",
                      headers=h["other"]).status_code == 404
    assert "month" in field_names(client.get(f"/api/v1/funding/cost-plans/{case_id}?month=2026-13",
                                       headers=h["county"]))


def test_donation_read_scoped(gw):
    client, h = gw
    made = client.post("/api/v1/funding/donations", headers=h["county"], json={
        "division_code": "341502", "amount": "500.00", "received_on": "2026-03-01",
        "donor_name": "爱心企业"})
    assert made.status_code == 201, made.get_json()
    donation_id = made.get_json()["donation_id"]
    got = client.get(f"/api/v1/funding/donations/{donation_id}", headers=h["county"])
    assert got.status_code == 200 and got.get_json()["balance"] == "500.00"
    assert client.get(f"/api/v1/funding/donations/{donation_id}",
                      headers=h["other"]).status_code == 404
    assert client.get("/api/v1/funding/donations/DON-NOPE",
                      headers=h["county"]).status_code == 404


def test_county_summary_exports_open_in_a_spreadsheet(gw):
    import csv
    import io

    from openpyxl import load_workbook

    client, h = gw
    url = "/api/v1/funding/summary?division_code=341502&year=2026"
    as_csv = client.get(url + "&format=csv", headers=h["county"])
    assert as_csv.status_code == 200 and as_csv.content_type.startswith("text/csv")
    assert as_csv.data.startswith(b"\xef\xbb\xbf")
    assert 'filename="funding-341502-2026.csv"' in as_csv.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(as_csv.data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["月份", "结算人数", "合计（元）", "个人补贴（元）"]
    assert rows[-1][0] == "合计 2026"
    as_xlsx = client.get(url + "&format=xlsx", headers=h["county"])
    assert as_xlsx.status_code == 200 and "spreadsheetml" in as_xlsx.content_type
    sheet = load_workbook(io.BytesIO(as_xlsx.data)).active
    assert sheet["A1"].value.startswith("县级结算汇总（安徽省六安市金安区（341502）")
    assert sheet.freeze_panes == "A4" and sheet["A3"].value == "月份"
    assert client.get(url + "&format=pdf", headers=h["county"]).status_code == 422
    assert client.get(url + "&format=csv", headers=h["other"]).status_code == 404
