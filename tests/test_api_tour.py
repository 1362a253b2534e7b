"""A tour of the whole REST API over the real four services: every operation of
the OpenAPI document answered with success at least once, as the role that would
call it, with realistic data. The gateway runs with ``CHECK_REPLIES``, so every
reply here is checked against its documented schema (strict: no field the
document does not name, none missing, codes from their vocabularies) — this is
what keeps the document true to what the services return.

Two journeys: Lu'an (persons, applications, enrolments, institutions, placements,
inspections, funding) and Lanzhou (service cards, records, visits, alerts, the
time bank, month close). The last test checks that together they touched every
operation."""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from doudi_common.clock import SHANGHAI, clock_of
from doudi_common.testing.fixtures import count_rows, wait_for
from doudi_common.testing.idnumbers import make_id_number
from doudi_gateway.app import create_app
from doudi_gateway.replycheck import path_template

from gateway.tests.conftest import assess_full_incapacity, gateway_test_config

pytestmark = pytest.mark.slow

#: (method, path template) → statuses answered with success during the tour
VISITED: dict[tuple[str, str], set[int]] = {}
#: one reply per operation, for the document's examples (``DOUDI_TOUR_EXAMPLES``)
SAMPLES: dict[tuple[str, str, int], object] = {}

COUNTY, TOWNSHIP, VILLAGE = "341502", "341502001", "341502001201"
INST, INST2, INST3 = "12341500MB1234567G", "12341500MB1234568K", "12341500MB1234569N"
PASSWORD = "tour-password-123"
ROOT = Path(__file__).resolve().parents[1]


def spreadsheet(resp) -> list[tuple]:
    """The rows of an XLSX reply (title, generated-by line, header, data)."""
    import io

    from openpyxl import load_workbook

    assert resp.mimetype.endswith("spreadsheetml.sheet"), resp.mimetype
    return [tuple(r) for r in load_workbook(io.BytesIO(resp.data)).active.iter_rows(
        values_only=True)]


class Tour:
    """A test client that answers as a named user and notes what it visited."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self.store = app.extensions["doudi_store"]
        self.headers: dict[str, dict] = {}

        @app.after_request
        def note(response):
            from flask import request

            if request.url_rule is not None and 200 <= response.status_code < 300:
                key = (request.method, path_template(request.url_rule.rule))
                VISITED.setdefault(key, set()).add(response.status_code)
                if response.mimetype == "application/json":
                    SAMPLES.setdefault((*key, response.status_code),
                                       json.loads(response.get_data(as_text=True)))
            return response

    def user(self, name: str, role: str, jurisdiction: str, institution: str | None = None):
        self.store.add_user(name, PASSWORD, role, jurisdiction, institution_id=institution)
        tokens = self.call(None, "POST", "/api/v1/auth/token",
                           json={"username": name, "password": PASSWORD})
        self.headers[name] = {"Authorization": f"Bearer {tokens['access_token']}"}
        return tokens

    def call(self, who: str | None, method: str, url: str, status=(200, 201), *,
             json: object = None, headers: dict | None = None, raw: bool = False):
        h = {**(self.headers[who] if who else {}), **(headers or {})}
        resp = self.client.open(url, method=method, json=json, headers=h)
        wanted = (status,) if isinstance(status, int) else status
        assert resp.status_code in wanted, (method, url, resp.status_code,
                                            resp.get_data(as_text=True)[:2000])
        return resp if raw else resp.get_json()


@pytest.fixture
def suite(rabbit, start_service, tmp_path):
    containers = {s: start_service(s) for s in
                  ("eligibility", "institutions", "funding", "services_log")}
    app = create_app(gateway_test_config(tmp_path, rabbit["AMQP_URI"], RPC_TIMEOUT=15))
    return Tour(app), containers


def test_tour_luan(suite, publish_as):
    t, containers = suite
    today = date.today()
    for c in containers.values():
        clock_of(c).set(datetime(today.year, today.month, today.day, 9, 0, tzinfo=SHANGHAI))
    t.user("admin1", "admin", "")
    t.user("clerk", "village_clerk", VILLAGE)
    t.user("township", "township_officer", TOWNSHIP)
    t.user("county", "county_officer", COUNTY)
    t.user("city", "city_officer", COUNTY[:4] + "00")
    t.user("staff", "institution_staff", COUNTY, INST)
    t.user("auditor", "auditor", "")
    refreshed = t.call(None, "POST", "/api/v1/auth/refresh", json={
        "refresh_token": t.user("liaison", "department_liaison", "341500")["refresh_token"]})
    assert refreshed["access_token"]

    # accounts: who am I; an administrator manages users
    me = t.call("clerk", "GET", "/api/v1/me")
    assert me["role_label"] and "persons:write" in me["permissions"], me
    added = t.call("admin1", "POST", "/api/v1/users", 201, json={
        "username": "wang.fang", "password": "first-password-1", "role": "township_officer",
        "jurisdiction": TOWNSHIP, "display_name": "王芳"})
    assert "password" not in added and "password_hash" not in added
    assert "wang.fang" in {u["username"] for u in t.call("admin1", "GET", "/api/v1/users")["items"]}
    t.call("admin1", "POST", "/api/v1/users/wang.fang/disable")
    t.call("admin1", "POST", "/api/v1/users/wang.fang/enable")
    t.call("admin1", "POST", "/api/v1/users/wang.fang/unlock")
    t.call("admin1", "POST", "/api/v1/users/wang.fang/password",
           json={"password": "second-password-2"})
    assert t.call(None, "POST", "/api/v1/auth/token", json={
        "username": "wang.fang", "password": "second-password-2"})["role"] == "township_officer"

    # operations and reference data
    t.call(None, "GET", "/healthz")
    t.call(None, "GET", "/readyz")
    assert t.call(None, "GET", "/api/v1/vocabularies")["total"] > 40
    t.call(None, "GET", "/api/v1/vocabularies/care_modes")
    t.call("admin1", "POST", "/api/v1/divisions", json={"code": TOWNSHIP, "name": "城北乡"})
    t.call("admin1", "POST", "/api/v1/divisions", json={"code": VILLAGE, "name": "城北村"})
    assert t.call(None, "GET", f"/api/v1/divisions/{VILLAGE}")["full_name"] \
        == "安徽省六安市金安区城北乡城北村"
    t.call(None, "GET", f"/api/v1/divisions/{COUNTY}/children")

    # the institutions of the county
    for uscc, name in ((INST, "金安区中心敬老院"), (INST2, "城北敬老院"), (INST3, "东桥敬老院")):
        t.call("county", "POST", "/api/v1/institutions", json={
            "uscc": uscc, "name": name, "legal_form": "public_institution",
            "kind": "tekun_home", "operating_model": "public", "division_code": COUNTY,
            "opened_on": "2020-01-01", "status": "open", "contact_phone": "0564-3331234"})
        t.call("county", "POST", f"/api/v1/institutions/{uscc}/rooms",
               json={"room_no": "101", "room_type": "double", "beds": ["101-1", "101-2"]})
        for code, category, price, extra in (
                ("BED-D", "bed", "900.00", {"room_type": "double"}),
                ("NUR-F", "nursing", "1200.00", {"care_level": "full"}),
                ("NUR-P", "nursing", "700.00", {"care_level": "partial"}),
                ("MEAL", "meals", "600.00", {})):
            t.call("county", "POST", f"/api/v1/institutions/{uscc}/catalog", json={
                "code": code, "category": category, "name": f"{code} 项目", "unit": "month",
                "price": price, "effective_from": today.isoformat(), **extra})
    resp = t.call("county", "GET", f"/api/v1/institutions/{INST}", raw=True)
    t.call("county", "PATCH", f"/api/v1/institutions/{INST}",
           json={"address": "金安区城北路 1 号"}, headers={"If-Match": resp.headers["ETag"]})
    t.call("county", "GET", "/api/v1/institutions?kind=tekun_home")
    t.call("county", "POST", f"/api/v1/institutions/{INST}/licences", json={
        "kind": "fire_safety", "number": "XF-2024-001", "issuer": "金安区消防救援大队",
        "valid_from": "2024-01-01", "valid_until": (today + timedelta(days=30)).isoformat()})
    t.call("county", "GET", f"/api/v1/institutions/{INST}/licences")
    t.call("county", "GET", "/api/v1/licence-alerts")
    t.call("county", "POST", f"/api/v1/institutions/{INST}/grade",
           json={"grade": 3, "assessed_on": today.isoformat()})
    t.call("county", "PUT", f"/api/v1/institutions/{INST}/staff",
           json={"nurses": 2, "carers": 6, "safety_officers": 1, "social_workers": 1})
    t.call("county", "POST", f"/api/v1/institutions/{INST}/catalog/MEAL/prices", json={
        "price": "650.00", "effective_from": (today + timedelta(days=40)).isoformat(),
        "reason": "物价上涨"})
    t.call("county", "GET", f"/api/v1/institutions/{INST}/catalog")
    t.call("county", "GET", f"/api/v1/institutions/{INST}/monthly-price"
                            "?room_type=double&care_level=full")
    t.call("county", "POST", f"/api/v1/institutions/{INST}/rooms",
           json={"room_no": "102", "room_type": "double", "beds": ["102-1"]})
    t.call("county", "PUT", f"/api/v1/institutions/{INST}/beds/102-1/status",
           json={"status": "out_of_service"})
    t.call("staff", "GET", f"/api/v1/institutions/{INST}/beds")
    # institution staff list their own institution only, in the list's short form
    own = t.call("staff", "GET", "/api/v1/institutions")
    assert [i["uscc"] for i in own["items"]] == [INST]
    t.call("county", "POST", f"/api/v1/institutions/{INST3}/status",
           json={"status": "suspended", "on": today.isoformat(), "reason": "消防整改"})

    # a person, their facts and eligibility
    pid = make_id_number(region=COUNTY, birth="19500314", seq=61)
    t.call("clerk", "POST", "/api/v1/persons", json={
        "id_number": pid, "name": "张桂兰", "division_code": VILLAGE, "registration": "rural",
        "household": {"lives_alone": True, "income_per_head": "600.00"},
        "hardship": [{"status": "dibao", "valid_from": "2025-01-01"}]})
    assess_full_incapacity(t.client, t.headers["clerk"], publish_as, pid, today, "PG-61")
    t.call("clerk", "GET", f"/api/v1/persons/{pid}")
    t.call("clerk", "GET", f"/api/v1/persons/{pid}/eligibility")
    listed = t.call("township", "GET", f"/api/v1/persons?division_code={TOWNSHIP}")["items"]
    # a list shows masked numbers only; its sealed reference opens the person's page
    row = next(r for r in listed if r["name"] == "张桂兰")
    assert row["id_number"] == row["id_number_masked"] and pid not in str(listed)
    assert t.call("clerk", "GET", f"/api/v1/persons/{row['person_ref']}")["name"] == "张桂兰"
    forged = row["person_ref"][:-2] + ("AA" if not row["person_ref"].endswith("AA") else "BB")
    t.call("clerk", "GET", f"/api/v1/persons/{forged}", 404)
    t.call("county", "GET", "/api/v1/policy-packs")
    luan = t.call("county", "GET", "/api/v1/policy-packs/luan-2021")
    # the whole of a jurisdiction's policy, each part from the service that applies it
    assert [b["share"] for b in luan["funding"]["self_pay_bands"]] == \
        [b["share"] for b in luan["copay_bands"]]  # one parameter, two services
    assert luan["funding"]["integration_clause"] == "luan-2021 §三(四)一"
    assert luan["admission"]["infection_block_clause"] == "luan-2021 §三(七)"
    assert luan["service_items"] == []  # luan-2021 sets no service catalogue
    qingyunpu = t.call("county", "GET", "/api/v1/policy-packs/qingyunpu-2021")
    assert len(qingyunpu["service_items"]) == 18 and qingyunpu["funding"]["self_pay_bands"] == []
    assert qingyunpu["standing_notice_clause"] == "qingyunpu-2021 §五6"
    puyang = t.call("county", "GET", "/api/v1/policy-packs/puyang-2020")
    assert puyang["admission"]["co_housing_post"]["min_households"] == 5  # §四(三)
    assert "无传染疾病" in puyang["admission"]["infection_block_wording"]
    assert puyang["funding"]["caregiver_subsidy_monthly"] == "300.00"

    # the application and its review chain
    application = t.call("clerk", "POST", "/api/v1/applications", json={
        "id_number": pid, "care_mode": "centralized", "institution_uscc": INST,
        "documents": ["household_register", "id_card"],
        "consent": {"given": True, "by": "本人", "on": today.isoformat()}})
    app_id = application["application_id"]
    t.call("township", "GET", "/api/v1/applications?status=submitted")
    # one person's applications, by the reference a list row gives
    theirs = t.call("township", "GET", f"/api/v1/applications?id_number={row['person_ref']}")
    assert [a["application_id"] for a in theirs["items"]] == [app_id]
    t.call("township", "GET", f"/api/v1/applications/{app_id}")
    t.call("township", "POST", f"/api/v1/applications/{app_id}/reviews", json={
        "action": "township_check", "data": {
            "home_visit": {"on": today.isoformat(), "by": "乡镇干部", "findings": "独居，卧床"},
            "needs_assessment": {"incapacity_level": "full", "needs": ["meals"]}}})
    t.call("county", "POST", f"/api/v1/applications/{app_id}/reviews",
           json={"action": "approve", "comment": "同意"})
    enrolled = t.call("county", "POST", f"/api/v1/applications/{app_id}/reviews", json={
        "action": "sign_agreement",
        "data": {"signed_on": today.isoformat(), "institution_uscc": INST}})
    enrolment_id = enrolled["enrolment_id"]
    # the county's person list, filtered the ways the portal offers
    in_care = t.call("county", "GET", "/api/v1/persons?enrolled=true&care_mode=centralized"
                                      "&hardship=dibao")["items"]
    assert [p["name"] for p in in_care] == ["张桂兰"]
    assert t.call("county", "GET", "/api/v1/persons?enrolled=false&hardship=dibao"
                                   f"&division_code={TOWNSHIP}")["items"] == []
    t.call("county", "GET", "/api/v1/persons?hardship=rich", 422)
    t.call("township", "GET", f"/api/v1/public-notices?township_code={TOWNSHIP}"
                              f"&date_from={today - timedelta(days=30)}&date_to={today}")
    t.call("township", "GET", f"/api/v1/public-notices.csv?township_code={TOWNSHIP}"
                              f"&date_from={today - timedelta(days=30)}&date_to={today}")
    # Lu'an's document asks for no standing list of recipients: nobody is posted
    standing = t.call("township", "GET", f"/api/v1/standing-notices?division_code={TOWNSHIP}")
    assert standing["total"] == 0
    posted = t.call("township", "GET", f"/api/v1/standing-notices.csv?division_code={TOWNSHIP}"
                                       "&format=xlsx", raw=True)
    assert spreadsheet(posted)[0][0].startswith("服务类社会救助对象长期公示名单")
    # the officials' figures: Zhang in centralised care this month, nobody waiting
    caseload = t.call("county", "GET", f"/api/v1/caseload-statistics?division_code={COUNTY}"
                                       f"&month={today:%Y-%m}")
    assert caseload["in_care"] >= 1 and caseload["entries"] >= 1
    assert caseload["by_hardship"]["dibao"]["centralized"] >= 1
    t.call("clerk", "GET", f"/api/v1/caseload-statistics?division_code=341502002"
                           f"&month={today:%Y-%m}", 403)  # another township
    t.call("county", "GET", f"/api/v1/caseload-statistics?division_code={COUNTY}&month=2026-13",
           422)
    t.call("county", "GET", f"/api/v1/persons/{pid}/enrolments")
    t.call("county", "GET", f"/api/v1/enrolments/{enrolment_id}")
    t.call("county", "POST", f"/api/v1/enrolments/{enrolment_id}/reviews", json={
        "completed_on": today.isoformat(), "income_per_head": "800.00", "note": "年度复核"})

    # admission (the enrolment asked the institution; staff see the request)
    def placements():
        return t.call("staff", "GET", f"/api/v1/institutions/{INST}/placements?status=open")

    wait_for(lambda: placements()["total"] >= 1, timeout=20, message="admitted from enrolment")
    t.call("staff", "GET", f"/api/v1/institutions/{INST}/admission-requests")
    placement = placements()["items"][0]
    pl = placement["placement_id"]
    resp = t.call("staff", "GET", f"/api/v1/placements/{pl}", raw=True)
    t.call("staff", "PATCH", f"/api/v1/placements/{pl}", headers={"If-Match": resp.headers["ETag"]},
           json={"health_record_ref": "JK-2026-061", "rehab_plan_ref": "KF-2026-061"})
    t.call("staff", "POST", f"/api/v1/placements/{pl}/care-level",
           json={"care_level": "partial", "on": today.isoformat()})
    t.call("staff", "GET", f"/api/v1/placements/{pl}/price-segments?month={today:%Y-%m}")

    # a second resident, admitted by hand, then moved and discharged
    pid2 = make_id_number(region=COUNTY, birth="19480202", seq=62)
    t.call("clerk", "POST", "/api/v1/persons", json={
        "id_number": pid2, "name": "李大山", "division_code": VILLAGE, "registration": "rural",
        "hardship": [{"status": "tekun", "valid_from": "2024-01-01"}]})
    t.call("county", "POST", f"/api/v1/institutions/{INST2}/placements", json={
        "id_number": pid2, "admitted_on": today.isoformat(), "care_level": "full"})
    moving = t.call("county", "GET", f"/api/v1/institutions/{INST2}/placements")["items"][0]
    t.call("county", "POST", f"/api/v1/institutions/{INST}/consents", json={
        "id_number": pid2, "given": True, "recorded_on": today.isoformat(), "note": "本人同意"})
    moved = t.call("county", "POST", f"/api/v1/placements/{moving['placement_id']}/transfer",
                   json={"to_uscc": INST, "transferred_on": today.isoformat()})
    t.call("county", "POST", f"/api/v1/placements/{moved['placement_id']}/discharge",
           json={"discharged_on": today.isoformat(), "reason": "voluntary", "note": "回家"})
    t.call("county", "POST", f"/api/v1/persons/{pid2}/hardship-ended",
           json={"status": "tekun", "ended_on": today.isoformat(), "reason": "家庭条件改善"})

    # consolidation (hangzhou-2024 §二): the plan, statistics and one merge
    t.call("city", "GET", f"/api/v1/consolidation-plans/{COUNTY}")
    t.call("city", "GET", f"/api/v1/county-statistics/{COUNTY}")
    t.call("county", "POST", f"/api/v1/institutions/{INST3}/merge",
           json={"target_uscc": INST, "on": today.isoformat()})

    # inspections
    inspection = t.call("county", "POST", f"/api/v1/institutions/{INST}/inspections", json={
        "kind": "fire_safety", "inspected_on": today.isoformat(),
        "result": "rectification_required", "inspector": "王检查",
        "findings": [{"severity": "minor", "description": "灭火器过期",
                      "rectify_by": (today + timedelta(days=7)).isoformat()}]})
    ins = inspection["inspection_id"]
    resp = t.call("county", "GET", f"/api/v1/inspections/{ins}", raw=True)
    t.call("county", "PATCH", f"/api/v1/inspections/{ins}",
           headers={"If-Match": resp.headers["ETag"]}, json={"notes": "消防通道畅通"})
    found = t.call("county", "POST", f"/api/v1/inspections/{ins}/findings", json={
        "severity": "major", "description": "厨房留样不全",
        "rectify_by": (today + timedelta(days=3)).isoformat()})
    finding = found["findings"][-1]["finding_id"]
    t.call("county", "POST", f"/api/v1/inspections/{ins}/findings/{finding}/rectification",
           json={"rectified_on": today.isoformat()})
    t.call("county", "GET", f"/api/v1/institutions/{INST}/inspections")
    t.call("county", "GET", f"/api/v1/institutions/{INST}/inspection-schedule")
    t.call("county", "GET", "/api/v1/inspections/overdue")

    # money: inputs the events do not carry
    t.call("county", "POST", f"/api/v1/funding/accounts/{pid}/dibao",
           json={"monthly_amount": "300.00", "from_month": f"{today:%Y-%m}"})
    t.call("county", "POST", f"/api/v1/funding/accounts/{pid}/family-reviews", json={
        "reviewed_on": today.isoformat(), "household_size": 3, "monthly_income": "2400.00"})
    t.call("county", "POST", f"/api/v1/funding/accounts/{pid}/self-pay-ratios",
           json={"ratio": "0.10", "from_month": f"{today:%Y-%m}", "reason": "县局核定"})
    donation = t.call("county", "POST", "/api/v1/funding/donations", json={
        "division_code": COUNTY, "amount": "5000.00", "received_on": today.isoformat(),
        "donor_name": "爱心企业", "earmark": "county"})
    t.call("county", "GET", f"/api/v1/funding/donations/{donation['donation_id']}")
    t.call("county", "GET", f"/api/v1/funding/donations?division_code={COUNTY}")
    t.call("county", "POST", "/api/v1/funding/topup-funds", json={
        "division_code": COUNTY, "source": "cdpf", "amount": "3000.00",
        "received_on": today.isoformat(), "memo": "残联拨付"})
    t.call("county", "POST", "/api/v1/funding/pilot-funds", json={
        "division_code": COUNTY, "amount": "1000.00", "received_on": today.isoformat(),
        "source": "省级试点资金"})
    spent = t.call("county", "POST", f"/api/v1/funding/ledger-accounts/pilot:{COUNTY}/spendings",
                   json={"purpose": "service_subsidy", "amount": "100.00",
                         "payee_kind": "provider", "payee": INST2, "month": f"{today:%Y-%m}"})
    t.call("county", "GET", f"/api/v1/funding/transactions/{spent['txn_id']}")
    t.call("county", "POST", f"/api/v1/funding/transactions/{spent['txn_id']}/reversal",
           json={"reason": "付错机构"})
    t.call("county", "GET", f"/api/v1/funding/ledger-accounts/pilot:{COUNTY}")
    t.call("county", "GET", f"/api/v1/funding/balances?division_code={COUNTY}")
    carer = make_id_number(region=COUNTY, birth="19700101", seq=63)
    pid3 = make_id_number(region=COUNTY, birth="19520505", seq=64)
    t.call("clerk", "POST", "/api/v1/persons", json={
        "id_number": pid3, "name": "王秀英", "division_code": VILLAGE, "registration": "rural",
        "hardship": [{"status": "dibao", "valid_from": "2025-01-01"}]})
    case = t.call("county", "POST", f"/api/v1/funding/accounts/{pid3}/caregivers", json={
        "caregiver_id_number": carer, "division_code": VILLAGE,
        "from_date": today.replace(day=1).isoformat()})
    t.call("county", "GET", f"/api/v1/funding/cost-plans/{case['case_id']}?month={today:%Y-%m}")

    # month end: the settlement job, then what it produced
    wait_for(lambda: count_rows(containers["funding"], "cases") >= 2, timeout=20,
             message="funding opened the cases")
    next_month = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    clock_of(containers["funding"]).set(datetime(next_month.year, next_month.month, 1, 9,
                                                 tzinfo=SHANGHAI))
    month = f"{today:%Y-%m}"
    started = t.call("county", "POST", "/api/v1/funding/settlements", 202,
                     json={"division_code": COUNTY, "month": month}, raw=True)
    job = wait_for(lambda: (j := t.call("county", "GET", started.headers["Location"]))["state"]
                   in ("succeeded", "failed") and j, timeout=60, message="settlement job")
    assert job["state"] == "succeeded", job
    t.call("county", "GET", "/api/v1/jobs")
    t.call("county", "GET", f"/api/v1/funding/settlements/{COUNTY}/{month}")
    t.call("county", "GET", f"/api/v1/funding/settlements?month={month}")
    t.call("county", "GET", f"/api/v1/funding/accounts/{pid}/statement?month={month}")
    t.call("county", "GET", f"/api/v1/funding/payouts?month={month}")
    t.call("county", "GET", f"/api/v1/funding/reconciliation?division_code={COUNTY}&month={month}")
    t.call("county", "GET", f"/api/v1/funding/summary?division_code={COUNTY}&month={month}")
    t.call("county", "GET", f"/api/v1/funding/institutions/{INST}/statement?month={month}")
    # every report of the month opens in a spreadsheet with the API's figures
    lines = t.call("county", "GET", f"/api/v1/funding/settlements?month={month}&per_page=500")
    sheet = spreadsheet(t.call("county", "GET", f"/api/v1/funding/settlements?month={month}"
                                                "&format=xlsx", raw=True))
    assert sheet[0][0].startswith("逐人结算明细（安徽省六安市金安区（341502）") or \
        sheet[0][0].startswith("逐人结算明细（全部辖区"), sheet[0]
    header = sheet[2]
    assert header[:3] == ("个案编号", "类型", "类型代码"), header
    costs = [row[header.index("费用（元）")] for row in sheet[3:]]
    assert len(costs) == lines["total"]
    assert sum(Decimal(str(c)) for c in costs) == sum(Decimal(x["cost"]) for x in lines["items"])
    # the same lines as a background export (for counties too large for one request)
    started = t.call("county", "POST", "/api/v1/exports", 202, raw=True, json={
        "report": "settlement_lines", "format": "xlsx", "month": month})
    export = wait_for(lambda: (j := t.call("county", "GET", started.headers["Location"]))[
        "state"] in ("succeeded", "failed") and j, timeout=30, message="export job")
    assert export["state"] == "succeeded" and export["file"]["rows"] == lines["total"], export
    exported = spreadsheet(t.call("county", "GET", export["file"]["url"], raw=True))
    assert exported[2:] == sheet[2:]
    assert {j["kind"] for j in t.call("county", "GET", "/api/v1/jobs")["items"]} == {
        "export", "settlement"}
    for report in (f"/api/v1/funding/payouts?month={month}&format=xlsx",
                   f"/api/v1/funding/reconciliation?division_code={COUNTY}&month={month}"
                   "&format=xlsx",
                   f"/api/v1/funding/summary?division_code={COUNTY}&month={month}&format=xlsx",
                   f"/api/v1/funding/institutions/{INST}/statement?month={month}&format=xlsx"):
        rows = spreadsheet(t.call("county", "GET", report, raw=True))
        assert "生成人：county" in rows[1][0] and len(rows) > 3, (report, rows[:4])

    # changes to enrolments, and the trail of it all
    t.call("county", "POST", f"/api/v1/enrolments/{enrolment_id}/end", json={
        "reason": "voluntary_exit", "on": next_month.isoformat(), "note": "本人申请退出"})
    t.call("auditor", "GET", "/api/v1/audit?per_page=50")


def test_tour_lanzhou(suite, publish_as):
    """Services in Lanzhou (lanzhou-2021 §四(三)(五)): cards, records, visits,
    alerts, month close and the volunteer time bank."""
    t, containers = suite
    services_log = containers["services_log"]
    clock_of(services_log).set(datetime(2026, 10, 1, 9, 0, tzinfo=SHANGHAI))
    county, township, village = "620102", "620102001", "620102001001"
    t.user("admin2", "admin", "")
    t.user("lz", "county_officer", county)
    t.user("lzt", "township_officer", township)
    org = "12620100MB1234567B"
    t.call("admin2", "PUT", "/api/v1/service-items/620100/cleaning/price",
           json={"unit_price": "30.00"})
    t.call("lz", "GET", f"/api/v1/service-items?division_code={county}")
    pid = make_id_number(region=county, birth="19450301", seq=11)
    volunteer = make_id_number(region=county, birth="19800301", seq=12)
    son = make_id_number(region=county, birth="19750301", seq=13)
    for who, name in ((pid, "张大爷"), (volunteer, "志愿者小李"), (son, "张小明")):
        t.call("lz", "POST", "/api/v1/persons", json={
            "id_number": who, "name": name, "division_code": village,
            "registration": "urban",
            "hardship": [{"status": "tekun", "valid_from": "2025-01-01"}] if who == pid else [],
            "household": ({"members": [{"name": "张大爷", "relationship": "parent",
                                        "id_number": pid}]} if who == son else {})})
    t.call("lz", "POST", "/api/v1/service-cards", json={
        "id_number": pid, "assessed_on": "2026-10-01",
        "items": [{"code": "cleaning", "times_per_month": 8}],
        "providers": [{"kind": "organisation", "uscc": org, "name": "安心家政"},
                      {"kind": "volunteer", "id_number": volunteer, "name": "志愿者小李"}]})
    t.call("lz", "GET", f"/api/v1/service-cards/{pid}")
    publish_as("health", "assessment.completed", {
        "id_number": pid, "assessment_id": "LZ-11", "standard": "MZ/T 039-2013", "level": 3,
        "incapacity_level": "full", "assessed_on": "2026-09-20", "valid_until": "2028-09-19",
        "assessor_uscc": "12341500485912345J"})
    wait_for(lambda: t.call("lz", "GET", f"/api/v1/persons/{pid}/eligibility")["eligible"],
             timeout=20, message="eligible after the assessment")
    # an enrolment in home care whose mode changes (lanzhou-2021 §四(二))
    application = t.call("lz", "POST", "/api/v1/applications", json={
        "id_number": pid, "care_mode": "home_visit",
        "consent": {"given": True, "by": "本人", "on": "2026-10-01"}})
    check = {"home_visit": {"on": "2026-10-01", "by": "街道工作人员", "findings": "独居"},
             "needs_assessment": {"incapacity_level": "full", "needs": ["cleaning"]}}
    for action in application["chain"]:
        who = "lzt" if action.startswith("township") else "lz"
        reply = t.call(who, "POST", f"/api/v1/applications/{application['application_id']}"
                                     "/reviews", json={"action": action, "data": check})
    t.call("lz", "POST", f"/api/v1/enrolments/{reply['enrolment_id']}/care-mode", json={
        "care_mode": "family_bed", "on": "2026-10-10", "reason": "申请家庭养老床位"})
    t.call("lz", "GET", f"/api/v1/service-cards?division_code={county}")
    t.call("lz", "POST", f"/api/v1/service-cards/{pid}/documents",
           json={"kind": "needs_form", "ref": "DOC-0001", "note": "需求评估表"})
    t.call("lz", "POST", f"/api/v1/service-cards/{pid}/change", json={
        "reason": "增加助洁次数", "items": [{"code": "cleaning", "times_per_month": 10}]})

    clock_of(services_log).set(datetime(2026, 10, 20, 9, 0, tzinfo=SHANGHAI))
    provider = {"kind": "organisation", "uscc": org, "name": "安心家政"}
    one = t.call("lz", "POST", "/api/v1/services", json={
        "id_number": pid, "service_item": "cleaning", "provider": provider,
        "started_at": "2026-10-02T09:00:00+08:00", "ended_at": "2026-10-02T10:00:00+08:00",
        "place": "家中", "notes": "打扫卧室"})
    t.call("lz", "GET", f"/api/v1/services/{one['record_id']}")
    t.call("lz", "POST", f"/api/v1/services/{one['record_id']}/corrections", json={
        "changes": {"ended_at": "2026-10-02T10:30:00+08:00"}, "reason": "结束时间记错"})
    batch = t.call("lz", "POST", "/api/v1/services/batch", json={"records": [
        {"id_number": pid, "service_item": "cleaning", "provider": p,
         "started_at": f"2026-10-{day:02d}T09:00:00+08:00",
         "ended_at": f"2026-10-{day:02d}T10:00:00+08:00"}
        for day, p in ((6, provider), (13, {"kind": "volunteer", "id_number": volunteer,
                                             "name": "志愿者小李"}))]})
    for record_id in batch["record_ids"]:
        t.call("lz", "POST", f"/api/v1/services/{record_id}/verification",
               json={"verifier_role": "person", "note": "本人确认"})
    t.call("lz", "GET", f"/api/v1/services?id_number={pid}&month=2026-10")

    # visits and the doorbell
    t.call("lz", "POST", "/api/v1/visit-schedules",
           json={"id_number": pid, "every_days": 7, "start_on": "2026-10-01"})
    t.call("lz", "POST", "/api/v1/visits", json={
        "id_number": pid, "visited_on": "2026-10-19", "content": "身体状况良好",
        "visitor": {"kind": "social_worker", "id_number": volunteer, "name": "志愿者小李"}})
    t.call("lz", "GET", f"/api/v1/visits?id_number={pid}")
    clock_of(services_log).set(datetime(2026, 11, 3, 9, 0, tzinfo=SHANGHAI))
    t.call("lz", "GET", f"/api/v1/visits/overdue?division_code={county}")
    alert = t.call("lz", "POST", "/api/v1/alerts",
                   json={"id_number": pid, "kind": "doorbell", "summary": "按下爱心门铃"})
    t.call("lz", "POST", f"/api/v1/alerts/{alert['alert_id']}/acknowledgement")
    t.call("lz", "POST", f"/api/v1/alerts/{alert['alert_id']}/resolution",
           json={"resolution": "邻居已上门，无大碍"})
    t.call("lz", "GET", f"/api/v1/alerts?division_code={county}")

    # the time bank: the volunteer's verified hour, passed to family and spent
    balance = t.call("lz", "GET", f"/api/v1/time-bank/{volunteer}")
    assert balance["balance_minutes"] == 60, balance
    t.call("lz", "POST", f"/api/v1/time-bank/{volunteer}/redemptions",
           json={"minutes": 30, "service_item": "cleaning", "note": "兑换助洁"})
    t.call("lz", "POST", f"/api/v1/time-bank/{volunteer}/transfers",
           json={"to_id_number": son, "minutes": 10, "relation": "sibling"}, status=(200, 409))

    # the month: closed, counted; the card's life
    t.call("lz", "POST", "/api/v1/month-closes", json={"month": "2026-10",
                                                        "division_code": township})
    t.call("lz", "GET", f"/api/v1/month-closes/2026-10?division_code={township}")
    t.call("lz", "GET", f"/api/v1/month-closes?division_code={county}")
    t.call("lz", "GET", f"/api/v1/service-statistics?month=2026-10&division_code={county}")
    t.call("lz", "POST", f"/api/v1/service-cards/{pid}/suspension", json={"reason": "住院"})
    t.call("lz", "POST", f"/api/v1/service-cards/{pid}/resumption")
    t.call("lz", "POST", f"/api/v1/service-cards/{pid}/end",
           json={"ended_on": "2026-11-03", "reason": "迁出本区"})


def test_the_tour_touched_every_operation():
    """Runs after the two journeys (file order): every operation of the document
    answered with success at least once, and every reply matched its schema."""
    from doudi_gateway.openapi_doc import render

    document = json.loads(render())
    wanted = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops
              if m in ("get", "post", "put", "patch", "delete")}
    wanted -= {("GET", "/metrics"), ("GET", "/api/v1/openapi.json")}
    missing = sorted(wanted - set(VISITED))
    assert not missing, missing
    if os.environ.get("DOUDI_WRITE_EXAMPLES"):
        write_examples(document)


def write_examples(document: dict) -> None:
    """``DOUDI_WRITE_EXAMPLES=1``: the replies of the tour become the document's
    examples (gateway/src/doudi_gateway/openapi_examples.json) — ID numbers
    masked, tokens shortened, lists cut to two entries."""
    from doudi_gateway.web import mask

    app = create_app({"AMQP_URI": "memory://", "GATEWAY_DB_URL": "sqlite://",
                      "JWT_SECRET": "examples-only-not-a-real-key", "LOG_FORMAT": "json"})

    def trim(value):
        if isinstance(value, list):
            return [trim(v) for v in value[:2]]
        if isinstance(value, dict):
            return {k: ("eyJhbGciOiJIUzI1NiJ9.…" if k.endswith("_token") else trim(v))
                    for k, v in value.items()}
        return value

    examples: dict[str, dict[str, object]] = {}
    with app.app_context():  # person_ref: sealed with this app's (throw-away) key
        for (method, path, status), body in SAMPLES.items():
            op = document["paths"].get(path, {}).get(method.lower())
            if op and str(status) in op["responses"]:
                examples.setdefault(op["operationId"], {})[str(status)] = trim(mask(body))
    target = ROOT / "gateway" / "src" / "doudi_gateway" / "openapi_examples.json"
    target.write_text(json.dumps(examples, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                      encoding="utf-8")
