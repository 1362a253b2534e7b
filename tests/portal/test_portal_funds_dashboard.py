"""The officials' money page (issue 18) in a real Chromium against the real
suite: a county's year by month, stacked by luan-2021 §三(四)'s four channels.
The KPI cards, both charts (the drawn ECharts option) and the month table show
GET /api/v1/funding/summary's figures, money per institution too; county and
year are in the URL; the Excel download holds the same total; a city officer
sees the city's counties side by side, adding up to the city's cards; the page is written to
var/screenshots/dashboard-funds.png."""

from __future__ import annotations

import io
import json

import pytest
from doudi_common.testing.fixtures import count_rows, wait_for
from doudi_common.testing.idnumbers import make_id_number

from tests.flows import admit_two_with_a_subsidy
from tests.portal.conftest import with_check_digit
from tests.portal.test_portal_people_and_bad_input import COUNTY, World

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
INST = with_check_digit("12360104MB1234567X")


def _a_settled_month(funding, publish_as) -> None:
    resident, newcomer = (make_id_number(region=COUNTY, seq=s) for s in (41, 42))
    admit_two_with_a_subsidy(funding, publish_as, resident, newcomer, "PL-FD",
                             village=f"{COUNTY}001001", institution=INST)
    publish_as("services_log", "month.closed", {
        "month": "2026-03", "division_code": COUNTY, "institution_uscc": None, "records": 0,
        "persons": 0, "minutes": 0, "total_amount": "0.00", "unverified": 0,
        "closed_at": "2026-04-01T02:00:00+08:00", "providers": [], "lines": []})
    wait_for(lambda: count_rows(funding, "settlement_runs") >= 1, message="March settled")


def test_the_money_page_shows_the_apis_figures(portal_app, browser, publish_as):
    from openpyxl import load_workbook

    from tests.portal.conftest import Portal

    server, app, containers = portal_app
    w = World(app)
    _a_settled_month(containers["funding"], publish_as)
    api = w.call("county", "GET", f"/api/v1/funding/summary?division_code={COUNTY}&year=2026")
    march = next(m for m in api["months"] if m["month"] == "2026-03")
    assert api["total"] == march["total"] and float(api["total"]) > 0

    with Portal(browser, server.url) as p:
        p.login("county")
        p.menu("资金看板")
        p.page.get_by_label("统计年度").wait_for()
        p.go(f"/dashboard/funds?division={COUNTY}&year=2026")  # an address shared with them
        p.page.locator("[data-test=kpis]").wait_for()
        assert f"division={COUNTY}" in p.page.url and "year=2026" in p.page.url
        kpi = {name: p.page.locator(f"[data-kpi='{name}']").inner_text()
               for name in ("合计", "县级兜底", "个人补贴")}
        money = "¥{:,.2f}".format
        assert kpi == {"合计": money(float(api["total"])),
                       "县级兜底": money(float(api["by_channel"]["county_cover"])),
                       "个人补贴": money(float(api["by_channel"]["own_subsidies"]))}
        option = json.loads(p.page.locator("[data-test-chart=channels]")
                            .get_attribute("data-option"))
        assert option["xAxis"]["data"] == [f"{m['month'][:4]}年{int(m['month'][5:])}月"
                                           for m in api["months"]]
        drawn = {s["name"]: s["data"] for s in option["series"]}
        assert drawn["县级兜底"] == [float(m["by_channel"]["county_cover"])
                                 for m in api["months"]]
        assert drawn["个人补贴"] == [float(m["by_channel"]["own_subsidies"])
                                 for m in api["months"]]
        assert all(s.get("stack") == "total" for s in option["series"])
        wait_for(lambda: p.page.locator("[data-test=chart] canvas").count() >= 2, timeout=10,
                 message="the charts drawn")
        rows = p.page.locator("[data-test=months] .el-table__body tr")
        assert rows.count() == len(api["months"])
        # donations (none this year) and the reconciliation, as the API says
        assert api["donations"]["received_total"] == "0.00" and api["reconciliation"]["ok"]
        assert p.page.locator("[data-test=reconciliation]").inner_text().strip() == "相符"
        assert money(0) in p.page.locator("[data-test=donations]").inner_text()
        # money per institution: the one home, its two residents, its cost
        (home,) = api["by_institution"]
        assert (home["institution_uscc"], home["persons"]) == (INST, 2)
        shown = p.page.locator("[data-test=by-institution] .el-table__body tr")
        assert shown.count() == 1 and INST in shown.first.inner_text()
        assert money(float(home["total"])) in shown.first.inner_text()
        with p.page.expect_download() as got:
            p.page.locator("[data-test=download]").click()
        book = load_workbook(io.BytesIO(got.value.path().read_bytes()))
        cells = [c for row in book.active.iter_rows(values_only=True) for c in row]
        assert float(api["total"]) in cells  # the same figure in the spreadsheet
        p.shot("dashboard-funds")

    # the city's page: its counties' years side by side, adding up to its cards
    with Portal(browser, server.url) as p:
        p.login("city")
        p.go("/dashboard/funds?division=360100&year=2026")
        p.page.locator("[data-test-chart=below]").wait_for()
        below = p.option("below")
        at = below["xAxis"]["data"].index("青云谱区")
        drawn = {x["name"]: x["data"] for x in below["series"]}
        assert drawn["县级兜底"][at] == float(api["by_channel"]["county_cover"])
        assert drawn["个人补贴"][at] == float(api["by_channel"]["own_subsidies"])
        total = sum(sum(values) for values in drawn.values())
        assert p.page.locator("[data-kpi='合计']").inner_text() == money(total)
        assert total == float(api["total"])  # no other county settled anything
