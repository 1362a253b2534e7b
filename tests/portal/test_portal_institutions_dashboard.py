"""The officials' institutions page (issue 18) in a real Chromium against the
real suite: the KPI cards show GET /api/v1/county-statistics, the beds chart
each open institution's beds and residents from the register, the staff chart
the county's staff (public-welfare posts included); clicking an institution's
bar opens that institution. A city officer sees the city's counties side by
side, adding up to the city's cards, and goes down to one by its bar. Written to
var/screenshots/dashboard-institutions.png (and -city.png)."""

from __future__ import annotations

import json

import pytest
from doudi_common.testing.fixtures import wait_for

from tests.portal.conftest import add_institution
from tests.portal.test_portal_people_and_bad_input import COUNTY, World

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_the_institutions_page_shows_the_apis_figures_and_opens_one(portal_app, browser):
    from tests.portal.conftest import Portal

    server, app, _ = portal_app
    w = World(app)
    homes = [add_institution(w.client, w.h["county"], f"12{COUNTY}MB12345{n}", f"{COUNTY}001",
                             f"青云谱区第{n}敬老院") for n in (71, 72)]
    w.call("county", "PUT", f"/api/v1/institutions/{homes[0]}/staff",
           json={"nurses": 2, "carers": 5, "public_welfare_posts": 1})
    stats = w.call("county", "GET", f"/api/v1/county-statistics/{COUNTY}")
    listed = w.call("county", "GET", f"/api/v1/institutions?division_code={COUNTY}"
                                     "&status=open&per_page=500")["items"]
    assert stats["institutions"] == 2 and stats["beds"] == 4

    with Portal(browser, server.url) as p:
        p.login("county")
        p.menu("机构看板")
        p.page.locator("[data-test=kpis]").first.wait_for()
        assert f"division={COUNTY}" in p.page.url
        kpi = {name: p.page.locator(f"[data-kpi='{name}']").inner_text()
               for name in ("在营机构", "特困供养机构", "床位", "在住", "低于三级的特困供养机构")}
        assert kpi == {"在营机构": str(stats["institutions"]),
                       "特困供养机构": str(stats["tekun_institutions"]),
                       "床位": str(stats["beds"]), "在住": str(stats["occupied"]),
                       "低于三级的特困供养机构": str(stats["below_grade_3"])}
        beds = json.loads(p.page.locator("[data-test-chart=beds]").get_attribute("data-option"))
        assert beds["xAxis"]["data"] == [r["name"] for r in listed]
        assert beds["series"][0]["data"] == [r["capacity"] for r in listed]
        assert beds["series"][1]["data"] == [r["occupied"] for r in listed]
        staff = json.loads(p.page.locator("[data-test-chart=staff]").get_attribute("data-option"))
        drawn = dict(zip(staff["xAxis"]["data"], staff["series"][0]["data"], strict=True))
        assert drawn["护士"] == stats["staff"]["nurses"] == 2
        assert drawn["公益岗"] == stats["staff"]["public_welfare_posts"] == 1
        wait_for(lambda: p.page.locator("[data-test=chart] canvas").count() >= 2, timeout=10,
                 message="the charts drawn")
        p.shot("dashboard-institutions")
        # the grades (both homes not yet graded)
        grades = p.option("grades")
        drawn = dict(zip(grades["xAxis"]["data"], grades["series"][0]["data"], strict=True))
        assert stats["by_grade"] == {"none": 2} and drawn == {"未评定": 2}
        # the inspections (both homes new, never inspected) and the Excel
        ins = {name: p.page.locator(f"[data-kpi='{name}']").inner_text()
               for name in ("本年检查", "逾期未检查", "未整改问题")}
        assert ins == {"本年检查": str(stats["inspections"]["done_this_year"]),
                       "逾期未检查": str(stats["inspections"]["patrols_overdue"]),
                       "未整改问题": str(stats["inspections"]["open_findings"])}
        sheet = p.excel()
        assert sheet[("机构与床位", "床位数")] == stats["beds"]
        assert sheet[("检查与整改", "逾期未检查")] == stats["inspections"]["patrols_overdue"]
        # the bar of the first institution opens it
        first = listed[0]
        p.click_bar("beds", lambda: f"/institutions/{first['uscc']}" in p.page.url, 0.1, 0.5,
                    above=40)
        assert f"/institutions/{first['uscc']}" in p.page.url
        p.page.get_by_text(first["name"]).first.wait_for()

    # the city's page: its counties side by side, adding up to the city's cards
    with Portal(browser, server.url) as p:
        p.login("city")
        p.menu("机构看板")
        p.page.locator("[data-test-chart=below]").wait_for()
        below = p.option("below")
        assert "青云谱区" in below["xAxis"]["data"]
        series = {x["name"]: x["data"] for x in below["series"]}
        at = below["xAxis"]["data"].index("青云谱区")
        assert (series["床位"][at], series["在住"][at]) == (stats["beds"], stats["occupied"])
        assert p.page.locator("[data-kpi='床位']").inner_text() == str(sum(series["床位"]))
        assert sum(series["床位"]) == stats["beds"]  # the other counties have no homes
        p.shot("dashboard-institutions-city")
        n = len(below["xAxis"]["data"])
        p.click_bar("below", lambda: f"division={COUNTY}" in p.page.url,
                    (at + 0.1) / n, (at + 0.9) / n, above=40)
        p.page.locator("[data-test-chart=beds]").wait_for()
