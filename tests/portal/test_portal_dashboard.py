"""The officials' overview page (issue 18) in a real Chromium against the real
suite: the KPI cards and both charts show the API's figures (the drawn ECharts
option, kept on the chart's element, is compared with
GET /api/v1/caseload-statistics), the month is in the URL, and the page is
written to var/screenshots/dashboard-overview.png. The roll-up: the townships'
figures beside the county's add up to it; a click on a township's bar goes
down to it (its own KPI cards), 上一级 back up to the county. A click on a
figure opens the persons list behind it, whose length is the figure; the bar of
the pending work opens the applications at that stage, as many as it says; the
Excel download has the same figures."""

from __future__ import annotations

import json

import pytest
from doudi_common.testing.fixtures import wait_for

from tests.portal.test_portal_people_and_bad_input import (
    COUNTY,
    OTHER_TOWN,
    OTHER_VILLAGE,
    TOWN,
    VILLAGE,
    World,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_the_overview_shows_the_apis_figures(portal_app, browser):
    from tests.portal.conftest import Portal

    server, app, _ = portal_app
    w = World(app)
    enrolled, waiting = (w.person("clerk", name, VILLAGE, seq) for name, seq in
                         (("甲在照护", 31), ("乙待审", 32)))
    first = w.application(enrolled)
    for action, who, data in (("village_review", "clerk", None),
                              ("township_check", "town", {
                                  "home_visit": {"on": w.today, "by": "李乡长", "findings": "独居"},
                                  "needs_assessment": {"needs": ["meals"]}}),
                              ("approve", "county", None), ("sign_agreement", "town", None)):
        w.call(who, "POST", f"/api/v1/applications/{first}/reviews",
               json={"action": action, **({"data": data} if data else {})})
    w.application(waiting)
    w.person("county", "丁另一街道", OTHER_VILLAGE, 33)  # registered, not applied
    month = w.today[:7]
    api = w.call("county", "GET", f"/api/v1/caseload-statistics?division_code={COUNTY}"
                                  f"&month={month}")
    assert api["in_care"] == 1 and api["pending"]["submitted"]["count"] == 1

    with Portal(browser, server.url) as p:
        p.login("county")
        p.menu("数据看板")
        p.page.locator("[data-test=kpis]").wait_for()
        assert f"month={month}" in p.page.url
        kpi = {name: int(p.page.locator(f"[data-kpi='{name}']").inner_text())
               for name in ("登记人员", "符合条件", "月底在照护", "本月纳入", "本月终止")}
        assert kpi == {"登记人员": api["registered"], "符合条件": api["eligible"],
                       "月底在照护": api["in_care"], "本月纳入": api["entries"],
                       "本月终止": api["exits"]}
        caseload = json.loads(p.page.locator("[data-test-chart=caseload]")
                              .get_attribute("data-option"))
        drawn = {name: s["data"] for name, s in zip(
            [s["name"] for s in caseload["series"]], caseload["series"], strict=True)}
        assert caseload["xAxis"]["data"] == ["特困人员"]
        assert drawn == {"居家上门服务": [api["by_hardship"]["tekun"]["home_visit"]]}
        pending = json.loads(p.page.locator("[data-test-chart=pending]")
                             .get_attribute("data-option"))
        assert pending["xAxis"]["data"] == ["已提交"]
        assert pending["series"][0]["data"] == [api["pending"]["submitted"]["count"]]
        # ECharts drew it: a canvas in each chart
        wait_for(lambda: p.page.locator("[data-test=chart] canvas").count() >= 2, timeout=10,
                 message="the charts drawn")
        p.shot("dashboard-overview")

        # the roll-up: each township beside the county, adding up to it
        towns = {t: w.call("county", "GET", f"/api/v1/caseload-statistics?division_code={t}"
                                            f"&month={month}") for t in (TOWN, OTHER_TOWN)}
        below = json.loads(p.page.locator("[data-test-chart=below]")
                           .get_attribute("data-option"))
        assert below["xAxis"]["data"] == ["洪都街道", "京山街道"]
        series = {s["name"]: s["data"] for s in below["series"]}
        assert series["月底在照护"] == [towns[TOWN]["in_care"], towns[OTHER_TOWN]["in_care"]]
        assert series["符合条件"] == [towns[TOWN]["eligible"], towns[OTHER_TOWN]["eligible"]]
        assert sum(series["月底在照护"]) == api["in_care"]
        assert sum(series["符合条件"]) == api["eligible"]
        assert sum(series["在办申请"]) == sum(v["count"] for v in api["pending"].values())
        # the Excel has the same figures
        sheet = p.excel()
        assert sheet[("总体", "登记人员")] == api["registered"]
        assert sheet[("总体", "月底在照护")] == api["in_care"]
        assert sheet[("在办申请", "已提交·件数")] == api["pending"]["submitted"]["count"]
        # down to the second township by its bar, then back up
        p.click_bar("below", lambda: f"division={OTHER_TOWN}" in p.page.url, 0.55, 0.95)
        wait_for(lambda: p.page.locator("[data-kpi='符合条件']").inner_text()
                 == str(towns[OTHER_TOWN]["eligible"]), timeout=10, message="the township's KPI")
        p.page.locator("[data-test=up]").click()
        wait_for(lambda: f"division={COUNTY}" in p.page.url, timeout=10, message="back up")

        # each figure opens the list behind it, as long as the figure
        for name, figure in (("登记人员", api["registered"]), ("符合条件", api["eligible"]),
                             ("月底在照护", api["in_care"])):
            p.page.locator(f"a[data-kpi='{name}']").click()
            p.list_is("persons-total", figure)
            assert f"division_code={COUNTY}" in p.page.url
            p.page.go_back()
            p.page.locator("[data-test=kpis]").wait_for()

        # the bar of the pending work opens the applications at that stage
        p.click_bar("pending", lambda: "/applications" in p.page.url, 0.1, 0.9, above=40)
        assert "status=submitted" in p.page.url
        p.list_is("applications-total", api["pending"]["submitted"]["count"])
