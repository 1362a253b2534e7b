"""Request and reply schemas of funding: settlements, statements, donations,
accounts, payouts (the REST edge; the routes are in
``doudi_gateway.resources.funding``)."""

from __future__ import annotations

import re

from doudi_common.errors import Invalid
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from doudi_gateway.schemas.fields import Division, IdNumber, Money, Month, PageArgs, Text, Uscc


class SettlementListArgs(PageArgs):
    month = Month(required=True)
    division_code = Division()
    institution_uscc = Uscc()


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
    received_on = fields.Date(required=True)
    donor_name = Text(128)
    donor_uscc = Uscc()
    earmark = fields.String(load_default="county",
                            validate=validate.OneOf(["county", "institution", "centralized"]))
    institution_uscc = Uscc()


class PayoutArgs(PageArgs):
    month = Month(required=True)
    division_code = Division()


class ReconciliationArgs(Schema):
    division_code = Division(required=True)
    month = Month()


class SummaryArgs(Schema):
    division_code = Division(required=True)
    month = Month()
    year = fields.Integer(validate=validate.Range(min=2000, max=2100))
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv", "xlsx"]),
                           metadata={"description": "json；csv（UTF-8 带 BOM）；xlsx（Excel）"})


class InstitutionStatementArgs(Schema):
    month = Month(required=True)
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv", "xlsx"]),
                           metadata={"description": "json；csv（UTF-8 带 BOM）；xlsx（Excel）"})


class BalancesArgs(Schema):
    division_code = Division(required=True)


class FamilyReviewSchema(Schema):
    reviewed_on = fields.Date(required=True)
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
        if data.get("to_month") and data.get("from_month") and \
                data["to_month"] < data["from_month"]:
            raise ValidationError("截止月份不能早于起始月份", field_name="to_month")


class CaregiverCaseSchema(Schema):
    caregiver_id_number = IdNumber(required=True)
    division_code = Division(required=True)
    from_date = fields.Date(required=True)
    enrolment_id = Text(64)


class TopupSchema(Schema):
    division_code = Division(required=True)
    source = fields.String(required=True, validate=validate.OneOf(TOPUP_SOURCES))
    amount = Money(required=True)
    received_on = fields.Date(required=True)
    memo = fields.String(load_default="", validate=validate.Length(max=500))


class PilotSchema(Schema):
    division_code = Division(required=True)
    amount = Money(required=True)
    received_on = fields.Date(required=True)
    source = Text(128, required=True)
    purposes = fields.List(fields.String(validate=validate.OneOf(PURPOSES)),
                           load_default=lambda: ["service_subsidy"],
                           validate=validate.Length(min=1))


class SpendSchema(Schema):
    purpose = fields.String(required=True, validate=validate.OneOf(PURPOSES))
    amount = Money(required=True)
    payee_kind = fields.String(required=True,
                               validate=validate.OneOf(["provider", "institution", "caregiver"]))
    payee = fields.String(required=True, validate=validate.Length(equal=18))
    month = Month(required=True)
    memo = fields.String(load_default="", validate=validate.Length(max=500))

    @validates_schema
    def _payee(self, data, **_kw):
        from doudi_common.ids import validate_id_number, validate_uscc

        if "payee" not in data or "payee_kind" not in data:
            return
        check = validate_id_number if data["payee_kind"] == "caregiver" else validate_uscc
        try:
            check(data["payee"])
        except Invalid as exc:
            raise ValidationError(exc.detail, field_name="payee") from None
