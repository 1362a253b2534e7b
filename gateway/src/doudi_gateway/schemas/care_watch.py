"""Request and reply schemas of visits and alerts (爱心门铃) (the routes are in
``doudi_gateway.resources.care_watch``)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from doudi_gateway.schemas.fields import (
    Bool,
    CalendarDate,
    Code,
    Day,
    Division,
    IdNumber,
    Instant,
    Int,
    Obj,
    PageArgs,
    Reply,
    Str,
    SubjectReply,
    Text,
    page_of,
)
from doudi_gateway.schemas.services_log import ProviderReply, ProviderSchema


class VisitSchema(Schema):
    id_number = IdNumber(required=True)
    visited_on = CalendarDate(required=True)
    visitor = fields.Nested(ProviderSchema, required=True)
    content = Text(2000, required=True)
    kind = fields.String(load_default="regular", validate=validate.OneOf(["regular", "neighbor"]))


class VisitListArgs(PageArgs):
    id_number = IdNumber(required=True)


class AlertSchema(Schema):
    id_number = IdNumber(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(
        ["doorbell", "missed_visit", "health", "safety", "other"]))
    summary = Text(1000)


class AlertListArgs(PageArgs):
    division_code = Division()
    status = fields.String(validate=validate.OneOf(["raised", "acknowledged", "resolved"]))


class ResolveSchema(Schema):
    resolution = Text(1000, required=True)


class ScheduleSchema(Schema):
    id_number = IdNumber(required=True)
    every_days = fields.Integer(required=True, validate=validate.Range(min=1, max=366))
    kind = fields.String(load_default="regular", validate=validate.OneOf(["regular", "neighbor"]))
    start_on = CalendarDate()


class VisitReply(Reply):
    visit_id = Str()
    id_number = Str(description="被探访人身份证号码（脱敏）")
    kind = Code("visit_kinds", description="探访类型")
    visited_on = Day()
    visitor = Obj(ProviderReply)
    content = Str(description="探访内容")
    recorded_by = Str()
    recorded_at = Instant()


VisitPageReply = page_of(VisitReply, "VisitPageReply", "探访记录")


class VisitScheduleReply(SubjectReply, Reply):
    kind = Code("visit_kinds")
    every_days = Int(description="探访间隔（天）")
    start_on = Day()
    last_visit_on = Day(null=True)
    next_due_on = Day()
    overdue = Bool(description="是否逾期未探访")
    active = Bool(description="计划是否有效")
    overdue_notified_on = Day(null=True, description="已发出逾期提醒的日期；未提醒为 null")


SchedulePageReply = page_of(VisitScheduleReply, "VisitSchedulePageReply", "逾期未探访的人员")


class AlertReply(SubjectReply, Reply):
    alert_id = Str()
    kind = Code("alert_kinds", description="预警类型")
    summary = Str(null=True)
    raised_at = Instant()
    raised_by = Str()
    status = Code("alert_statuses", description="预警状态")
    acknowledged_at = Instant(null=True)
    acknowledged_by = Str(null=True)
    escalation_level = Int(description="升级次数（超时未确认每次加一）")
    escalated_at = Instant(null=True)
    resolved_at = Instant(null=True)
    resolved_by = Str(null=True)
    resolution = Str(null=True, description="处理结果")


AlertPageReply = page_of(AlertReply, "AlertPageReply", "预警，新的在前")
