"""The portal for each kind of person, and what it does with bad input, in a
real Chromium against the real suite (qingyunpu-2021, 青云谱区 360104):

- each role sees only its menus; a page outside the role is the "no
  permission" page; a township officer opening another township's person gets
  the not-found page; login failures and lockout speak Chinese; an expired
  access token is renewed without the person noticing, an expired session
  sends them to the login page and back to where they were;
- bad input (ID checksum, an empty name, no consent, reject without a reason)
  shows the message on the field, keeps what was typed, and nothing is saved
  (checked through the API);
- a person named ``<img src=x onerror=alert(1)>`` is shown as text everywhere;
- every main page passes axe-core with no serious or critical violation, and
  its screenshot is written under var/screenshots/."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from doudi_common.clock import SHANGHAI
from doudi_common.testing.idnumbers import make_id_number
from doudi_gateway.permissions import allowed

from tests.portal.conftest import PASSWORD, ROOT, Portal, add_institution

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

COUNTY = "360104"
TOWN, VILLAGE = "360104001", "360104001001"
OTHER_TOWN, OTHER_VILLAGE = "360104002", "360104002001"
XSS = "<img src=x onerror=alert(1)>"

USERS = {  # name: (role, jurisdiction)
    "clerk": ("village_clerk", VILLAGE), "town": ("township_officer", TOWN),
    "county": ("county_officer", COUNTY), "city": ("city_officer", "360100"),
    "liaison": ("department_liaison", COUNTY), "auditor": ("auditor", COUNTY),
    "admin": ("admin", ""),
}


NAMES = {"clerk": "张文书", "town": "李乡长", "county": "王科长", "city": "陈处长",
         "liaison": "刘联络", "auditor": "周审计", "admin": "管理员"}


def expected_menus(role: str) -> list[str]:
    """The entries the permission table gives a role, in the portal's order
    (menus.ts pairs each entry with its permission)."""
    entries = re.findall(r'label: "([^"]+)", permission: "([^"]+)"',
                         (ROOT / "portal" / "src" / "lib" / "menus.ts").read_text())
    return [label for label, permission in entries if allowed(role, permission)]


class World:
    def __init__(self, app):
        from gateway.tests.conftest import bearer, token_for

        self.client = app.test_client()
        store = app.extensions["doudi_store"]
        self.h = {}
        for name, (role, where) in USERS.items():
            store.add_user(name, PASSWORD, role, where, display_name=NAMES[name])
            self.h[name] = bearer(token_for(app, store.get_user(name)))
        self.today = datetime.now(SHANGHAI).date().isoformat()

    def call(self, who: str, method: str, url: str, status: int | tuple = (200, 201), **kw):
        resp = self.client.open(url, method=method, headers=self.h[who], **kw)
        assert resp.status_code in ((status,) if isinstance(status, int) else status), \
            (url, resp.status_code, resp.get_json())
        return resp.get_json()

    def person(self, who: str, name: str, village: str, seq: int) -> str:
        pid = make_id_number(region=COUNTY, birth="19450302", seq=seq)
        self.call(who, "POST", "/api/v1/persons", json={
            "id_number": pid, "name": name, "division_code": village, "registration": "urban",
            "household": {"lives_alone": True, "sudden_no_carer": True},
            "hardship": [{"status": "tekun", "valid_from": "2024-01-01"}]})
        return pid

    def application(self, pid: str) -> str:
        return self.call("clerk", "POST", "/api/v1/applications", json={
            "id_number": pid, "care_mode": "home_visit", "documents": ["id_card"],
            "consent": {"given": True, "by": "本人", "on": self.today}})["application_id"]


@pytest.fixture
def world(portal_app):
    server, app, _ = portal_app
    return server, app, World(app)


def test_each_role_sees_its_menus_and_only_its_people(world, browser):
    server, app, w = world
    mine = w.person("clerk", "洪都甲", VILLAGE, 11)
    other = w.person("county", "京山乙", OTHER_VILLAGE, 12)
    with Portal(browser, server.url) as p:
        for name, (role, _) in USERS.items():
            p.login(name)
            shown = p.page.locator(".el-menu-item").all_inner_texts()
            assert [s.strip() for s in shown if s.strip() != "工作台"] == expected_menus(role), \
                (name, shown)
            p.logout()
        # the menus are derived from the same table the gateway enforces: spot-check it
        assert "用户管理" in expected_menus("admin")
        assert "用户管理" not in expected_menus("county_officer")
        assert "审计记录" in expected_menus("auditor")
        assert "登记人员" not in expected_menus("auditor")
        assert "月度结算" not in expected_menus("village_clerk")

        # a page outside the role: the no-permission page, not an error
        p.login("clerk")
        p.go("/audit")
        assert "无权访问" in p.page.locator(".el-result").inner_text()
        p.logout()

        # a township officer: their own person opens, another township's is "not found"
        p.login("town")
        p.go(f"/persons/{mine}")
        p.page.locator("[data-test=person-name]").wait_for()
        assert "洪都甲" in p.page.locator("[data-test=person-name]").inner_text()
        p.go(f"/persons/{other}")
        p.page.locator("[data-test=not-found]").wait_for()
        assert "京山乙" not in p.page.content() and other not in p.page.content()
        p.shot("portal-not-found")
        # ... and the list has only their own
        p.menu("人员查询")
        p.page.locator("table").first.wait_for()
        assert "洪都甲" in p.page.content() and "京山乙" not in p.page.content()
        # ... filtered: tekun now, yes; in care, not yet
        p.choose("按困难身份查找", "特困人员")
        p.page.locator(".el-table__body", has_text="洪都甲").wait_for()
        p.choose("按照护状态查找", "在册照护中")
        p.page.get_by_text("没有符合条件的人员").wait_for()
        p.shot("portal-person-list-filtered")
        p.logout()

        # login failures and the lockout, in Chinese (the password is not kept)
        app.config["DOUDI"].update(LOCKOUT_FAILURES=3)
        alert = p.page.locator(".el-alert")
        said = []
        for _ in range(4):
            p.page.get_by_label("用户名").fill("town")
            p.page.get_by_label("密码").fill("wrong-password")
            p.page.get_by_role("button", name="登录").click()
            p.page.wait_for_function("() => document.querySelector('.el-alert') && "
                                     "document.getElementById('password').value === ''")
            said.append(alert.inner_text().strip())
        assert said[0] == "用户名或密码错误", said
        assert "账户已暂时锁定" in said[-1] and "分钟后可再试" in said[-1], said
        p.shot("portal-login-locked")
        assert p.errors == [], p.errors


def test_an_expired_token_is_renewed_and_an_expired_session_comes_back(world, browser):
    server, app, w = world
    w.person("clerk", "洪都丙", VILLAGE, 13)
    app.config["DOUDI"].update(ACCESS_TTL=2, REFRESH_TTL=8)
    with Portal(browser, server.url) as p:
        p.login("town")
        p.page.wait_for_timeout(3000)  # the access token has expired
        p.menu("人员查询")
        p.page.get_by_text("洪都丙").first.wait_for()  # renewed on the way, nobody noticed
        assert p.page.locator("#username").count() == 0
        p.page.wait_for_timeout(9000)  # now the refresh token has expired too
        p.page.locator(".el-menu-item", has_text="申请与审核").click()
        p.page.wait_for_selector("#username")  # the login page, asking again ...
        assert "next=" in p.page.url and "applications" in p.page.url
        p._sign_in()
        p.page.wait_for_url(re.compile(r"/applications$"))  # ... and back where they were
        assert p.errors == [], p.errors


def test_bad_input_is_shown_on_the_field_and_nothing_is_saved(world, browser):
    server, _, w = world
    pid = w.person("clerk", "洪都丁", VILLAGE, 14)
    app_id = w.application(pid)
    w.call("clerk", "POST", f"/api/v1/applications/{app_id}/reviews",
           json={"action": "village_review"})
    with Portal(browser, server.url) as p:
        p.login("clerk")
        # an ID number whose check digit is wrong: said on the field, no request made
        p.menu("登记人员")
        good = make_id_number(region=COUNTY, birth="19440101", seq=15)
        bad = good[:-1] + ("0" if good[-1] != "0" else "1")
        p.fill("身份证号码", bad)
        p.fill("姓名", "洪都戊")
        p.button("登记")
        field_error = p.page.locator(".el-form-item.is-error .el-form-item__error")
        field_error.first.wait_for()
        assert "校验" in field_error.first.inner_text(), field_error.all_inner_texts()
        w.call("county", "GET", f"/api/v1/persons/{good}", 404)
        w.call("county", "GET", f"/api/v1/persons/{bad}", (404, 422))
        # an empty name: the gateway's own field error, shown on the name field
        p.fill("身份证号码", good)
        p.fill("姓名", " ")
        p.button("登记")
        name_item = p.page.locator(".el-form-item", has=p.page.get_by_label("姓名", exact=True))
        name_item.locator(".el-form-item__error").wait_for()
        assert p.page.get_by_label("身份证号码", exact=True).input_value() == good  # kept
        w.call("county", "GET", f"/api/v1/persons/{good}", 404)
        p.shot("portal-register-errors")

        # no consent: the application is not filed
        p.go(f"/persons/{pid}")
        p.button("提交申请")
        p.radio("居家上门服务")
        p.check("身份证")
        p.button("提交申请")
        consent = p.page.locator(".el-form-item", has=p.page.locator("[data-test=consent]"))
        consent.locator(".el-form-item__error").wait_for()
        assert "自愿申请" in consent.locator(".el-form-item__error").inner_text()
        p.shot("portal-apply-without-consent")
        apps = w.call("county", "GET", f"/api/v1/applications?id_number={pid}")["items"]
        assert [a["application_id"] for a in apps] == [app_id]
        p.button("取消")
        p.logout()

        # reject without a reason: the reason field says so, the application stays
        p.login("town")
        p.go(f"/applications/{app_id}")
        p.button("不予批准")
        p.button("确定")
        reason = p.page.locator(".el-form-item", has=p.page.get_by_label("不予批准的理由"))
        reason.locator(".el-form-item__error").wait_for()
        assert "理由" in reason.locator(".el-form-item__error").inner_text()
        assert w.call("county", "GET", f"/api/v1/applications/{app_id}")["state"] == \
            "village_reviewed"
        # with a reason it goes through
        p.fill("不予批准的理由", "经入户调查，家中有赡养人")
        p.button("确定")
        p.succeeded()
        p.page.get_by_text("不予批准").first.wait_for()
        assert w.call("county", "GET", f"/api/v1/applications/{app_id}")["state"] == "rejected"
        assert p.errors == [], p.errors


MAIN_PAGES = [  # (who, address, screenshot) — every main page, as someone who may see it
    ("clerk", "/", "home"), ("clerk", "/persons", "persons"),
    ("clerk", "/persons/new", "person-register"), ("clerk", "/persons/{pid}", "person"),
    ("county", "/applications", "applications"),
    ("county", "/applications/{app_id}", "application"),
    ("county", "/notices", "notices"), ("county", "/institutions", "institutions"),
    ("county", "/institutions/{uscc}", "institution"),
    ("county", "/funding/settlement", "settlement"), ("county", "/jobs", "jobs"),
    ("county", "/services/cards", "service-cards"),
    ("county", "/services/records", "service-records"),
    ("county", "/services/alerts", "alerts"), ("county", "/services/visits", "overdue-visits"),
    ("county", "/dashboard", "dashboard"),
    ("auditor", "/audit", "audit"), ("admin", "/admin/users", "users"),
]


def test_a_name_is_text_and_every_main_page_passes_axe(world, browser):
    server, _, w = world
    pid = w.person("clerk", XSS, VILLAGE, 16)
    app_id = w.application(pid)
    uscc = add_institution(w.client, w.h["county"], "12360104MB0000002C", COUNTY, "青云谱区敬老院")
    found: dict[str, list] = {}
    with Portal(browser, server.url) as p:
        p.page.goto(server.url + "/login")
        p.settle()
        found["login"] = p.axe()
        p.shot("page-login")
        who = None
        for user, address, name in MAIN_PAGES:
            if user != who:
                if who:
                    p.logout()
                p.login(user)
                who = user
            p.go(address.format(pid=pid, app_id=app_id, uscc=uscc))
            found[name] = p.axe()
            p.shot(f"page-{name}")
            # the name, wherever it is shown, is text: no element made of it
            assert p.page.locator("img[src='x']").count() == 0, name
        for address in ("/persons", f"/persons/{pid}", "/applications", f"/applications/{app_id}"):
            p.go(address)
            p.page.get_by_text(XSS).first.wait_for()
            assert p.page.locator("img[src='x']").count() == 0, address
        assert p.dialogs == [], p.dialogs  # alert(1) never ran
        (ROOT / "var" / "screenshots" / "axe.json").write_text(
            json.dumps(found, ensure_ascii=False, indent=1))
        assert {k: v for k, v in found.items() if v} == {}
        assert p.errors == [], p.errors
    assert all(Path(ROOT / "var" / "screenshots" / f"page-{n}.png").is_file()
               for _, _, n in MAIN_PAGES)
