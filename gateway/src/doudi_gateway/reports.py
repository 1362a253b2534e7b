"""The tables of the exports (``doudi_gateway.exports`` renders them): what
each report's columns are called, in which order, and how each is read."""

from __future__ import annotations

import re
from typing import Any

from doudi_gateway.exports import Column, Table

NOTICE = (
    Column("application_id", "申请编号"), Column("name", "姓名"),
    Column("id_number_masked", "身份证号（脱敏）"), Column("division_code", "区划代码"),
    Column("care_mode", "照护方式", "code", "care_modes"),
    Column("policy_pack", "政策依据", "code", "policy_packs"),
    Column("approved_on", "批准日期"), Column("notice_from", "公示开始"),
    Column("notice_until", "公示结束"),
)

STANDING = (
    Column("name", "姓名"), Column("id_number_masked", "身份证号（脱敏）"),
    Column("division_code", "区划代码"),
    Column("care_mode", "服务方式", "code", "care_modes"),
    Column("since", "享受服务起始日期"),
    Column("policy_pack", "政策依据", "code", "policy_packs"), Column("clause", "公示依据条款"),
)

_CHANNELS = (
    Column("own_subsidies", "个人补贴（元）", "money"),
    Column("family_share", "家庭自付（元）", "money"),
    Column("donations", "社会捐助（元）", "money"),
    Column("county_cover", "县级兜底（元）", "money"),
)

SUMMARY = (
    Column("month", "月份"), Column("cases", "结算人数", "int"),
    Column("total", "合计（元）", "money"), *_CHANNELS,
    Column("caregiver_subsidy", "照护补贴（元）", "money"),
    Column("service_subsidy", "服务补贴（元）", "money"),
    Column("management_fee", "管理费（元）", "money"),
    Column("adjustments", "补差调整（元）", "money"),
    Column("top_up_needed", "需县级补足（元）", "money"),
)

STATEMENT = (
    Column("case_id", "入住编号"), Column("line", "结算行", "code", "settlement_lines"),
    Column("for_month", "所属月份"), Column("id_number_masked", "身份证号（脱敏）"),
    Column("days", "在院天数", "int"), Column("days_in_month", "当月天数", "int"),
    Column("cost", "费用（元）", "money"), Column("excess", "整合补贴超出部分（元）", "money"),
    *_CHANNELS, Column("self_pay_ratio", "自付比例"),
)


LINES = (
    Column("case_id", "个案编号"), Column("kind", "类型", "code", "care_modes"),
    Column("line", "结算行", "code", "settlement_lines"), Column("for_month", "所属月份"),
    Column("id_number_masked", "身份证号（脱敏）"), Column("institution_uscc", "机构信用代码"),
    Column("days", "天数", "int"), Column("days_in_month", "当月天数", "int"),
    Column("cost", "费用（元）", "money"), Column("excess", "整合补贴超出部分（元）", "money"),
    *_CHANNELS, Column("caregiver_subsidy", "照护补贴（元）", "money"),
    Column("self_pay_ratio", "自付比例"),
)

PAYOUTS = (
    Column("payout_id", "支付编号"), Column("month", "月份"),
    Column("payee_kind", "收款方类型", "code", "payee_kinds"),
    Column("payee_uscc", "收款机构信用代码"),
    Column("payee_id_number_masked", "收款人身份证号（脱敏）"),
    Column("purpose", "用途", "code", "pilot_purposes"), Column("amount", "金额（元）", "money"),
    Column("issued_on", "支付日期"), Column("settlement_id", "结算编号"),
)

RECONCILIATION = (
    Column("name", "核对项"), Column("expected", "应有数（元）", "money"),
    Column("actual", "实际数（元）", "money"), Column("difference", "差额（元）", "money"),
)


def _code(scope: str) -> str:
    """The code in a scope label ("安徽省六安市金安区（341502）" → "341502"), for file names."""
    found = re.search(r"（([0-9A-Z]+)）$", scope)
    return found.group(1) if found else scope


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, **(row.get("by_channel") or {})}


def notice_table(rows: list[dict[str, Any]], township: str, period: str, by: str) -> Table:
    return Table("公示名单", township, period, NOTICE, rows, generated_by=by,
                 filename=f"public-notice-{_code(township)}-{period}")


def standing_table(rows: list[dict[str, Any]], division: str, on: str, by: str) -> Table:
    return Table("服务类社会救助对象长期公示名单", division, on, STANDING, rows, generated_by=by,
                 filename=f"standing-notice-{_code(division)}-{on}")


def summary_table(summary: dict[str, Any], county: str, by: str) -> Table:
    rows = [_flat(m) for m in summary["months"]]
    rows.append(_flat({**summary, "month": f"合计 {summary['period']}"}))
    return Table("县级结算汇总", county, str(summary["period"]), SUMMARY, rows,
                 generated_by=by, filename=f"funding-{_code(county)}-{summary['period']}")


def statement_table(statement: dict[str, Any], institution: str, by: str) -> Table:
    rows = [_flat(x) for x in statement["lines"]]
    rows.append(_flat({"case_id": "合计", "for_month": statement["month"],
                       "cost": statement["total"], "excess": statement["excess"],
                       "by_channel": statement["by_channel"]}))
    return Table("机构结算单", institution, statement["month"], STATEMENT, rows,
                 generated_by=by, filename=f"funding-{_code(institution)}-{statement['month']}")


def lines_table(rows: list[dict[str, Any]], scope: str, month: str, by: str) -> Table:
    return Table("逐人结算明细", scope, month, LINES, [_flat(r) for r in rows],
                 generated_by=by, filename=f"settlement-lines-{_code(scope)}-{month}")


def payouts_table(rows: list[dict[str, Any]], scope: str, month: str, by: str) -> Table:
    return Table("支付记录", scope, month, PAYOUTS, rows, generated_by=by,
                 filename=f"payouts-{_code(scope)}-{month}")


def reconciliation_table(report: dict[str, Any], county: str, month: str, by: str) -> Table:
    rows = [*report["checks"], {"name": "差额合计", "difference": report["difference"]}]
    return Table("对账", county, month, RECONCILIATION, rows, generated_by=by,
                 filename=f"reconciliation-{_code(county)}-{month}")
