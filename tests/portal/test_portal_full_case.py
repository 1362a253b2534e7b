"""The whole case by clicking, in a real Chromium against the real suite
(qingyunpu-2021, 青云谱区 360104): an administrator adds the village clerk;
the clerk registers a person and files an application (the health
department's assessment arrived before, as a department event); the village
reviews, the township checks with its home visit, the county approves and
signs the agreement, and the person appears on the village's standing public
list (长期公示, qingyunpu-2021 §五6); the institution's staff admit the person
into a bed; the township issues the service card and a service is recorded
and verified; the county runs the month's settlement, watches its progress,
and the result shows the four channels with the same figures the API gives."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from doudi_common.clock import SHANGHAI, clock_of
from doudi_common.testing.fixtures import wait_for
from doudi_common.testing.idnumbers import make_id_number

from tests.portal.conftest import PASSWORD, Portal, add_institution, with_check_digit

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

COUNTY, TOWNSHIP, VILLAGE = "360104", "360104001", "360104001001"
INST = "12360104MB0000001C"


def api(client, headers, method, url, **kw):
    resp = client.open(url, method=method, headers=headers, **kw)
    assert resp.status_code < 300, (url, resp.status_code, resp.get_json())
    return resp.get_json()


def seed(app) -> tuple[dict, str]:
    """What exists before the case: the users other than the clerk, and a
    tekun home of the district with a room, beds and prices (over the API)."""
    from gateway.tests.conftest import bearer, token_for

    store = app.extensions["doudi_store"]
    for name, role, where, inst in (
            ("admin", "admin", "", None), ("town", "township_officer", TOWNSHIP, None),
            ("county", "county_officer", COUNTY, None),
            ("staff", "institution_staff", COUNTY, with_check_digit(INST))):
        store.add_user(name, PASSWORD, role, where, institution_id=inst,
                       display_name={"admin": "管理员", "town": "李乡长", "county": "王科长",
                                     "staff": "赵护理"}[name])
    h = bearer(token_for(app, store.get_user("county")))
    uscc = add_institution(app.test_client(), h, INST, COUNTY, "青云谱区社会福利院")
    return h, uscc


def test_the_whole_case_by_clicking(portal_app, browser, publish_as):
    server, app, containers = portal_app
    now = datetime.now(SHANGHAI)
    today = now.date()
    # the month is over for funding, services may be recorded earlier today
    first_next = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    clock_of(containers["funding"]).set(datetime(first_next.year, first_next.month, 1, 9,
                                                 tzinfo=SHANGHAI))
    clock_of(containers["services_log"]).set(datetime.combine(today, datetime.min.time(),
                                                              SHANGHAI) + timedelta(hours=23))
    h, uscc = seed(app)
    client = app.test_client()
    pid = make_id_number(region=COUNTY, birth="19480607", seq=77)
    # the health department assessed them before anyone registered them
    publish_as("health", "assessment.completed", {
        "id_number": pid, "assessment_id": "NC-77", "standard": "GB/T 42195-2022", "level": 3,
        "incapacity_level": "full", "assessed_on": (today - timedelta(days=20)).isoformat(),
        "valid_until": (today + timedelta(days=700)).isoformat(),
        "assessor_uscc": "12341500485912345J"})

    p = Portal(browser, server.url)
    try:
        # -- an administrator adds the village clerk ----------------------------------
        p.login("admin")
        p.shot("portal-home-admin")
        p.menu("用户管理")
        p.button("添加用户")
        p.fill("用户名", "clerk")
        p.fill("姓名", "张文书")
        p.choose("角色", "村(居)委会 / 社会救助服务信息员")
        p.fill("辖区代码", VILLAGE)
        p.fill("初始密码", PASSWORD)
        p.button("添加")
        p.succeeded("clerk")
        p.shot("portal-admin-users")
        p.logout()

        # -- the clerk registers the person and files the application -----------------
        p.login("clerk")
        assert "洪都社区" in p.page.locator("[data-test=who]").inner_text()
        p.menu("登记人员")
        p.fill("身份证号码", pid)
        p.page.locator("[data-test=derived]").wait_for()  # birth date and sex from the number
        assert "1948年6月7日" in p.page.locator("[data-test=derived]").inner_text()
        p.fill("姓名", "熊桂英")
        p.radio("城镇户籍")
        p.check("特困人员")
        p.date("困难身份认定日期", "2024-01-01")
        p.check("独自居住")
        p.shot("portal-person-register")
        p.button("登记")
        p.succeeded("熊桂英")
        p.page.locator("[data-test=person-name]").wait_for()
        summary = p.page.locator("[data-test=eligibility-summary]")
        summary.wait_for()
        wait_for(lambda: "符合条件" in summary.inner_text() and "集中供养" in summary.inner_text(),
                 timeout=15, message="eligible for centralised care")
        assert p.page.locator("[data-test=rules] tbody tr").count() >= 3
        p.shot("portal-person-detail")
        p.button("提交申请")
        p.radio("集中供养")
        p.check("身份证")
        p.check("户口本")
        p.page.locator("[data-test=consent]").click()
        p.button("提交申请")
        p.succeeded("申请已提交")
        state = p.page.locator("[data-test=application-state]")
        state.wait_for()
        app_id = p.page.url.rsplit("/", 1)[1]
        assert "已提交" in state.inner_text()
        p.button("村级审核")
        p.button("确定")
        p.succeeded()
        wait_for(lambda: "村级已审核" in state.inner_text(), timeout=10, message="village review")
        p.logout()

        # -- the township checks, with its home visit --------------------------------
        p.login("town")
        p.menu("申请与审核")
        p.page.get_by_role("link", name=app_id).click()
        p.button("乡镇初核")
        p.fill("调查人", "李乡长")
        p.fill("调查情况", "独居，卧床，需要全天照料")
        p.choose("失能等级（评估）", "完全失能")
        p.shot("portal-application-township-check")
        p.button("确定")
        p.succeeded()
        wait_for(lambda: "乡镇已初核" in state.inner_text(), timeout=10, message="township check")
        p.logout()

        # -- the county approves (qingyunpu-2021 sets no notice period) ----------------
        p.login("county")
        p.go(f"/applications/{app_id}")
        p.button("批准")
        p.button("确定")
        p.succeeded()
        wait_for(lambda: "已批准" in state.inner_text(), timeout=10, message="approved")
        p.button("签订养护协议")
        p.fill("协议编号", "QYP-2026-077")
        p.button("确定")
        p.succeeded()
        wait_for(lambda: "已纳入" in state.inner_text(), timeout=10, message="enrolled")
        p.shot("portal-application-enrolled")
        # §五6 长期公示: now receiving services, the person is on the village's standing list
        p.go("/notices")
        p.choose("乡镇（街道）", "洪都街道")
        p.choose("村（社区）", "洪都社区")
        p.page.get_by_role("button", name="查询").click()
        standing = p.page.locator(".el-table:visible").first
        p.page.get_by_text("熊桂英").first.wait_for()
        assert "qingyunpu-2021 §五6" in standing.inner_text() and pid not in standing.inner_text()
        p.shot("portal-public-notice")
        p.logout()

        # -- the institution's staff admit the person into a bed --------------------------
        p.login("staff")
        p.menu("机构与床位")
        p.page.get_by_role("link", name="青云谱区社会福利院").click()
        p.page.locator("[data-test=bed-board]").wait_for()
        p.page.get_by_role("tab", name="在住人员").click()
        p.button("办理入住")
        p.fill("身份证号码", pid)
        p.choose("床位", "201-1")
        p.button("确定")
        p.succeeded("入住")
        p.page.locator("[data-test=residents] tbody tr").first.wait_for()
        p.page.get_by_role("tab", name="床位").click()
        assert "使用中" in p.page.locator("[data-bed='201-1']").inner_text() or \
            "入住" in p.page.locator("[data-bed='201-1']").inner_text()
        p.shot("portal-institution-beds")
        p.logout()

        # -- the township issues the service card; a service is recorded and verified ----
        # (services-log opens the card when it hears enrolment.started)
        wait_for(lambda: client.get(f"/api/v1/service-cards/{pid}", headers=h).status_code == 200,
                 timeout=20, message="the card opened by the enrolment")
        p.login("town")
        p.menu("人员查询")
        p.page.get_by_role("link", name="熊桂英").click()
        p.page.get_by_role("tab", name="服务卡").click()
        p.page.get_by_role("link", name="查看服务卡与服务记录").click()
        issue = p.page.locator("[data-test=issue-card]")
        issue.wait_for()
        issue.get_by_label("个人护理服务 每月次数").fill("8")
        p.choose("服务提供者类型", "养护机构")
        p.fill("服务提供者名称", "青云谱区社会福利院")
        p.fill("服务提供者信用代码", uscc)
        p.button("发放服务卡")
        p.succeeded("服务卡")
        form = p.page.locator("[data-test=record-form]")
        form.wait_for()
        p.fill("服务内容", "协助洗漱、翻身")
        p.button("记录")
        p.succeeded("服务已记录")
        p.page.locator("[data-test=records] tbody tr").first.wait_for()
        p.button("核实")
        p.succeeded("已核实")
        p.shot("portal-service-card")
        p.logout()

        # -- the county settles the month and watches it ---------------------------------
        p.login("county")
        p.menu("月度结算")
        p.fill("县（区）区划代码", COUNTY)
        p.date("结算月份", today.strftime("%Y-%m"))
        p.button("开始结算")
        progress = p.page.locator("[data-test=job-progress]")
        progress.wait_for()
        wait_for(lambda: progress.get_attribute("data-state") == "succeeded", timeout=60,
                 message="the settlement job")
        result = p.page.locator("[data-test=settlement-result]")
        result.wait_for()
        p.shot("portal-settlement")
        shown = {c: p.page.locator(f"[data-test=settlement-result] [data-channel={c}]")
                 .inner_text() for c in ("own_subsidies", "family_share", "donations",
                                         "county_cover")}
        # the statement the API gives for the person and the run: the same figures
        run = api(client, h, "GET", f"/api/v1/funding/settlements/{COUNTY}/"
                                    f"{today.strftime('%Y-%m')}")
        statement = api(client, h, "GET", f"/api/v1/funding/accounts/{pid}/statement"
                                          f"?month={today.strftime('%Y-%m')}")
        assert statement["lines"] and Decimal(statement["cost"]) > 0
        for channel, text in shown.items():
            assert text == money(run["by_channel"][channel]), (channel, text, run)
        assert sum(Decimal(v) for v in statement["by_channel"].values()) == \
            Decimal(statement["cost"])
        p.go(f"/persons/{pid}")
        p.page.get_by_role("tab", name="资金明细").click()
        p.date("月份", today.strftime("%Y-%m"))  # it opens on last month, the usual one to look at
        p.page.locator("[data-test=channels]").wait_for()
        p.shot("portal-person-statement")
        assert p.errors == [], p.errors
    except BaseException:
        p.shot("failure-full-case")
        raise
    finally:
        p.close()


def money(value: str) -> str:
    whole, _, cents = f"{Decimal(value):.2f}".partition(".")
    sign = "-" if whole.startswith("-") else ""
    return f"{sign}¥{int(whole.lstrip('-')):,}.{cents}"
