"""Request and reply schemas of services: items, cards, records, visits, alerts,
month close, time bank (the REST edge; the routes are in
``doudi_gateway.resources.services_log``)."""

from __future__ import annotations

from doudi_common.errors import Invalid
from doudi_contracts.vocabularies import codes
from marshmallow import Schema, fields, validate, validates_schema

from doudi_gateway.schemas.fields import (
    Bool,
    CalendarDate,
    CalendarMoment,
    Code,
    Day,
    Division,
    ExportFormat,
    IdNumber,
    Instant,
    Int,
    ListOf,
    Money,
    Month,
    Obj,
    PageArgs,
    PersonRef,
    Reply,
    Str,
    Text,
    Uscc,
    YearMonth,
    Yuan,
    page_of,
)


class ProviderSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(
        ["institution", "organisation", "social_worker", "volunteer", "neighbor"]))
    uscc = Uscc(allow_none=True)
    id_number = IdNumber(allow_none=True)
    name = Text(128, required=True)
    items = fields.List(Text(32))


class CardItemSchema(Schema):
    code = Text(32, required=True)
    times_per_month = fields.Integer(required=True, validate=validate.Range(min=1, max=400))


class IssueCardSchema(Schema):
    id_number = IdNumber(required=True)
    items = fields.List(fields.Nested(CardItemSchema), required=True)
    providers = fields.List(fields.Nested(ProviderSchema), required=True)
    assessed_on = CalendarDate(required=True)


class CardListArgs(PageArgs):
    division_code = Division()
    status = fields.String(validate=validate.OneOf(
        ["pending_assessment", "active", "suspended", "ended"]))


class RecordSchema(Schema):
    id_number = IdNumber(required=True)
    service_item = Text(32, required=True)
    provider = fields.Nested(ProviderSchema, required=True)
    started_at = CalendarMoment(required=True)
    ended_at = CalendarMoment(required=True)
    quantity = fields.Integer(validate=validate.Range(min=1, max=100))
    place = Text(128)
    notes = Text(1000)
    evidence_ref = Text(256)


class RecordListArgs(PageArgs):
    id_number = IdNumber()
    month = Month()
    division_code = Division()
    status = fields.String(validate=validate.OneOf(["recorded", "verified", "superseded"]))
    service_item = fields.String(validate=validate.OneOf(codes("service_items")), metadata={
        "description": "服务项目", "x-vocabulary": "service_items"})
    counted = fields.Boolean(load_default=False, metadata={
        "description": "只列出统计计入的记录（不含已被更正的原记录和冲销记录），"
                       "与服务统计的数字一致"})


class VerifySchema(Schema):
    verifier_role = fields.String(required=True,
                                  validate=validate.OneOf(["person", "township_staff"]))
    note = Text(500)


class MonthCloseSchema(Schema):
    month = Month(required=True)
    division_code = Division((6, 9), required=True)
    institution_uscc = Uscc()


class MonthCloseListArgs(PageArgs):
    division_code = Division()


class CardReasonSchema(Schema):
    reason = Text(500, required=True)


class CardEndSchema(Schema):
    ended_on = CalendarDate(required=True)
    reason = Text(500, required=True)


class CardChangeSchema(Schema):
    reason = Text(500, required=True)
    items = fields.List(fields.Nested(CardItemSchema))
    providers = fields.List(fields.Nested(ProviderSchema))


class CorrectionChangesSchema(Schema):
    started_at = CalendarMoment()
    ended_at = CalendarMoment()
    quantity = fields.Integer(validate=validate.Range(min=1, max=100))
    service_item = Text(32)
    place = Text(128)
    notes = Text(1000)
    evidence_ref = Text(256)


class CorrectionSchema(Schema):
    changes = fields.Nested(CorrectionChangesSchema, required=True)
    reason = Text(500, required=True)


class DivisionPageArgs(PageArgs):
    division_code = Division()


class StatisticsArgs(Schema):
    month = Month(required=True)
    division_code = Division(required=True)
    format = ExportFormat()


class ItemsArgs(Schema):
    division_code = Division()


DOCUMENT_KINDS = ["id_card", "household_register", "illness_proof", "disability_certificate",
                  "assistance_proof", "needs_form", "service_received_form", "other"]


class CardDocumentSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(DOCUMENT_KINDS))
    ref = Text(200, required=True, metadata={"description": "文档库中的材料编号"})
    note = Text(500)


class RecordBatchSchema(Schema):
    records = fields.List(fields.Nested(RecordSchema), required=True,
                          validate=validate.Length(min=1, max=5000))


class ItemPriceSchema(Schema):
    unit_price = Money(required=True, allow_none=True,
                       metadata={"description": "单价（如 \"35.00\"）；null = 取消定价"})


class MonthCloseArgs(Schema):
    division_code = Division((6, 9))
    institution_uscc = Uscc()

    @validates_schema
    def _one_unit(self, data, **_kw):
        if bool(data.get("division_code")) == bool(data.get("institution_uscc")):
            raise Invalid("须提供 division_code 或 institution_uscc 之一",
                          field="division_code", reason="one_unit")


# -- replies ---------------------------------------------------------------------------


class ServiceItemReply(Reply):
    jurisdiction = Str(description="服务目录所属辖区（区划代码）")
    pack = Code("policy_packs", description="服务目录所依据的政策文件")
    code = Code("service_items", description="服务项目")
    name = Str(description="服务项目名称")
    category = Str(description="类别：daily_care 生活照料、health_care 医疗保健、"
                               "capability 能力提升、home_service 居家服务")
    unit = Str(description="计量单位：visit 次、hour 小时、meal 餐")
    paid_per_record = Bool(description="是否按服务记录付费（先服务后补贴）")
    unit_price = Yuan(null=True)
    clause = Str()


class CardItemReply(Reply):
    code = Code("service_items")
    name = Str(description="服务项目名称")
    unit = Str(description="计量单位：visit 次、hour 小时、meal 餐")
    times_per_month = Int(description="每月次数上限")


class ProviderReply(Reply):
    kind = Code("provider_kinds", description="服务提供者类型")
    uscc = Str(null=True, description="机构或组织的统一社会信用代码；个人为 null")
    id_number = Str(null=True, description="个人服务者身份证号（脱敏）；机构为 null")
    name = Str()
    items = ListOf(Code("service_items"), null=True, optional=True,
                   description="该服务者负责的项目；null 为服务卡上的全部项目")


class CardProviderReply(ProviderReply):
    items = ListOf(Code("service_items"), null=True,
                   description="该服务者负责的项目；null 为服务卡上的全部项目")


class CardDocumentReply(Reply):
    kind = Code("document_kinds", description="材料类型")
    ref = Str(description="文档库中的材料编号")
    note = Str(null=True)
    added_by = Str()
    added_at = Instant()


class CardItemSpecReply(Reply):
    code = Code("service_items")
    times_per_month = Int(description="每月次数上限")


class CardEventDetailReply(Reply):
    """What a card event carries; the fields depend on the action."""

    direct = Bool(optional=True, description="直接发卡（无纳入照护记录）")
    assessed_on = Day(optional=True)
    items = ListOf(CardItemSpecReply, optional=True)
    providers = ListOf(ProviderReply, optional=True)
    service_no = Str(optional=True)
    reason = Str(optional=True, null=True)
    event_id = Str(optional=True)
    care_mode = Code("care_modes", optional=True, null=True)
    previous_care_mode = Code("care_modes", optional=True, null=True)
    started_on = Day(optional=True, null=True)
    ended_on = Day(optional=True, null=True)
    end_reason = Str(optional=True, null=True)
    date_of_death = Day(optional=True, null=True)
    enrolment_id = Str(optional=True, null=True)
    kind = Code("document_kinds", optional=True)
    ref = Str(optional=True)
    note = Str(optional=True, null=True)


class CardEventReply(Reply):
    at = Instant()
    action = Str(description="opened 建档、issued 发卡、changed 变更、suspended 暂停、"
                             "resumed 恢复、"
                             "ended 终止、enrolment_changed 照护变化、document_added 补充材料、"
                             "person_deceased 死亡、person_handed_over 移交")
    by = Str()
    detail = Obj(CardEventDetailReply, description="事件内容（字段随事件而定）")


class CardReply(Reply):
    id_number = Str(description="身份证号码（脱敏）")
    id_number_masked = Str()
    person_ref = PersonRef()
    name = Str()
    division_code = Str()
    service_no = Str(null=True, description="服务卡号（发卡后才有）")
    status = Code("card_statuses", description="服务卡状态")
    care_mode = Code("care_modes", null=True)
    enrolment_id = Str(null=True)
    jurisdiction = Str(description="服务目录所属辖区")
    assessed_on = Day(null=True)
    issued_on = Day(null=True)
    ended_on = Day(null=True)
    end_reason = Str(null=True)
    suspended_reason = Str(null=True)
    date_of_death = Day(null=True)
    items = ListOf(CardItemReply, description="服务卡上的服务项目")
    providers = ListOf(CardProviderReply, description="服务提供者")


class CardDetailReply(CardReply):
    documents = ListOf(CardDocumentReply, description="一人一档的材料（qingyunpu-2021 §五3）")
    history = ListOf(CardEventReply, description="服务卡的经过")


CardPageReply = page_of(CardReply, "CardPageReply", "服务卡，按服务卡号排序")


class RecordProviderReply(Reply):
    kind = Code("provider_kinds")
    uscc = Str(null=True)
    id_number = Str(null=True, description="个人服务者身份证号（脱敏）；机构为 null")
    name = Str()


class RecordReply(Reply):
    record_id = Str()
    id_number = Str(description="服务对象身份证号码（脱敏）")
    id_number_masked = Str()
    person_ref = PersonRef()
    division_code = Str()
    card_no = Str(description="服务卡号")
    service_item = Code("service_items")
    provider = Obj(RecordProviderReply)
    worker_id_number_masked = Str(null=True)
    started_at = Instant()
    ended_at = Instant()
    served_on = Day()
    minutes = Int(description="服务时长（分钟；冲销记录为负数）")
    quantity = Str(description="数量（服务单位数，两位小数；冲销记录为负数）")
    unit = Str(description="计量单位：visit 次、hour 小时、meal 餐")
    unit_price = Yuan(null=True)
    amount = Yuan(null=True,
                  description="金额 = 数量 × 单价（元）；服务项目不按记录付费或未定价时为空")
    place = Str(null=True, description="服务地点")
    notes = Str(null=True)
    evidence_ref = Str(null=True, description="佐证材料编号（照片、签字）")
    recorded_by = Str()
    recorded_at = Instant()
    month = YearMonth(description="服务所在月份")
    settle_month = YearMonth()
    status = Code("record_statuses", description="服务记录状态")
    entry_kind = Str(description="original 原始记录、correction 更正、reversal 冲销")
    corrects = Str(null=True, description="被更正的记录编号")
    corrected_by_record = Str(null=True, description="更正本记录的记录编号")
    correction_reason = Str(null=True)
    verified_by = Str(null=True)
    verifier_role = Code("verifier_roles", null=True, description="核实人")
    verified_at = Instant(null=True)
    locked = Bool(optional=True, description="所在月份已结账，不能再核实或更正")


RecordPageReply = page_of(RecordReply, "RecordPageReply", "服务记录（身份证号脱敏）")


class CorrectionReply(Reply):
    original = Obj(RecordReply, description="原记录（已被取代，或已付款时保留）")
    correction = Obj(RecordReply, description="更正后的新记录")
    reversal = Obj(RecordReply, null=True, description="已结账月份的冲销记录；否则为 null")


class BatchReply(Reply):
    recorded = Int(description="新建的服务记录数")
    record_ids = ListOf(Str())


class CloseProviderReply(Reply):
    provider_kind = Code("provider_kinds")
    provider_uscc = Str(null=True)
    provider_id_number = Str(null=True)
    provider_name = Str()
    records = Int()
    minutes = Int()
    amount = Yuan()


class CloseLineReply(Reply):
    id_number = Str(description="服务对象身份证号码（脱敏）")
    provider_kind = Code("provider_kinds")
    provider_uscc = Str(null=True)
    provider_id_number = Str(null=True)
    service_item = Code("service_items")
    records = Int()
    minutes = Int()
    quantity = Str(description="数量（两位小数）")
    amount = Yuan()


class MonthCloseReply(Reply):
    month = YearMonth()
    division_code = Str(null=True, description="结账单位的区划代码（乡镇 9 位或县 6 位）")
    institution_uscc = Str(null=True, description="结账单位为机构时的信用代码")
    records = Int(description="计入结账的已核实记录数")
    persons = Int()
    minutes = Int()
    total_amount = Yuan()
    unverified = Int(description="未核实、不计入的记录数")
    closed_at = Instant()
    closed_by = Str()
    event_id = Str(description="month.closed 事件编号")
    providers = ListOf(CloseProviderReply, description="按服务者汇总（据此支付）")
    lines = ListOf(CloseLineReply, description="按人、服务者、项目的明细")


MonthClosePageReply = page_of(MonthCloseReply, "MonthClosePageReply", "月度结账")


class CountsReply(Reply):
    recorded = Int(description="已记录")
    verified = Int(description="已核实")
    superseded = Int(description="已被更正")


class ItemStatReply(Reply):
    service_item = Code("service_items")
    records = Int()
    minutes = Int()
    amount = Yuan()


class VisitStatReply(Reply):
    done = Int(description="已探访次数")
    overdue = Int(description="逾期未探访人数")


class AlertStatReply(Reply):
    raised = Int(description="发起")
    resolved = Int(description="已处理")
    escalated = Int(description="升级")
    median_minutes = fields.Float(required=True, allow_none=True, metadata={
        "description": "本月发起并已处理的警报，从发起到处理的分钟数中位数；无则为 null"})
    max_minutes = Int(null=True, description="其中最长的分钟数；无则为 null")


class StatisticsReply(Reply):
    month = YearMonth()
    division_code = Str()
    records = Obj(CountsReply, description="服务记录数")
    persons_served = Int(description="接受服务的人数")
    providers = Int(description="提供服务的服务者数")
    minutes = Int()
    amount = Yuan()
    by_item = ListOf(ItemStatReply, description="按服务项目")
    visits = Obj(VisitStatReply)
    alerts = Obj(AlertStatReply)
    time_bank_minutes_credited = Int(description="时间银行存入的分钟数")
    closed_units = ListOf(Str(), description="已结账的单位"
                                             "（township:<代码> 或 institution:<代码>）")


