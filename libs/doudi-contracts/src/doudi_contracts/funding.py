"""Events published by the funding service: settlements over the channels,
payouts, donations and the county's cover of the shortfall (兜底)."""

from __future__ import annotations

from typing import ClassVar

from marshmallow import RAISE, Schema, ValidationError, fields, validates_schema

from doudi_contracts.base import EventData, Example, exactly_one
from doudi_contracts.fields import (
    MESSAGES,
    Choice,
    DivisionCode,
    IdNumber,
    Int,
    IsoDate,
    MoneyString,
    Month,
    Text,
    Timestamp,
    Uscc,
)
from doudi_contracts.vocab import CARE_MODES

SOURCE = "funding"

#: luan-2021 §三(四), in the order they are drawn on
CHANNELS = ("own_subsidies", "family_share", "donations", "county_cover")
PAYEE_KINDS = ("institution", "provider", "caregiver", "person")
PURPOSES = ("care_fee", "caregiver_subsidy", "service_subsidy", "living_money")


class ChannelAmounts(Schema):
    """What each funding channel paid, in the order they are drawn on. A month
    may carry adjustments for earlier months (late facts are corrected in the
    next month, never by editing), so a channel can be negative."""

    class Meta:
        unknown = RAISE

    error_messages: ClassVar[dict] = {"unknown": "未知字段", "type": "必须是 JSON 对象"}

    own_subsidies = MoneyString(allow_negative=True, required=True, metadata={
        "description": "the person's dibao + disability subsidies"})
    family_share = MoneyString(allow_negative=True, required=True)
    donations = MoneyString(allow_negative=True, required=True)
    county_cover = MoneyString(allow_negative=True, required=True, metadata={
        "description": "county top-up (兜底) plus county caregiver and service subsidies "
                       "and management fees"})


class SettlementCompleted(EventData):
    """A month was settled for a county: every placement and home-care case,
    drawing on the channels in order. ``total`` = sum of ``by_channel``."""

    settlement_id = Text(max_length=64, required=True)
    month = Month(required=True)
    division_code = DivisionCode(required=True)
    cases = Int(0, 10_000_000, required=True)
    total = MoneyString(allow_negative=True, required=True)
    by_channel = fields.Nested(ChannelAmounts, required=True, error_messages=MESSAGES)
    completed_at = Timestamp(required=True)

    @validates_schema
    def _balances(self, data, **kwargs):
        channels = data.get("by_channel")
        if channels and data.get("total") is not None and \
                sum(channels[c] for c in CHANNELS) != data["total"]:
            raise ValidationError("total 必须等于各渠道金额之和", "total")

    example: ClassVar[Example] = {
        "settlement_id": "ST-341502-2026-03",
        "month": "2026-03",
        "division_code": "341502",
        "cases": 86,
        "total": "227900.00",
        "by_channel": {
            "own_subsidies": "98040.00",
            "family_share": "31200.50",
            "donations": "12000.00",
            "county_cover": "86659.50",
        },
        "completed_at": "2026-04-03T17:20:00+08:00",
    }


class PayoutIssued(EventData):
    """Money paid out. An institution or provider is named by USCC; a caregiver
    or person by ID number — exactly one of the two."""

    payout_id = Text(max_length=64, required=True)
    month = Month(required=True)
    payee_kind = Choice(PAYEE_KINDS, required=True)
    payee_uscc = Uscc(load_default=None, allow_none=True)
    payee_id_number = IdNumber(load_default=None, allow_none=True)
    purpose = Choice(PURPOSES, required=True)
    amount = MoneyString(required=True)
    issued_on = IsoDate(required=True)
    settlement_id = Text(max_length=64, load_default=None, allow_none=True)

    @validates_schema
    def _payee(self, data, **kwargs):
        exactly_one(data, "payee_uscc", "payee_id_number")
        kind = data.get("payee_kind")
        if kind in ("institution", "provider") and data.get("payee_uscc") is None:
            raise ValidationError("机构收款须填写 payee_uscc", "payee_uscc")
        if kind in ("caregiver", "person") and data.get("payee_id_number") is None:
            raise ValidationError("个人收款须填写 payee_id_number", "payee_id_number")

    example: ClassVar[Example] = {
        "payout_id": "PO-2026-03-000017",
        "month": "2026-03",
        "payee_kind": "institution",
        "payee_uscc": "12341500MB1234567G",
        "payee_id_number": None,
        "purpose": "care_fee",
        "amount": "185500.00",
        "issued_on": "2026-04-05",
        "settlement_id": "ST-341502-2026-03",
    }


class DonationReceived(EventData):
    """A donation into the special account; anonymous donors have no name."""

    donation_id = Text(max_length=64, required=True)
    division_code = DivisionCode(required=True)
    donor_name = Text(max_length=100, load_default=None, allow_none=True)
    donor_uscc = Uscc(load_default=None, allow_none=True)
    amount = MoneyString(required=True)
    received_on = IsoDate(required=True)
    restricted_to = Choice(CARE_MODES, load_default=None, allow_none=True, metadata={
        "description": "care mode the donor restricted the gift to, if any"})

    example: ClassVar[Example] = {
        "donation_id": "DN-2026-0009",
        "division_code": "341502",
        "donor_name": "六安市慈善总会",
        "donor_uscc": None,
        "amount": "12000.00",
        "received_on": "2026-03-08",
        "restricted_to": "centralized",
    }


class ShortfallCovered(EventData):
    """The county government covered what the other channels left unpaid."""

    settlement_id = Text(max_length=64, required=True)
    month = Month(required=True)
    division_code = DivisionCode(required=True)
    amount = MoneyString(required=True)
    covered_by = Choice(("county_finance",), required=True)

    example: ClassVar[Example] = {
        "settlement_id": "ST-341502-2026-03",
        "month": "2026-03",
        "division_code": "341502",
        "amount": "86659.50",
        "covered_by": "county_finance",
    }


EVENTS = {
    "settlement.completed": SettlementCompleted,
    "payout.issued": PayoutIssued,
    "donation.received": DonationReceived,
    "shortfall.covered": ShortfallCovered,
}
