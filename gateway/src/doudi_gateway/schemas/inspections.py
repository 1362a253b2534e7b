"""Request and reply schemas of inspections, findings and their rectification
(the routes are in ``doudi_gateway.resources.inspections``)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from doudi_gateway.schemas.fields import (
    Bool,
    CalendarDate,
    Code,
    Day,
    Int,
    ListOf,
    PageArgs,
    Reply,
    Str,
    Text,
    page_of,
)
from doudi_gateway.schemas.institutions import INSPECTION_KINDS


class FindingReply(Reply):
    finding_id = Int()
    severity = Code("finding_severities", description="问题等级")
    description = Str(description="问题描述")
    rectify_by = Day()
    rectified_on = Day(null=True)
    signed_off_by = Str(null=True)
    overdue = Bool(description="是否逾期未整改")


class InspectionReply(Reply):
    inspection_id = Str()
    uscc = Str()
    kind = Code("inspection_kinds", description="检查类型")
    inspected_on = Day()
    inspector = Str(null=True)
    result = Code("inspection_results", description="检查结论")
    notes = Str(null=True)
    findings = ListOf(FindingReply, description="发现的问题及整改")


InspectionPageReply = page_of(InspectionReply, "InspectionPageReply", "检查记录，新的在前")


class InspectionScheduleReply(Reply):
    kind = Code("inspection_kinds")
    every = Str(description="周期：month 每月、year 每年（hangzhou-2024 §五(四)）")
    last_inspected_on = Day(null=True)
    due_on = Day()
    overdue = Bool()


class OverdueReply(Reply):
    uscc = Str()
    name = Str()
    division_code = Str()
    what = Str(description="patrol 逾期未检查、finding 逾期未整改")
    kind = Code("inspection_kinds", null=True)
    due_on = Day()
    last_inspected_on = Day(null=True)
    finding_id = Int(null=True)


OverduePageReply = page_of(OverdueReply, "OverduePageReply", "逾期的检查和整改")


class FindingSchema(Schema):
    severity = fields.String(required=True, validate=validate.OneOf(["minor", "major", "critical"]))
    description = Text(1000, required=True)
    rectify_by = CalendarDate(required=True)


class InspectionSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(INSPECTION_KINDS))
    inspected_on = CalendarDate(required=True)
    result = fields.String(required=True, validate=validate.OneOf(
        ["passed", "rectification_required", "failed"]))
    inspector = Text(64)
    notes = Text(2000)
    findings = fields.List(fields.Nested(FindingSchema), load_default=list)


class InspectionListArgs(PageArgs):
    kind = fields.String(validate=validate.OneOf(INSPECTION_KINDS))


class RectifySchema(Schema):
    rectified_on = CalendarDate(required=True)


class UpdateInspectionSchema(Schema):
    inspector = Text(64)
    notes = Text(2000)
