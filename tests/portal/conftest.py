"""The portal against the real suite: the four services (in this process, on
PostgreSQL and RabbitMQ, with clocks the test can move), the gateway serving the
portal's build and its API over real HTTP (werkzeug, green threads), and
Debian's Chromium driven by Playwright (/usr/bin/chromium; no browser is ever
downloaded). Screenshots go to var/screenshots/."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from doudi_common.testing.fixtures import free_port

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "var" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "portal-test-password-1"


def portal_dist() -> Path:
    """The portal's build (``make test`` builds it; here too when it is missing)."""
    dist = ROOT / "portal" / "dist"
    if not (dist / "index.html").is_file():
        subprocess.run([str(ROOT / "scripts" / "build-portal.sh")], check=True, timeout=600)
    return dist


class Server:
    """The gateway app on a free port, served by werkzeug in a (green) thread."""

    def __init__(self, app):
        from werkzeug.serving import make_server

        port = free_port()
        self.httpd = make_server("127.0.0.1", port, app, threaded=True)
        self.url = f"http://127.0.0.1:{port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()


@pytest.fixture
def portal_app(rabbit, start_service, tmp_path):
    """Services + gateway (with the portal) on real HTTP; yields (server, app, containers)."""
    from doudi_gateway.app import create_app

    from gateway.tests.conftest import gateway_test_config

    containers = {s: start_service(s) for s in
                  ("eligibility", "institutions", "funding", "services_log")}
    app = create_app(gateway_test_config(tmp_path, rabbit["AMQP_URI"], RPC_TIMEOUT=15,
                                         PORTAL_DIR=str(portal_dist()), LOG_LEVEL="WARNING"))
    from doudi_gateway.cli import seed_divisions

    seed_divisions(app.extensions["doudi_store"])
    server = Server(app)
    yield server, app, containers
    server.close()


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """One Chromium for the session: Playwright's sync driver cannot be started
    twice in a process (it leaves its event loop behind, see below)."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    driver = sync_playwright().start()
    chromium = driver.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
    yield chromium
    chromium.close()
    # driver.stop() waits on the driver process in a way eventlet's hub never
    # wakes; the driver exits on its own when its pipe closes with this process
    _ = driver


def with_check_digit(uscc: str) -> str:
    from stdnum.cn import uscc as scheme

    return uscc[:17] + scheme.calc_check_digit(uscc[:17])


def add_institution(client, headers, uscc: str, county: str, name: str) -> str:
    """A tekun home with a double room of two beds and its month prices (over the API)."""
    from datetime import datetime

    from doudi_common.clock import SHANGHAI

    uscc = with_check_digit(uscc)
    today = datetime.now(SHANGHAI).date().isoformat()

    def post(url: str, body: dict) -> None:
        resp = client.post(url, json=body, headers=headers)
        assert resp.status_code < 300, (url, resp.status_code, resp.get_json())

    post("/api/v1/institutions", {
        "uscc": uscc, "name": name, "legal_form": "public_institution", "kind": "tekun_home",
        "operating_model": "public", "division_code": county, "opened_on": "2015-01-01",
        "status": "open"})
    post(f"/api/v1/institutions/{uscc}/rooms",
         {"room_no": "201", "room_type": "double", "beds": ["201-1", "201-2"]})
    for code, category, price, extra in (("BED-D", "bed", "800.00", {"room_type": "double"}),
                                         ("NUR-F", "nursing", "1000.00", {"care_level": "full"}),
                                         ("MEAL", "meals", "500.00", {})):
        post(f"/api/v1/institutions/{uscc}/catalog", {
            "code": code, "category": category, "name": code, "unit": "month", "price": price,
            "effective_from": today, **extra})
    return uscc


class Portal:
    """A person at the portal: log in as someone, click, fill, choose, look."""

    def __init__(self, browser, base: str):
        self.base = base
        self.context = browser.new_context(viewport={"width": 1366, "height": 900},
                                           locale="zh-CN", timezone_id="Asia/Shanghai")
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def login(self, username: str, password: str = PASSWORD) -> None:
        page = self.page
        self.user = (username, password)
        page.goto(self.base + "/login")
        self._sign_in()

    def _sign_in(self) -> None:
        page = self.page
        username, password = self.user
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_selector("[data-test=who]")

    def logout(self) -> None:
        self.page.get_by_role("button", name="退出登录").click()
        self.page.wait_for_selector("#username")

    def settle(self) -> None:
        """The page has drawn what it asked for: no loading mask left. (Not
        Playwright's "networkidle": under eventlet its wait can miss its wake-up.)"""
        self.page.wait_for_timeout(300)
        self.page.locator(".el-loading-mask:visible").first.wait_for(state="detached",
                                                                    timeout=15000)

    def go(self, path: str) -> None:
        """Open an address as a person would type it: the tokens live in the
        page's memory only, so a fresh load asks for the password again and then
        comes back to the address."""
        self.page.goto(self.base + path)
        if self.page.locator("#username").count():
            self._sign_in()
        self.settle()

    def menu(self, label: str) -> None:
        self.page.locator(".el-menu-item", has_text=label).first.click()
        self.settle()

    def fill(self, label: str, value: str) -> None:
        self.page.get_by_label(label, exact=True).first.fill(value)

    def date(self, label: str, value: str) -> None:
        field = self.page.get_by_label(label, exact=True).first
        field.fill(value)
        field.press("Enter")

    def choose(self, label: str, option: str) -> None:
        """An Element Plus select: open it by its box, pick the option by its text."""
        box = self.page.locator(".el-select__wrapper:visible", has=self.page.get_by_label(
            label, exact=True)).first
        box.click()
        self.page.locator(".el-select-dropdown__item:visible", has_text=option).first.click()

    def check(self, text: str) -> None:
        self.page.locator(".el-checkbox:visible", has_text=text).first.click()

    def radio(self, text: str) -> None:
        self.page.locator(".el-radio:visible, .el-radio-button:visible",
                          has_text=text).first.click()

    def button(self, name: str) -> None:
        self.page.get_by_role("button", name=name, exact=True).last.click()

    def succeeded(self, text: str = "") -> None:
        """A success message (with ``text``) appears; else say what the page shows."""
        message = self.page.locator(".el-message--success", has_text=text).last
        try:
            message.wait_for(timeout=15000)
        except Exception as exc:
            shown = self.page.locator(".el-alert:visible, .el-message:visible, "
                                      ".el-form-item__error:visible").all_inner_texts()
            self.shot("failure")
            raise AssertionError(f"no success message {text!r}; the page shows {shown}") from exc

    def option(self, chart: str) -> dict:
        """The ECharts option a chart (``data-test-chart``) drew, as it keeps it."""
        return json.loads(self.page.locator(f"[data-test-chart={chart}]")
                          .get_attribute("data-option"))

    def click_bar(self, chart: str, done, start: float, end: float, above: int = 36) -> None:
        """Click along a chart's canvas (``start``–``end`` of its width, ``above``
        pixels over its bottom) until ``done()``: ECharts takes a click on its
        canvas, so try along the category until one lands on its bar. (Not
        wait_for_url: its wake-up can miss under eventlet.)"""
        canvas = self.page.locator(f"[data-test-chart={chart}] canvas").first
        box = canvas.bounding_box()
        for x in range(int(box["width"] * start), int(box["width"] * end), 6):
            if done() or self.page.locator(f"[data-test-chart={chart}] canvas").count() == 0:
                break  # the page has gone on
            canvas.click(position={"x": x, "y": box["height"] - above}, timeout=5000)
            self.page.wait_for_timeout(300)
        assert done(), f"no bar of {chart} between {start} and {end} led on: {self.page.url}"

    def list_is(self, list_test: str, figure: int) -> None:
        """A paged list (its ``data-total``) comes to ``figure`` items."""
        from doudi_common.testing.fixtures import wait_for

        marker = self.page.locator(f"[data-test={list_test}]")
        marker.wait_for()
        try:
            wait_for(lambda: marker.get_attribute("data-total") == str(figure), timeout=10,
                     message=f"{list_test} to hold {figure}")
        except AssertionError as exc:
            raise AssertionError(f"{list_test} holds {marker.get_attribute('data-total')}, "
                                 f"the figure is {figure} ({self.page.url})") from exc

    def excel(self) -> dict:
        """Download the page's Excel (its 下载 Excel button): (类别, 指标) → 数值
        for the dashboards' figure tables, read back with openpyxl."""
        import io

        from openpyxl import load_workbook

        with self.page.expect_download() as got:
            self.page.locator("[data-test=download]").click()
        book = load_workbook(io.BytesIO(got.value.path().read_bytes()))
        return {(r[0], r[1]): r[2] for r in book.active.iter_rows(min_row=4, values_only=True)}

    def shot(self, name: str) -> Path:
        path = SHOTS / f"{name}.png"
        self.settle()
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def axe(self) -> list[dict]:
        """axe-core's serious and critical violations on the current page."""
        # evaluated, not added as a <script>: the portal's CSP refuses inline script
        script = (ROOT / "portal" / "node_modules" / "axe-core" / "axe.min.js").read_text()
        # colours are judged after Element Plus's fade-ins have finished
        self.page.wait_for_function("() => !document.querySelector("
                                    "'[class*=\"-enter-active\"], [class*=\"-leave-active\"]')")
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.evaluate(f"() => {{ {script}\n; window.axe = axe; }}")
        result = self.page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
                 "nodes": [(n["target"], n["html"][:160]) for n in v["nodes"][:3]]}
                for v in result["violations"] if v["impact"] in ("serious", "critical")]

    def close(self) -> None:
        self.context.close()

    def __enter__(self) -> Portal:
        return self

    def __exit__(self, kind, exc, tb) -> None:
        """Closes the page; a failure leaves a screenshot of what it showed."""
        try:
            if kind is not None:
                self.page.screenshot(path=str(SHOTS / "failure.png"), full_page=True)
        finally:
            self.close()
