"""Write the Grafana dashboards (deploy/grafana/*.json) from the panels below,
and docker compose's Prometheus rule file (deploy/prometheus/rules.yml) from
the cluster's PrometheusRule (deploy/k8s/components/monitoring).

    python scripts/grafana_dashboards.py          # rewrite them
    python scripts/grafana_dashboards.py --check  # exit 1 if a file differs

Four dashboards: the suite at a glance, one service (a ``service`` variable),
the message flow (events in and out, dead letters, outbox lag) and the monthly
settlement. Every query reads a metric the suite exports (doudi_common.metrics,
doudi_gateway.observe, funding's jobs) or RabbitMQ's prometheus plugin;
tests/test_monitoring.py scrapes the running processes to prove it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
OUT = DEPLOY / "grafana"
RULE = DEPLOY / "k8s" / "components" / "monitoring" / "prometheusrule.yaml"
RULES_FILE = DEPLOY / "prometheus" / "rules.yml"
SVC = 'service=~"$service"'

# (title, unit, [(expr, legend)]) per panel; two panels a row
DASHBOARDS: dict[str, tuple[str, list]] = {
    "doudi-overview": ("兜底 · 全局概览", [
        ("网关请求（每秒，按状态）", "reqps", [
            ('sum by (status) (rate(doudi_gateway_requests_total[5m]))', "{{status}}")]),
        ("网关 5xx 比例", "percentunit", [
            ('sum(rate(doudi_gateway_requests_total{status=~"5.."}[5m])) '
             '/ sum(rate(doudi_gateway_requests_total[5m]))', "5xx")]),
        ("网关延迟 p50 / p99", "s", [
            ('histogram_quantile(0.5, sum by (le) '
             '(rate(doudi_gateway_request_duration_seconds_bucket[5m])))', "p50"),
            ('histogram_quantile(0.99, sum by (le) '
             '(rate(doudi_gateway_request_duration_seconds_bucket[5m])))', "p99")]),
        ("各服务 RPC（每秒，按结果）", "reqps", [
            ('sum by (service, outcome) (rate(doudi_rpc_calls_total[5m]))',
             "{{service}} {{outcome}}")]),
        ("事件处理（每秒，按服务）", "ops", [
            ('sum by (service) (rate(doudi_events_consumed_total[5m]))', "{{service}}")]),
        ("死信（15 分钟内，按原因）", "short", [
            ('sum by (service, reason) (increase(doudi_dead_letters_total[15m]))',
             "{{service}} {{reason}}")]),
        ("发件箱最早待发事件（秒）", "s", [
            ('max by (service) (doudi_outbox_oldest_age_seconds)', "{{service}}")]),
        ("服务副本在线", "short", [
            ('count by (container) (up{container=~"eligibility|institutions|funding|'
             'services-log"} == 1)', "{{container}}")]),
    ]),
    "doudi-service": ("兜底 · 单个服务", [
        ("RPC（每秒，按方法与结果）", "reqps", [
            (f'sum by (method, outcome) (rate(doudi_rpc_calls_total{{{SVC}}}[5m]))',
             "{{method}} {{outcome}}")]),
        ("RPC p99（按方法）", "s", [
            (f'histogram_quantile(0.99, sum by (le, method) '
             f'(rate(doudi_rpc_duration_seconds_bucket{{{SVC}}}[5m])))', "{{method}}")]),
        ("事件处理（按来源、类型与结果）", "ops", [
            (f'sum by (source, type, outcome) '
             f'(rate(doudi_events_consumed_total{{{SVC}}}[5m]))',
             "{{source}} {{type}} {{outcome}}")]),
        ("每批处理耗时 p99（按处理器）", "s", [
            (f'histogram_quantile(0.99, sum by (le, handler) '
             f'(rate(doudi_handler_duration_seconds_bucket{{{SVC}}}[5m])))', "{{handler}}")]),
        ("收件箱识别的重复事件", "short", [
            (f'sum by (handler) (increase(doudi_inbox_duplicates_total{{{SVC}}}[15m]))',
             "{{handler}}")]),
        ("定时任务（按结果）", "short", [
            (f'sum by (timer, outcome) (increase(doudi_timer_runs_total{{{SVC}}}[15m]))',
             "{{timer}} {{outcome}}")]),
        ("连接错误（数据库 / 消息队列）", "short", [
            (f'sum by (dependency) (increase(doudi_connection_errors_total{{{SVC}}}[15m]))',
             "{{dependency}}")]),
        ("发件箱待发 / 最早等待", "short", [
            (f'sum(doudi_outbox_pending{{{SVC}}})', "待发"),
            (f'max(doudi_outbox_oldest_age_seconds{{{SVC}}})', "最早等待（秒）")]),
    ]),
    "doudi-messages": ("兜底 · 消息流", [
        ("流入：事件处理（按来源）", "ops", [
            ('sum by (source) (rate(doudi_events_consumed_total{outcome="applied"}[5m]))',
             "{{source}}")]),
        ("流出：发件箱发布（按服务）", "ops", [
            ('sum by (service) (rate(doudi_outbox_published_total[5m]))', "{{service}}")]),
        ("死信（按服务与原因）", "short", [
            ('sum by (service, reason) (increase(doudi_dead_letters_total[15m]))',
             "{{service}} {{reason}}")]),
        ("重试（数据库暂不可用）", "short", [
            ('sum by (service) (increase(doudi_events_consumed_total{outcome="retried"}[15m]))',
             "{{service}}")]),
        ("发件箱积压", "short", [
            ('sum by (service) (doudi_outbox_pending)', "{{service}}")]),
        ("发件箱确认延迟 p99", "s", [
            ('histogram_quantile(0.99, sum by (le, service) '
             '(rate(doudi_outbox_confirm_duration_seconds_bucket[5m])))', "{{service}}")]),
        ("队列待处理消息（RabbitMQ）", "short", [
            ('sum by (queue) (rabbitmq_queue_messages_ready{queue=~"(eligibility|'
             'institutions|funding|services_log)\\\\..*"})', "{{queue}}")]),
        ("发件箱发布失败", "short", [
            ('sum by (service) (increase(doudi_outbox_relay_failures_total[15m]))',
             "{{service}}")]),
    ]),
    "doudi-settlement": ("兜底 · 月度结算", [
        ("结算任务（按结果）", "short", [
            ('sum by (outcome) (increase(doudi_settlement_jobs_total[1h]))', "{{outcome}}")]),
        ("结算任务耗时 p90", "s", [
            ('histogram_quantile(0.9, sum by (le) '
             '(rate(doudi_settlement_job_duration_seconds_bucket[1h])))', "p90")]),
        ("已结算个案（每小时）", "short", [
            ('increase(doudi_settlement_cases_settled_total[1h])', "个案")]),
        ("资金服务 RPC 错误", "short", [
            ('sum by (method) (increase(doudi_rpc_calls_total{service="funding",'
             'outcome=~"error|transient"}[1h]))', "{{method}}")]),
    ]),
}


def panel(n: int, title: str, unit: str, queries: list) -> dict:
    return {
        "id": n + 1, "type": "timeseries", "title": title,
        "gridPos": {"h": 8, "w": 12, "x": 12 * (n % 2), "y": 8 * (n // 2)},
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
        "targets": [{"refId": chr(ord("A") + i), "expr": expr, "legendFormat": legend}
                    for i, (expr, legend) in enumerate(queries)],
    }


def dashboard(uid: str, title: str, panels: list) -> dict:
    variables = [{"name": "datasource", "label": "数据源", "type": "datasource",
                  "query": "prometheus", "current": {}}]
    if uid == "doudi-service":
        variables.append({
            "name": "service", "label": "服务", "type": "query",
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "query": "label_values(doudi_rpc_calls_total, service)",
            "refresh": 2, "current": {}})
    return {"uid": uid, "title": title, "tags": ["doudi"], "timezone": "Asia/Shanghai",
            "schemaVersion": 39, "version": 1, "editable": True, "refresh": "30s",
            "time": {"from": "now-6h", "to": "now"},
            "templating": {"list": variables},
            "panels": [panel(n, *spec) for n, spec in enumerate(panels)]}


def rules_file() -> str:
    import yaml

    spec = yaml.safe_load(RULE.read_text(encoding="utf-8"))["spec"]
    return ("# Written by scripts/grafana_dashboards.py from\n"
            "# deploy/k8s/components/monitoring/prometheusrule.yaml: edit that one.\n"
            + yaml.safe_dump(spec, allow_unicode=True, sort_keys=False, width=100))


def rendered() -> dict[Path, str]:
    files = {OUT / f"{uid}.json": json.dumps(dashboard(uid, title, panels),
                                             ensure_ascii=False, indent=2) + "\n"
             for uid, (title, panels) in DASHBOARDS.items()}
    files[RULES_FILE] = rules_file()
    return files


def main(argv: list[str]) -> int:
    files = rendered()
    if "--check" in argv:
        stale = [path.name for path, text in files.items()
                 if not path.exists() or path.read_text(encoding="utf-8") != text]
        if stale:
            print(f"stale: {stale}; run python scripts/grafana_dashboards.py", file=sys.stderr)
        return 1 if stale else 0
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
