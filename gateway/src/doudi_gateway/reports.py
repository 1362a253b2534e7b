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

FIGURES = (Column("group", "类别"), Column("item", "指标"), Column("value", "数值", "number"))

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


# -- the officials' dashboards (issue 18): every figure of a page, one per row ----------

def _label(vocabulary: str, code: str) -> str:
    from doudi_contracts.vocabularies import VOCABULARIES

    vocab = VOCABULARIES[vocabulary]
    return vocab.label(code) if code in vocab.codes else code


def _rows(group: str, items: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"group": group, "item": item, "value": value} for item, value in items.items()]


def caseload_table(stats: dict[str, Any], scope: str, by: str) -> Table:
    rows = _rows("总体", {"登记人员": stats["registered"], "符合条件": stats["eligible"],
                        "月底在照护": stats["in_care"], "本月纳入": stats["entries"],
                        "本月终止": stats["exits"]})
    for hardship, modes in stats["by_hardship"].items():
        name = "未记录" if hardship == "none" else _label("hardship", hardship)
        rows += _rows("月底在照护（困难类别×照护方式）",
                      {f"{name}·{_label('care_modes', m)}": n for m, n in modes.items()})
    rows += _rows("本月终止（原因）", {_label("enrolment_end_reasons", r): n
                                   for r, n in stats["exits_by_reason"].items()})
    for state, p in stats["pending"].items():
        name = _label("application_states", state)
        rows += _rows("在办申请", {f"{name}·件数": p["count"],
                               f"{name}·等待天数中位数": p["median_days"],
                               f"{name}·最长等待天数": p["max_days"]})
    rows += _rows("年度复核", {"本月底前到期": stats["reviews"]["due"],
                           "已逾期": stats["reviews"]["overdue"]})
    return Table("照护对象与待办统计", scope, stats["month"], FIGURES, rows, generated_by=by,
                 filename=f"caseload-{_code(scope)}-{stats['month']}")


def institutions_table(stats: dict[str, Any], scope: str, period: str, by: str) -> Table:
    staff = stats["staff"]
    rows = _rows("机构与床位", {
        "机构数": stats["institutions"], "特困供养机构数": stats["tekun_institutions"],
        "床位数": stats["beds"], "在住人数": stats["occupied"],
        "入住率": stats["occupancy"] or "", "低于三级的特困供养机构数": stats["below_grade_3"],
        "需要照护的特困人员": stats["tekun_needing_care"],
        "机构集中供养的特困人员": stats["tekun_in_institutions"],
        "集中供养率": stats["centralised_support_rate"] or ""})
    rows += _rows("机构等级", {("未评定" if g == "none" else _label("institution_grades", g)): n
                           for g, n in stats["by_grade"].items()})
    rows += _rows("工作人员", {"护士": staff["nurses"], "护工": staff["carers"],
                           "安全员": staff["safety_officers"], "社工": staff["social_workers"],
                           "其他": staff["others"], "公益岗": staff["public_welfare_posts"]})
    ins = stats["inspections"]
    rows += _rows("检查与整改", {"本年检查次数": ins["done_this_year"],
                              "逾期未检查": ins["patrols_overdue"],
                              "未整改问题": ins["open_findings"],
                              "逾期未整改问题": ins["findings_overdue"],
                              "已整改问题": ins["rectified_findings"]})
    return Table("养老机构统计", scope, period, FIGURES, rows, generated_by=by,
                 filename=f"institutions-{_code(scope)}-{period}")


def services_table(stats: dict[str, Any], scope: str, by: str) -> Table:
    rec, alerts = stats["records"], stats["alerts"]
    rows = _rows("服务记录", {"已记录": rec["recorded"], "已核实": rec["verified"],
                          "已被更正": rec["superseded"], "服务人数": stats["persons_served"],
                          "服务者数": stats["providers"], "服务分钟": stats["minutes"],
                          "金额（元）": stats["amount"]})
    for item in stats["by_item"]:
        name = _label("service_items", item["service_item"])
        rows += _rows("按服务项目", {f"{name}·记录数": item["records"],
                                 f"{name}·分钟": item["minutes"],
                                 f"{name}·金额（元）": item["amount"]})
    rows += _rows("探访", {"已探访": stats["visits"]["done"],
                         "逾期未探访": stats["visits"]["overdue"]})
    rows += _rows("爱心门铃与警报", {
        "发起": alerts["raised"], "已处理": alerts["resolved"], "升级": alerts["escalated"],
        "处理用时中位数（分钟）": "" if alerts["median_minutes"] is None
        else alerts["median_minutes"],
        "最长处理用时（分钟）": "" if alerts["max_minutes"] is None else alerts["max_minutes"]})
    rows += _rows("时间银行", {"存入分钟": stats["time_bank_minutes_credited"]})
    return Table("服务统计", scope, stats["month"], FIGURES, rows, generated_by=by,
                 filename=f"services-{_code(scope)}-{stats['month']}")
