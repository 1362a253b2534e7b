"""The officials' services page (issue 18) in a real Chromium against the real
suite: a person with a service card and two service records, one verified; the
KPI cards and both charts show GET /api/v1/service-statistics's figures, with
the service items in Chinese; the townships beside the county add up to it; a
figure or an item's bar opens the records behind it, as many as it says; the
Excel has the same figures. Written to var/screenshots/dashboard-services.png."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from doudi_common.clock import SHANGHAI, clock_of
from doudi_common.testing.fixtures import wait_for

from tests.portal.conftest import with_check_digit
from tests.portal.test_portal_people_and_bad_input import COUNTY, VILLAGE, World

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
ORG = {"kind": "organisation", "uscc": with_check_digit("12360104MB1234567X"),
       "name": "安心家政"}


def test_the_services_page_shows_the_apis_figures(portal_app, browser):
    from tests.portal.conftest import Portal

    server, app, containers = portal_app
    # the records are made today, early in the morning; services-log's clock says the
    # day is nearly over, so they are in the past at any hour the test runs (a record
    # dated yesterday would precede the card, issued today)
    now = datetime.now(SHANGHAI)
    day = now.date()
    clock_of(containers["services_log"]).set(
        datetime.combine(day, datetime.min.time(), SHANGHAI) + timedelta(hours=23))
    w = World(app)
    pid = w.person("clerk", "丙受服务", VILLAGE, 51)
    w.call("county", "POST", "/api/v1/service-cards", json={
        "id_number": pid, "assessed_on": w.today,
        "items": [{"code": "meals", "times_per_month": 20},
                  {"code": "cleaning", "times_per_month": 4}], "providers": [ORG]})
    ids = [w.call("county", "POST", "/api/v1/services", json={
        "id_number": pid, "service_item": item, "provider": ORG,
        "started_at": f"{day}T{start}:00+08:00", "ended_at": f"{day}T{end}:00+08:00"})["record_id"]
        for item, start, end in (("meals", "00:00", "00:30"), ("cleaning", "00:40", "00:55"))]
    w.call("county", "POST", f"/api/v1/services/{ids[0]}/verification",
           json={"verifier_role": "person", "note": "本人确认"})
    month = day.isoformat()[:7]
    api = w.call("county", "GET", f"/api/v1/service-statistics?division_code={COUNTY}"
                                  f"&month={month}")
    # "recorded" counts those not yet verified; superseded ones were corrected
    assert (api["records"]["recorded"], api["records"]["verified"]) == (1, 1), api

    with Portal(browser, server.url) as p:
        p.login("county")
        p.menu("服务看板")
        p.go(f"/dashboard/services?division={COUNTY}&month={month}")
        p.page.locator("[data-test=kpis]").wait_for()
        kpi = {name: p.page.locator(f"[data-kpi='{name}']").inner_text()
               for name in ("服务记录", "其中已核实", "服务人数")}
        assert kpi == {"服务记录": "2", "其中已核实": "1",
                       "服务人数": str(api["persons_served"])}
        option = json.loads(p.page.locator("[data-test-chart=items]").get_attribute("data-option"))
        drawn = dict(zip(option["xAxis"]["data"], option["series"][0]["data"], strict=True))
        labels = {c["code"]: c["label"] for c in w.call(
            "county", "GET", "/api/v1/vocabularies/service_items")["terms"]}
        assert drawn == {labels["meals"]: 1, labels["cleaning"]: 1}  # Chinese, not codes
        assert sum(drawn.values()) == api["records"]["recorded"] + api["records"]["verified"]
        wait_for(lambda: p.page.locator("[data-test=chart] canvas").count() >= 2, timeout=10,
                 message="the charts drawn")
        # the roll-up: the townships beside the county add up to it
        below = p.option("below")
        assert below["xAxis"]["data"] == ["洪都街道", "京山街道"]
        series = {x["name"]: x["data"] for x in below["series"]}
        assert series["服务记录"] == [2, 0] and series["服务人数"] == [1, 0]
        p.shot("dashboard-services")
        # the Excel has the same figures
        sheet = p.excel()
        assert (sheet[("服务记录", "已记录")], sheet[("服务记录", "已核实")]) == (1, 1)
        assert sheet[("按服务项目", f"{labels['meals']}·记录数")] == 1
        assert sheet[("服务记录", "服务人数")] == api["persons_served"]
        # a figure opens the records behind it, as many as it says
        for name, figure in (("服务记录", 2), ("其中已核实", 1)):
            p.page.locator(f"a[data-kpi='{name}']").click()
            p.list_is("records-total", figure)
            p.page.go_back()
            p.page.locator("[data-test=kpis]").wait_for()
        # and an item's bar opens that item's records
        p.click_bar("items", lambda: "service_item=" in p.page.url, 0.1, 0.5, above=40)
        p.list_is("records-total", 1)
