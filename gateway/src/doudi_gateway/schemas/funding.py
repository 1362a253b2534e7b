"""Request and reply schemas of funding: settlements, statements, donations,
accounts, payouts (the REST edge; the routes are in
``doudi_gateway.resources.funding``)."""

from __future__ import annotations

import re

from doudi_common.errors import Invalid
from doudi_contracts.vocabularies import codes
from marshmallow import Schema, fields, validate, validates_schema

from doudi_gateway.schemas.fields import (
    Bool,
    CalendarDate,
    Code,
    Day,
    Division,
    ExportFormat,
    IdNumber,
    Instant,
    Int,
    ListOf,
    MapOf,
    Money,
    Month,
    Obj,
    PageArgs,
    Reply,
    Str,
    Text,
    Uscc,
    YearMonth,
    Yuan,
    page_of,
)


class SettlementListArgs(PageArgs):
    month = Month(required=True)
    division_code = Division()
    institution_uscc = Uscc()
    format = ExportFormat()


class SettleSchema(Schema):
    division_code = Division((6,), required=True)
    month = Month(required=True)


class MonthArgs(Schema):
    month = Month(required=True)


class DonationListArgs(PageArgs):
    division_code = Division(required=True)


class DonationSchema(Schema):
    division_code = Division(required=True)
    amount = Money(required=True)
    received_on = CalendarDate(required=True)
    donor_name = Text(128)
    donor_uscc = Uscc()
    earmark = fields.String(load_default="county",
                            validate=validate.OneOf(["county", "institution", "centralized"]))
    institution_uscc = Uscc()


class PayoutArgs(PageArgs):
    month = Month(required=True)
    division_code = Division()
    format = ExportFormat()


class ReconciliationArgs(Schema):
    division_code = Division(required=True)
    month = Month()
    format = ExportFormat()


class SummaryArgs(Schema):
    division_code = Division(required=True)
    month = Month()
    year = fields.Integer(validate=validate.Range(min=2000, max=2100))
    format = ExportFormat()


class InstitutionStatementArgs(Schema):
    month = Month(required=True)
    format = ExportFormat()


class BalancesArgs(Schema):
    division_code = Division(required=True)


class FamilyReviewSchema(Schema):
    reviewed_on = CalendarDate(required=True)
    household_size = fields.Integer(required=True, validate=validate.Range(min=1, max=30))
    monthly_income = Money(required=True)


_ACCOUNT_CODE = re.compile(r"^[a-z_]+:(\d{6})(:[a-z_]+)?$")


PURPOSES = ["service_subsidy", "caregiver_subsidy", "care_fee", "living_money"]


TOPUP_SOURCES = ["cdpf", "civil_affairs", "poverty"]


class LedgerArgs(PageArgs):
    pass


class ReversalSchema(Schema):
    reason = Text(200, required=True)


class SelfPayRatioSchema(Schema):
    ratio = fields.String(required=True, validate=validate.Regexp(
        r"^(0(\.\d{1,2})?|1(\.0{1,2})?)$", error="自付比例应为 0 到 1 之间，如 0.30"))
    from_month = Month(required=True)
    reason = Text(200, required=True)


class DibaoSchema(Schema):
    monthly_amount = Money(required=True)
    from_month = Month(required=True)
    to_month = Month()

    @validates_schema
    def _period(self, data, **_kw):
        # a rule across fields: refused like a service's business rule (the
        # document states each field; no schema states their order)
        if data.get("to_month") and data.get("from_month") and \
                data["to_month"] < data["from_month"]:
            raise Invalid("截止月份不能早于起始月份", field="to_month", reason="bad_period")


class CaregiverCaseSchema(Schema):
    caregiver_id_number = IdNumber(required=True)
    division_code = Division(required=True)
    from_date = CalendarDate(required=True)
    enrolment_id = Text(64)


class TopupSchema(Schema):
    division_code = Division(required=True)
    source = fields.String(required=True, validate=validate.OneOf(TOPUP_SOURCES))
    amount = Money(required=True)
    received_on = CalendarDate(required=True)
    memo = Text(500, min_len=0, load_default="")


class PilotSchema(Schema):
    division_code = Division(required=True)
    amount = Money(required=True)
    received_on = CalendarDate(required=True)
    source = Text(128, required=True)
    purposes = fields.List(fields.String(validate=validate.OneOf(PURPOSES)),
                           load_default=lambda: ["service_subsidy"],
                           validate=validate.Length(min=1))


class SpendSchema(Schema):
    purpose = fields.String(required=True, validate=validate.OneOf(PURPOSES))
    amount = Money(required=True)
    payee_kind = fields.String(required=True,
                               validate=validate.OneOf(["provider", "institution", "caregiver"]))
    payee = fields.String(required=True, validate=validate.Length(equal=18), metadata={
        "pattern": r"^[0-9A-Z]{18}$"})
    month = Month(required=True)
    memo = Text(500, min_len=0, load_default="")

    @validates_schema
    def _payee(self, data, **_kw):
        from doudi_common.ids import validate_id_number, validate_uscc

        if "payee" not in data or "payee_kind" not in data:
            return
        check = validate_id_number if data["payee_kind"] == "caregiver" else validate_uscc
        try:
            check(data["payee"])
        except Invalid as exc:
            raise Invalid(exc.detail, field="payee", reason="bad_payee") from None


# -- replies ---------------------------------------------------------------------------


class ChannelsReply(Reply):
    """The four channels in their order (luan-2021 §三(四)), yuan."""

    own_subsidies = Yuan()
    family_share = Yuan()
    donations = Yuan()
    county_cover = Yuan(description="县级兜底，元（含照护人补贴、服务补贴和管理费）")


class SubsidiesReply(Reply):
    dibao = Yuan()
    disabled_living_allowance = Yuan()
    severe_disability_nursing_subsidy = Yuan()


class SettlementRunReply(Reply):
    settlement_id = Str()
    division_code = Str(description="县级区划代码")
    month = YearMonth()
    status = Str(description="completed 已完成")
    cases = Int()
    total = Yuan(description="合计（= 四个渠道之和），元")
    by_channel = Obj(ChannelsReply)
    caregiver_subsidy = Yuan()
    service_subsidy = Yuan()
    management_fee = Yuan()
    adjustments = Yuan(description="本次结算中对以前月份的补差调整合计，元")
    completed_at = Instant()
    rerun = Bool(description="是否为重复请求（返回已有的结算）")


class SettlementStatusReply(Reply):
    """A county's month: settled (the run) or not settled yet."""

    status = Str(description="completed 已结算、not_settled 未结算")
    division_code = Str(description="县级区划代码")
    month = YearMonth()
    settlement_id = Str(optional=True)
    cases = Int(optional=True)
    total = Yuan(optional=True, description="合计（= 四个渠道之和），元")
    by_channel = Obj(ChannelsReply, optional=True)
    caregiver_subsidy = Yuan(optional=True)
    service_subsidy = Yuan(optional=True)
    management_fee = Yuan(optional=True)
    adjustments = Yuan(optional=True)
    completed_at = Instant(optional=True)
    rerun = Bool(optional=True)


class CaseSettlementReply(Reply):
    case_id = Str()
    kind = Code("care_modes", description="个案类型：集中供养（入住）或邻里照护")
    month = YearMonth(description="结算月份")
    for_month = YearMonth()
    line = Code("settlement_lines", description="regular 本月结算、adjustment 补差调整")
    id_number_masked = Str()
    division_code = Str(description="县级区划代码")
    institution_uscc = Str(null=True)
    caregiver_id_number_masked = Str(null=True)
    days = Int(description="当月在住（照护）天数")
    days_in_month = Int()
    cost = Yuan(description="当月费用（按天折算），元")
    excess = Yuan(description="整合补贴超出当月核算费用的部分（luan-2021 §三(四)一、"
                              "puyang-2020 §四(四)：补贴全额拨付机构），元；未整合或未超出为 0.00")
    by_channel = Obj(ChannelsReply)
    subsidies = Obj(SubsidiesReply)
    caregiver_subsidy = Yuan()
    county_top_up = Yuan()
    self_pay_ratio = Str(description="家庭自付比例（0–1）")
    txn_id = Str()


CaseSettlementPageReply = page_of(CaseSettlementReply, "CaseSettlementPageReply",
                                  "逐个案的结算行（身份证号脱敏）")


class EntryReply(Reply):
    txn_id = Str()
    account = Str(description="账户代码（如 county_cover:341502）")
    amount = Yuan(description="金额（元）：借方为正，贷方为负")
    party = Str(null=True)
    id_number_masked = Str(null=True, description="所属人员（个人明细账）；无则 null")
    case_id = Str(null=True)


class ServiceLineReply(Reply):
    service_item = Code("service_items")
    provider_kind = Code("provider_kinds")
    provider_uscc = Str(null=True)
    provider_id_number_masked = Str(null=True, description="个人服务者的身份证号（脱敏）")
    records = Int()
    minutes = Int()
    amount = Yuan()
    paid_ref = Str(null=True, description="支付编号；未支付为 null")


class PersonStatementReply(Reply):
    id_number_masked = Str()
    month = YearMonth()
    lines = ListOf(CaseSettlementReply, description="本月结算行")
    cost = Yuan(description="本月费用合计，元")
    excess = Yuan(description="整合补贴超出当月核算费用的部分（luan-2021 §三(四)一、"
                              "puyang-2020 §四(四)：补贴全额拨付机构），元；未整合或未超出为 0.00")
    by_channel = Obj(ChannelsReply)
    caregiver_subsidy = Yuan()
    services = ListOf(ServiceLineReply, description="按服务记录支付的服务（先服务后补贴）")
    service_subsidy = Yuan()
    entries = ListOf(EntryReply, description="记账分录")


class PayoutReply(Reply):
    payout_id = Str()
    month = YearMonth()
    payee_kind = Code("payee_kinds", description="收款方类型")
    payee_uscc = Str(null=True)
    payee_id_number_masked = Str(null=True)
    purpose = Code("pilot_purposes", description="用途")
    amount = Yuan()
    issued_on = Day()
    settlement_id = Str(null=True)
    txn_id = Str()


PayoutPageReply = page_of(PayoutReply, "PayoutPageReply", "支付记录")


class InstitutionStatementReply(Reply):
    institution_uscc = Str()
    month = YearMonth()
    cases = Int(description="本月结算的入住个案数")
    total = Yuan(description="本月费用合计，元")
    excess = Yuan(description="整合补贴超出当月核算费用的部分（luan-2021 §三(四)一、"
                              "puyang-2020 §四(四)：补贴全额拨付机构），元；未整合或未超出为 0.00")
    by_channel = Obj(ChannelsReply)
    management_fee = Yuan()
    payouts = ListOf(PayoutReply, description="本月支付给机构的款项")
    lines = ListOf(CaseSettlementReply, description="逐人结算行（身份证号脱敏）")


class DonationReply(Reply):
    donation_id = Str()
    receipt_no = Str()
    division_code = Str(description="县级区划代码")
    donor_name = Str(null=True)
    donor_uscc = Str(null=True)
    amount = Yuan()
    received_on = Day()
    earmark = Code("donation_earmarks", description="捐赠用途")
    institution_uscc = Str(null=True, description="定向捐赠的机构；否则为 null")
    txn_id = Str()


class DonationDetailReply(DonationReply):
    spent = Yuan()
    balance = Yuan(description="尚未使用的金额，元")
    reversed = Bool(description="是否已冲正")


DonationPageReply = page_of(DonationReply, "DonationPageReply", "捐赠，按到账日期")


class ReconciliationCheckReply(Reply):
    name = Str(description="核对项")
    expected = Yuan()
    actual = Yuan()
    difference = Yuan()


class ReconciliationReply(Reply):
    ok = Bool(description="全部核对相符")
    difference = Yuan(description="差额合计，元")
    checks = ListOf(ReconciliationCheckReply, description="各核对项")
    unbalanced_transactions = ListOf(Str(), description="借贷不平的交易编号")


class BalanceReply(Reply):
    code = Str(description="账户代码")
    kind = Code("ledger_account_kinds", description="账户类型")
    name = Str(description="账户名称")
    balance = Yuan()
    purposes = fields.List(fields.String(validate=validate.OneOf(codes("pilot_purposes"))),
                           required=True, allow_none=True, metadata={
                               "description": "专户的限定用途；不限为 null",
                               "x-vocabulary": "pilot_purposes"})


class BalancesReply(Reply):
    division_code = Str(description="县级区划代码")
    accounts = ListOf(BalanceReply, description="县的各资金账户")


class SelfPayReply(Reply):
    id_number_masked = Str()
    effective_month = YearMonth()
    per_capita_income = Yuan(null=True, description="家庭月人均收入；手工设定比例时为 null")
    band = Str(null=True, description="收入档次（说明）；手工设定比例时为 null")
    self_pay_ratio = Str()
    clause = Str()


class LedgerReply(Reply):
    code = Str(description="账户代码")
    balance = Yuan()
    entries = ListOf(EntryReply, description="分录，先记的在前")
    page = Int()
    per_page = Int()
    total = Int(description="分录总数")


class TransactionReply(Reply):
    txn_id = Str()
    cause = Str(description="原因：settlement 结算、adjustment 补差、payout 支付、donation 捐赠、"
                            "funding 资金到账、spend 支出、correction 冲正")
    purpose = Str(null=True, description="用途")
    month = YearMonth(null=True)
    memo = Str(null=True, description="摘要")
    settlement_id = Str(null=True)
    case_id = Str(null=True)
    event_id = Str(null=True, description="引起此交易的事件（月结、迟到的事实）")
    case_event_id = Str(null=True, description="开立个案的事件")
    reverses = Str(null=True, description="被冲正的交易编号")
    reversed_by = Str(null=True, description="冲正此交易的交易编号")
    created_at = Instant()
    entries = ListOf(EntryReply, description="分录（借贷相等）")


class CostSegmentReply(Reply):
    from_ = Day(data_key="from", description="价格分段开始日期")
    monthly_total = Yuan()


class CostPlanReply(Reply):
    case_id = Str()
    month = YearMonth()
    care_level = Code("incapacity_levels", null=True)
    days = Int()
    days_in_month = Int()
    items = MapOf(Yuan(), description="费用构成：床位、护理、伙食、康复、用品、分摊（元）；"
                                       "无服务目录时为 monthly_price")
    monthly_total = Yuan()
    price_segments = ListOf(CostSegmentReply, description="当月价格分段")
    cost = Yuan(description="当月费用（按天折算），元")


class DibaoReply(Reply):
    id_number_masked = Str()
    kind = Code("subsidy_kinds")
    monthly_amount = Yuan()
    from_month = YearMonth()
    to_month = YearMonth(null=True)


class CaregiverCaseReply(Reply):
    case_id = Str(description="邻里照护个案编号（NB-…）")
    kind = Code("care_modes", description="个案类型")
    id_number_masked = Str()
    caregiver_id_number_masked = Str()
    division_code = Str()
    from_date = Day()


class FundAccountReply(Reply):
    code = Str(description="账户代码")
    balance = Yuan()
    source = Code("topup_sources", optional=True, description="部门资金来源")
    purposes = ListOf(Code("pilot_purposes"), optional=True, description="专户的限定用途")
