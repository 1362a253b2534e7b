"""Request and reply schemas of applications, notices and objections (the REST
edge; the routes are in ``doudi_gateway.resources.applications``)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from doudi_gateway.schemas.fields import Division, IdNumber, Loose, Money, PageArgs, Text, Uscc

CARE_MODES = ["centralized", "neighbor", "day_care", "co_housing", "home_visit", "family_bed",
              "dispersed"]


ACTIONS = ["village_review", "township_check", "department_signoff", "approve", "reject",
           "object", "close_notice", "sign_agreement", "withdraw"]


STATES = ["submitted", "village_reviewed", "township_checked", "signed_off", "in_notice",
          "approved", "enrolled", "rejected", "withdrawn"]


class ConsentSchema(Schema):
    given = fields.Boolean(required=True)
    by = Text(64, required=True)
    on = fields.Date(required=True)
    note = Text(500)


class CaregiverSchema(Schema):
    name = Text(64, required=True)
    relationship = Text(32, required=True)
    id_number = IdNumber(required=True)


class FileApplicationSchema(Schema):
    id_number = IdNumber(required=True)
    care_mode = fields.String(required=True, validate=validate.OneOf(CARE_MODES))
    channel = fields.String(load_default="clerk",
                            validate=validate.OneOf(["clerk", "person", "guardian"]))
    documents = fields.List(Text(64), load_default=list)
    consent = fields.Nested(ConsentSchema, required=True)
    institution_uscc = Uscc()
    caregiver = fields.Nested(CaregiverSchema)
    submitted_on = fields.Date()
    comment = Text(1000)


class ReviewSchema(Schema):
    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    comment = Text(1000)
    data = fields.Dict(keys=fields.String(),
                       metadata={"description": "见 RPC.md：家访、需求评估、部门、签约"})


class ApplicationListArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(STATES))
    division_code = Division()
    date_from = fields.Date()
    date_to = fields.Date()
    policy_pack = Text(64)


class NoticeArgs(PageArgs):
    township_code = Division(required=True)
    date_from = fields.Date(required=True)
    date_to = fields.Date(required=True)


class NoticeCsvArgs(Schema):
    township_code = Division(required=True)
    format = fields.String(load_default="csv", validate=validate.OneOf(["csv", "xlsx"]),
                           metadata={"description": "csv（UTF-8 带 BOM）或 xlsx（Excel）"})
    date_from = fields.Date(required=True)
    date_to = fields.Date(required=True)


class ApplicationSchema(Loose):
    application_id = fields.String()
    state = fields.String()
    division_code = fields.String()
    next_actions = fields.List(fields.String())


class EnrolmentReviewSchema(Schema):
    completed_on = fields.Date(required=True)
    income_per_head = Money(required=True)
    note = Text(1000)


class CareModeSchema(Schema):
    care_mode = fields.String(required=True, validate=validate.OneOf(CARE_MODES))
    on = fields.Date(required=True)
    reason = Text(500, required=True)


class EndEnrolmentSchema(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(
        ["improved", "voluntary_exit", "moved_away", "no_longer_eligible", "other"]))
    on = fields.Date(required=True)
    note = Text(1000)


class PackArgs(Schema):
    version = Text(16)
