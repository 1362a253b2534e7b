"""Request and reply schemas of services: items, cards, records, visits, alerts,
month close, time bank (the REST edge; the routes are in
``doudi_gateway.resources.services_log``)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from doudi_gateway.schemas.fields import Division, IdNumber, Money, Month, PageArgs, Text, Uscc


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
    assessed_on = fields.Date(required=True)


class CardListArgs(PageArgs):
    division_code = Division()
    status = fields.String(validate=validate.OneOf(
        ["pending_assessment", "active", "suspended", "ended"]))


class RecordSchema(Schema):
    id_number = IdNumber(required=True)
    service_item = Text(32, required=True)
    provider = fields.Nested(ProviderSchema, required=True)
    started_at = fields.AwareDateTime(required=True)
    ended_at = fields.AwareDateTime(required=True)
    quantity = fields.Integer(validate=validate.Range(min=1, max=100))
    place = Text(128)
    notes = Text(1000)
    evidence_ref = Text(256)


class RecordListArgs(PageArgs):
    id_number = IdNumber()
    month = Month()
    division_code = Division()
    status = fields.String(validate=validate.OneOf(["recorded", "verified", "superseded"]))


class VerifySchema(Schema):
    verifier_role = fields.String(required=True,
                                  validate=validate.OneOf(["person", "township_staff"]))
    note = Text(500)


class VisitSchema(Schema):
    id_number = IdNumber(required=True)
    visited_on = fields.Date(required=True)
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


class MonthCloseSchema(Schema):
    month = Month(required=True)
    division_code = Division((6, 9), required=True)
    institution_uscc = Uscc()


class MonthCloseListArgs(PageArgs):
    division_code = Division()


class CardReasonSchema(Schema):
    reason = Text(500, required=True)


class CardEndSchema(Schema):
    ended_on = fields.Date(required=True)
    reason = Text(500, required=True)


class CardChangeSchema(Schema):
    reason = Text(500, required=True)
    items = fields.List(fields.Nested(CardItemSchema))
    providers = fields.List(fields.Nested(ProviderSchema))


class CorrectionChangesSchema(Schema):
    started_at = fields.AwareDateTime()
    ended_at = fields.AwareDateTime()
    quantity = fields.Integer(validate=validate.Range(min=1, max=100))
    service_item = Text(32)
    place = Text(128)
    notes = Text(1000)
    evidence_ref = Text(256)


class CorrectionSchema(Schema):
    changes = fields.Nested(CorrectionChangesSchema, required=True)
    reason = Text(500, required=True)


class ScheduleSchema(Schema):
    id_number = IdNumber(required=True)
    every_days = fields.Integer(required=True, validate=validate.Range(min=1, max=366))
    kind = fields.String(load_default="regular", validate=validate.OneOf(["regular", "neighbor"]))
    start_on = fields.Date()


class DivisionPageArgs(PageArgs):
    division_code = Division()


class TimeTransferSchema(Schema):
    to_id_number = IdNumber(required=True)
    minutes = fields.Integer(required=True, validate=validate.Range(min=1, max=100000))
    relation = fields.String(required=True, validate=validate.OneOf(
        ["spouse", "parent", "child", "sibling", "grandparent", "grandchild"]))


class RedeemSchema(Schema):
    minutes = fields.Integer(required=True, validate=validate.Range(min=1, max=100000))
    service_item = Text(32)
    note = Text(500)


class StatisticsArgs(Schema):
    month = Month(required=True)
    division_code = Division(required=True)


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
            raise ValidationError("须提供 division_code 或 institution_uscc 之一",
                                  field_name="division_code")
