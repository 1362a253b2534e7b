"""Request and reply schemas of placements: admission, discharge, transfer, care
level, consents, admission requests, price segments (the routes are in
``doudi_gateway.resources.placements``)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from doudi_gateway.schemas.fields import (
    Bool,
    CalendarDate,
    Code,
    Day,
    IdNumber,
    Instant,
    Int,
    ListOf,
    Month,
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
from doudi_gateway.schemas.institutions import CARE_LEVELS, DISCHARGE


class AbsenceReply(Reply):
    kind = Str(description="离开类型：hospital 住院")
    hospital_uscc = Str(null=True)
    from_ = Day(data_key="from", description="开始日期")
    until = Day(null=True)


class PlacementReply(Reply):
    placement_id = Str(description="入住编号（PL-<序号>）")
    id_number = Str(description="入住人员身份证号码（脱敏）")
    id_number_masked = Str()
    person_ref = PersonRef()
    division_code = Str(description="入住人员户籍地区划代码")
    uscc = Str(description="机构的统一社会信用代码")
    institution_name = Str()
    bed_no = Str(null=True)
    room_type = Str(null=True)
    care_mode = Code("care_modes")
    care_level = Code("incapacity_levels")
    status = Code("placement_statuses", description="入住状态")
    admitted_on = Day()
    discharged_on = Day(null=True)
    discharge_reason = Code("discharge_reasons", null=True)
    monthly_price = Yuan(null=True, description="入住时的月价格（之后的变化见价格分段）")
    enrolment_id = Str(null=True)
    health_record_ref = Str(null=True, description="个人健康档案编号")
    rehab_plan_ref = Str(null=True, description="一人一策康复计划编号")
    transferred_from = Str(null=True, description="转入前的入住编号")
    absences = ListOf(AbsenceReply, description="暂时离开（住院）")
    away = Bool(description="当前是否暂时离开")


PlacementPageReply = page_of(PlacementReply, "PlacementPageReply", "入住记录（身份证号脱敏）")


class AdmissionRequestReply(Reply):
    id = Int()
    enrolment_id = Str()
    id_number_masked = Str()
    institution_uscc = Str()
    status = Code("admission_request_statuses")
    reason = Str(null=True, description="未能入住的原因")
    placement_id = Str(null=True)
    received_at = Instant()


AdmissionRequestPageReply = page_of(AdmissionRequestReply, "AdmissionRequestPageReply",
                                    "集中供养纳入后的入住申请")


class ConsentRecordReply(Reply):
    id = Int()
    id_number_masked = Str()
    to_uscc = Str()
    given = Bool(description="是否同意迁往该机构")
    recorded_on = Day()
    recorded_by = Str(null=True)


class PriceSegmentReply(Reply):
    from_ = Day(data_key="from", description="分段开始日期")
    until = Day(description="分段结束日期")
    days = Int()
    care_level = Code("incapacity_levels")
    monthly_price = Yuan()


class PriceSegmentsReply(Reply):
    placement_id = Str()
    month = YearMonth()
    segments = ListOf(PriceSegmentReply, description="当月在住的各段及其月价格")


class AdmitSchema(Schema):
    id_number = IdNumber(required=True)
    admitted_on = CalendarDate(required=True)
    care_level = fields.String(required=True, validate=validate.OneOf(CARE_LEVELS))
    bed_no = Text(16)
    enrolment_id = Text(64)


class PlacementListArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(["open", "closed"]))


class DischargeSchema(Schema):
    discharged_on = CalendarDate(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(DISCHARGE))
    note = Text(1000)


class TransferSchema(Schema):
    to_uscc = Uscc(required=True)
    transferred_on = CalendarDate(required=True)
    bed_no = Text(16)


class ConsentRecordSchema(Schema):
    id_number = IdNumber(required=True)
    given = fields.Boolean(required=True)
    recorded_on = CalendarDate(required=True)
    note = Text(1000)


class AdmissionArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(["admitted", "refused", "pending"]))


class UpdatePlacementSchema(Schema):
    health_record_ref = Text(64, metadata={"description": "个人健康档案编号"})
    rehab_plan_ref = Text(64, metadata={"description": "一人一策康复计划编号"})


class CareLevelSchema(Schema):
    care_level = fields.String(required=True, validate=validate.OneOf(CARE_LEVELS))
    on = CalendarDate(required=True)


class MonthQueryArgs(Schema):
    month = Month(required=True)
