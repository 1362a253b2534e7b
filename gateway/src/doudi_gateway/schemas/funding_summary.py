"""Reply schemas of the county's money as officials read it (issue 18): a
period's totals by month and channel, per institution, donations and the
reconciliation (``GET /api/v1/funding/summary``)."""

from __future__ import annotations

from doudi_gateway.schemas.fields import (
    Bool,
    Code,
    Int,
    ListOf,
    Obj,
    Reply,
    Str,
    YearMonth,
    Yuan,
)
from doudi_gateway.schemas.funding import ChannelsReply


class _SummarySums(Reply):
    cases = Int()
    total = Yuan()
    by_channel = Obj(ChannelsReply)
    caregiver_subsidy = Yuan()
    service_subsidy = Yuan()
    management_fee = Yuan()
    adjustments = Yuan()
    top_up_needed = Yuan(description="县级财政仍须补足的金额（扣除部门资金后），元")


class SummaryMonthReply(_SummarySums):
    month = YearMonth()


class SummaryInstitutionReply(Reply):
    institution_uscc = Str()
    persons = Int(description="期间内结算的入住人数")
    total = Yuan(description="期间内费用合计，元")
    by_channel = Obj(ChannelsReply)
    excess = Yuan(description="整合补贴超出核算费用的部分，元")


class DonationReceivedReply(Reply):
    earmark = Code("donation_earmarks", description="捐赠指向")
    amount = Yuan()


class DonationFiguresReply(Reply):
    received = ListOf(DonationReceivedReply, description="期间内收到的捐赠（按指向，不含已冲销）")
    received_total = Yuan(description="期间内收到的捐赠合计，元")
    spent_earmarked = Yuan(description="期间结算中使用的定向（机构）捐赠，元")
    spent_pool = Yuan(description="期间结算中使用的县级捐赠池，元")


class SummaryReconciliationReply(Reply):
    ok = Bool(description="核对相符")
    difference = Yuan(description="差额合计，元")
    scope = Str(description="核对范围：月份 YYYY-MM；按年查询时为 all（全部账目）")


class SummaryReply(_SummarySums):
    division_code = Str(description="县级区划代码")
    period = Str(description="期间：YYYY-MM（一个月）或 YYYY（一年）")
    months = ListOf(SummaryMonthReply, description="逐月")
    by_institution = ListOf(SummaryInstitutionReply,
                            description="按机构：入住人员的费用及各渠道支付")
    donations = Obj(DonationFiguresReply, description="社会捐助：收到与使用")
    reconciliation = Obj(SummaryReconciliationReply, description="对账结果（差额）")
