"""The officials' figures (issue 18) on the real suite, against hand-computed
expectations: the four services in this process on PostgreSQL and RabbitMQ,
the gateway over its test client, qingyunpu-2021's county 青云谱区 (360104)
with two townships.

What happens this month (today, on the services' clocks):
- 甲 (township A) applies, is approved and signs: in care at the month's end;
- 乙 (township A) the same, then health reports the death today: one entry and
  one exit by death; the death's event delivered a second time changes nothing;
- 丙 (township B) applies and waits at submission;
- 丁 (township B) is registered only;
- 戊 (township B) is admitted to one home and transferred to another.

By hand: the county has 4 living persons registered (乙 died), all tekun living
alone, so 4 eligible; 1 in care (甲, 居家上门); 2 entries and 1 exit (death);
1 application waiting; the townships add up to the county; the lists behind the
figures are as long as them. The homes: 4 beds, 1 occupied, the second home
holding 戊 after the transfer; inspections owed and done, a finding open.
Readers of another county or township see nothing of it; the Excel has the
same figures. (Money per institution after a transfer is counted by hand in
funding's own test, test_a_transfer_splits_the_month_between_institutions.)"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from doudi_common.clock import SHANGHAI
from doudi_common.testing.fixtures import wait_for
from doudi_common.testing.idnumbers import make_id_number
from doudi_gateway.app import create_app

from gateway.tests.conftest import bearer, gateway_test_config, token_for
from tests.portal.conftest import add_institution

pytestmark = pytest.mark.slow

COUNTY = "360104"
TOWN_A, VILLAGE_A = "360104001", "360104001001"
TOWN_B, VILLAGE_B = "360104002", "360104002001"
USERS = {"clerk_a": ("village_clerk", VILLAGE_A), "clerk_b": ("village_clerk", VILLAGE_B),
         "town_a": ("township_officer", TOWN_A), "town_b": ("township_officer", TOWN_B),
         "county": ("county_officer", COUNTY), "city": ("city_officer", "360100"),
         "elsewhere": ("county_officer", "341502")}


class Suite:
    def __init__(self, app):
        store = app.extensions["doudi_store"]
        self.client = app.test_client()
        self.h = {}
        for name, (role, where) in USERS.items():
            store.add_user(name, "figures-password-1", role, where)
            self.h[name] = bearer(token_for(app, store.get_user(name)))
        self.today = datetime.now(SHANGHAI).date().isoformat()
        self.month = self.today[:7]

    def call(self, who, method, url, status=(200, 201), **kw):
        resp = self.client.open(url, method=method, headers=self.h[who], **kw)
        assert resp.status_code in ((status,) if isinstance(status, int) else status), \
            (url, resp.status_code, resp.get_json())
        return resp

    def json(self, who, method, url, **kw):
        return self.call(who, method, url, **kw).get_json()

    def person(self, clerk, name, village, seq, birth="19450302"):
        pid = make_id_number(region=COUNTY, birth=birth, seq=seq)
        self.json(clerk, "POST", "/api/v1/persons", json={
            "id_number": pid, "name": name, "division_code": village, "registration": "urban",
            "household": {"lives_alone": True, "sudden_no_carer": True},
            "hardship": [{"status": "tekun", "valid_from": "2024-01-01"}]})
        return pid

    def apply(self, clerk, pid):
        return self.json(clerk, "POST", "/api/v1/applications", json={
            "id_number": pid, "care_mode": "home_visit", "documents": ["id_card"],
            "consent": {"given": True, "by": "本人", "on": self.today}})["application_id"]

    def enrol(self, clerk, town, pid):
        app_id = self.apply(clerk, pid)
        for action, who, data in (
                ("village_review", clerk, None),
                ("township_check", town, {
                    "home_visit": {"on": self.today, "by": "乡镇干部", "findings": "独居"},
                    "needs_assessment": {"needs": ["meals"]}}),
                ("approve", "county", None), ("sign_agreement", town, None)):
            self.json(who, "POST", f"/api/v1/applications/{app_id}/reviews",
                      json={"action": action, **({"data": data} if data else {})})

    def caseload(self, who, division, **kw):
        return self.call(who, "GET", f"/api/v1/caseload-statistics?division_code={division}"
                                     f"&month={self.month}", **kw)


def test_figures_equal_the_hand_count_and_stay_in_their_jurisdiction(
        rabbit, start_service, publish_as, event_tap, tmp_path):
    for s in ("eligibility", "institutions", "funding", "services_log"):
        start_service(s)
    app = create_app(gateway_test_config(tmp_path, rabbit["AMQP_URI"], RPC_TIMEOUT=15))
    from doudi_gateway.cli import seed_divisions

    seed_divisions(app.extensions["doudi_store"])
    w = Suite(app)
    ended = event_tap("eligibility", "enrolment.ended")

    jia = w.person("clerk_a", "甲", VILLAGE_A, 41)
    yi = w.person("clerk_a", "乙", VILLAGE_A, 42)
    bing = w.person("clerk_b", "丙", VILLAGE_B, 43)
    w.person("clerk_b", "丁", VILLAGE_B, 44)
    for pid in (jia, yi):
        w.enrol("clerk_a", "town_a", pid)
    w.apply("clerk_b", bing)
    death = publish_as("health", "person.deceased", {"id_number": yi,
                                                     "date_of_death": w.today})
    ended.wait_for(lambda e: e["data"]["reason"] == "deceased", timeout=20)

    expected_county = {"registered": 3, "eligible": 3, "in_care": 1, "entries": 2, "exits": 1,
                       "exits_by_reason": {"deceased": 1},
                       "by_hardship": {"tekun": {"home_visit": 1}}}
    # 戊, registered by the clerk of B, is counted too (see below)
    wu = w.person("clerk_b", "戊", VILLAGE_B, 45, birth="19480202")
    expected_county["registered"] += 1
    expected_county["eligible"] += 1

    def figures(stats):
        return {k: stats[k] for k in expected_county}

    county = w.caseload("county", COUNTY).get_json()
    assert figures(county) == expected_county
    assert county["pending"]["submitted"]["count"] == 1
    a, b = (w.caseload("county", t).get_json() for t in (TOWN_A, TOWN_B))
    assert (a["registered"], a["in_care"], a["entries"], a["exits"]) == (1, 1, 2, 1)
    assert (b["registered"], b["in_care"], b["entries"], b["exits"]) == (3, 0, 0, 0)
    for key in ("registered", "eligible", "in_care", "entries", "exits"):
        assert a[key] + b[key] == county[key], key
    assert sum(p["count"] for p in b["pending"].values()) == 1 and a["pending"] == {}

    # the lists behind the figures are as long as the figures
    persons = w.json("county", "GET", f"/api/v1/persons?division_code={COUNTY}&alive=true")
    assert persons["total"] == county["registered"]
    waiting = w.json("county", "GET",
                     f"/api/v1/applications?status=submitted&division_code={COUNTY}")
    assert waiting["total"] == county["pending"]["submitted"]["count"]

    # the death delivered again (the same event) changes no figure
    publish_as("health", "person.deceased", envelope=death)
    later = w.person("clerk_b", "己", VILLAGE_B, 46)  # a later write through eligibility
    wait_for(lambda: w.caseload("county", COUNTY).get_json()["registered"] == 5, timeout=10,
             message="the later person counted")
    again = w.caseload("county", COUNTY).get_json()
    assert figures(again) == {**expected_county, "registered": 5, "eligible": 5}
    assert later

    # a transfer between homes: occupancy follows the person
    home1 = add_institution(w.client, w.h["county"], "52360104MJ00000010", COUNTY, "青云谱敬老院")
    home2 = add_institution(w.client, w.h["county"], "52360104MJ00000020", COUNTY, "洪都敬老院")
    w.json("county", "POST", f"/api/v1/institutions/{home1}/placements", json={
        "id_number": wu, "admitted_on": w.today, "care_level": "full"})
    placement = w.json("county", "GET", f"/api/v1/institutions/{home1}/placements")["items"][0]
    w.json("county", "POST", f"/api/v1/institutions/{home2}/consents", json={
        "id_number": wu, "given": True, "recorded_on": w.today, "note": "本人同意"})
    w.json("county", "POST", f"/api/v1/placements/{placement['placement_id']}/transfer",
           json={"to_uscc": home2, "transferred_on": w.today})
    stats = w.json("county", "GET", f"/api/v1/county-statistics/{COUNTY}")
    assert (stats["institutions"], stats["beds"], stats["occupied"], stats["occupancy"]) == \
        (2, 4, 1, "0.2500")
    homes = {r["uscc"]: r["occupied"] for r in w.json(
        "county", "GET", f"/api/v1/institutions?division_code={COUNTY}")["items"]}
    assert homes == {home1: 0, home2: 1}
    # inspections (hangzhou-2024 §五(四)): both homes opened in 2015 and never
    # inspected owe fire, food (monthly) and fund-policy (yearly) checks: 2 × 3
    # overdue; one fire check at the first home today, with a finding due in a week
    assert stats["inspections"]["patrols_overdue"] == 6
    w.json("county", "POST", f"/api/v1/institutions/{home1}/inspections", json={
        "kind": "fire_safety", "inspected_on": w.today, "result": "rectification_required",
        "inspector": "王检查", "findings": [{
            "severity": "minor", "description": "灭火器过期",
            "rectify_by": (date.fromisoformat(w.today) + timedelta(days=7)).isoformat()}]})
    stats = w.json("county", "GET", f"/api/v1/county-statistics/{COUNTY}")
    assert stats["inspections"] == {"done_this_year": 1, "patrols_overdue": 5,
                                    "open_findings": 1, "findings_overdue": 0,
                                    "rectified_findings": 0}

    # the Excel has the same figures
    from openpyxl import load_workbook

    xlsx = w.call("county", "GET", f"/api/v1/caseload-statistics?division_code={COUNTY}"
                                   f"&month={w.month}&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    rows = {(r[0], r[1]): r[2] for r in sheet.iter_rows(min_row=4, values_only=True)}
    assert rows[("总体", "登记人员")] == 5 and rows[("总体", "月底在照护")] == 1
    assert rows[("本月终止（原因）", "死亡")] == 1
    assert rows[("月底在照护（困难类别×照护方式）", "特困人员·居家上门服务")] == 1
    assert rows[("在办申请", "已提交·件数")] == 1
    inst_xlsx = w.call("county", "GET", f"/api/v1/county-statistics/{COUNTY}?format=xlsx")
    inst_rows = {(r[0], r[1]): r[2] for r in load_workbook(io.BytesIO(inst_xlsx.data))
                 .active.iter_rows(min_row=4, values_only=True)}
    assert inst_rows[("机构与床位", "在住人数")] == 1 and inst_rows[("机构与床位", "床位数")] == 4
    assert inst_rows[("检查与整改", "逾期未检查")] == 5
    assert inst_rows[("检查与整改", "未整改问题")] == 1

    # the city sees its county; nobody sees outside their jurisdiction
    assert w.caseload("city", COUNTY).get_json()["registered"] == 5
    w.caseload("elsewhere", COUNTY, status=403)
    w.caseload("town_b", TOWN_A, status=403)
    w.caseload("clerk_a", VILLAGE_B, status=403)
    w.call("elsewhere", "GET", f"/api/v1/county-statistics/{COUNTY}", status=404)
    w.call("elsewhere", "GET", f"/api/v1/service-statistics?division_code={COUNTY}"
                               f"&month={w.month}", status=404)
    w.call("elsewhere", "GET", f"/api/v1/funding/summary?division_code={COUNTY}"
                               f"&month={w.month}", status=404)
    own = w.json("elsewhere", "GET", f"/api/v1/caseload-statistics?division_code=341502"
                                     f"&month={w.month}")
    assert own["registered"] == 0 and own["in_care"] == 0
