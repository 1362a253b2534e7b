"""Events published by the services-log service: recorded services, visits,
alerts and month close."""

from __future__ import annotations

from typing import ClassVar

from marshmallow import ValidationError, fields, validates_schema

from doudi_contracts.base import EventData, Example, exactly_one, not_before
from doudi_contracts.fields import (
    MESSAGES,
    Choice,
    DivisionCode,
    IdNumber,
    Int,
    IsoDate,
    ListOf,
    MoneyString,
    Month,
    Text,
    Timestamp,
    Uscc,
)
from doudi_contracts.vocab import SERVICE_ITEMS

SOURCE = "services_log"

#: organisations are named by USCC, people (neighbour helpers, volunteers,
#: social workers working alone) by ID number
PROVIDER_KINDS = ("institution", "organisation", "social_worker", "volunteer", "neighbor")
ALERT_KINDS = ("doorbell", "missed_visit", "health", "safety", "other")
VERIFIER_ROLES = ("person", "township_staff")


def _check_provider(data, person_field: str | None = "id_number") -> None:
    exactly_one(data, "provider_uscc", "provider_id_number")
    kind = data.get("provider_kind")
    if kind in ("institution", "organisation") and data.get("provider_uscc") is None:
        raise ValidationError("机构服务须填写 provider_uscc", "provider_uscc")
    if kind in ("volunteer", "neighbor") and data.get("provider_id_number") is None:
        raise ValidationError("个人服务须填写 provider_id_number", "provider_id_number")
    if person_field and data.get("provider_id_number") and \
            data.get("provider_id_number") == data.get(person_field):
        raise ValidationError("服务提供者不能是服务对象本人", "provider_id_number")


class ServiceRecorded(EventData):
    """One service delivered to a person and recorded by the provider."""

    record_id = Text(max_length=64, required=True)
    id_number = IdNumber(required=True)
    division_code = DivisionCode(required=True)
    service_item = Choice(SERVICE_ITEMS, required=True)
    served_on = IsoDate(required=True)
    minutes = Int(1, 24 * 60, required=True)
    provider_kind = Choice(PROVIDER_KINDS, required=True)
    provider_uscc = Uscc(load_default=None, allow_none=True)
    provider_id_number = IdNumber(load_default=None, allow_none=True)
    card_no = Text(max_length=32, load_default=None, allow_none=True,
                   metadata={"description": "service card (社会救助服务卡) number"})
    quantity = MoneyString(load_default=None, allow_none=True, metadata={
        "description": "quantity in the item's unit (visits, hours, meals), 2 decimals"})
    amount = MoneyString(load_default=None, allow_none=True, metadata={
        "description": "amount payable for this record (quantity x unit price) if the item "
                       "is paid per record, else null"})
    corrects = Text(max_length=64, load_default=None, allow_none=True, metadata={
        "description": "record_id of the record this one corrects (the original is kept)"})

    @validates_schema
    def _provider(self, data, **kwargs):
        _check_provider(data)

    example: ClassVar[Example] = {
        "record_id": "SR-2026-03-004211",
        "id_number": "341522194807052024",
        "division_code": "341522",
        "service_item": "cleaning",
        "served_on": "2026-03-09",
        "minutes": 90,
        "provider_kind": "neighbor",
        "provider_uscc": None,
        "provider_id_number": "341502196302281546",
        "card_no": "FWK-341522-00318",
        "quantity": "1.50",
        "amount": "30.00",
        "corrects": None,
    }


class ServiceVerified(EventData):
    """A recorded service was confirmed by the person served or township staff;
    only verified records are paid at month close (serve-then-subsidise)."""

    record_id = Text(max_length=64, required=True)
    id_number = IdNumber(required=True)
    division_code = DivisionCode(required=True)
    service_item = Choice(SERVICE_ITEMS, required=True)
    served_on = IsoDate(required=True)
    minutes = Int(1, 24 * 60, required=True)
    provider_kind = Choice(PROVIDER_KINDS, required=True)
    provider_uscc = Uscc(load_default=None, allow_none=True)
    provider_id_number = IdNumber(load_default=None, allow_none=True)
    verifier_role = Choice(VERIFIER_ROLES, required=True)
    verified_at = Timestamp(required=True)
    settle_month = Month(required=True, metadata={
        "description": "month whose close pays this record"})
    amount = MoneyString(load_default=None, allow_none=True)

    @validates_schema
    def _provider(self, data, **kwargs):
        _check_provider(data)

    example: ClassVar[Example] = {
        "record_id": "SR-2026-03-004211",
        "id_number": "341522194807052024",
        "division_code": "341522",
        "service_item": "cleaning",
        "served_on": "2026-03-09",
        "minutes": 90,
        "provider_kind": "neighbor",
        "provider_uscc": None,
        "provider_id_number": "341502196302281546",
        "verifier_role": "person",
        "verified_at": "2026-03-09T17:02:00+08:00",
        "settle_month": "2026-03",
        "amount": "30.00",
    }


class VisitOverdue(EventData):
    """A regular visit to a special-hardship person is overdue."""

    id_number = IdNumber(required=True)
    division_code = DivisionCode(required=True)
    due_on = IsoDate(required=True)
    last_visit_on = IsoDate(required=True, allow_none=True)

    @validates_schema
    def _order(self, data, **kwargs):
        not_before(data, "last_visit_on", "due_on")

    example: ClassVar[Example] = {
        "id_number": "341522194807052024",
        "division_code": "341522",
        "due_on": "2026-03-31",
        "last_visit_on": "2026-02-27",
    }


class AlertRaised(EventData):
    """An alert about a person (love doorbell, missed visit, health, safety)."""

    alert_id = Text(max_length=64, required=True)
    id_number = IdNumber(required=True)
    division_code = DivisionCode(required=True)
    kind = Choice(ALERT_KINDS, required=True)
    raised_at = Timestamp(required=True)
    summary = Text(max_length=500, load_default=None, allow_none=True)

    example: ClassVar[Example] = {
        "alert_id": "AL-2026-000093",
        "id_number": "341522194807052024",
        "division_code": "341522",
        "kind": "doorbell",
        "raised_at": "2026-03-12T21:14:05+08:00",
        "summary": "爱心门铃呼叫，邻居已上门查看",
    }


class AlertEscalated(EventData):
    """An alert was not acknowledged in time and goes one level up."""

    alert_id = Text(max_length=64, required=True)
    id_number = IdNumber(required=True)
    division_code = DivisionCode(required=True)
    kind = Choice(ALERT_KINDS, required=True)
    raised_at = Timestamp(required=True)
    escalated_at = Timestamp(required=True)
    level = Int(1, 10, required=True, metadata={
        "description": "1 = township duty officer, 2 = county, ..."})

    example: ClassVar[Example] = {
        "alert_id": "AL-2026-000093",
        "id_number": "341522194807052024",
        "division_code": "341522",
        "kind": "doorbell",
        "raised_at": "2026-03-12T21:14:05+08:00",
        "escalated_at": "2026-03-12T21:29:05+08:00",
        "level": 1,
    }


class AlertResolved(EventData):
    """The alert was handled."""

    alert_id = Text(max_length=64, required=True)
    id_number = IdNumber(required=True)
    division_code = DivisionCode(required=True)
    resolved_at = Timestamp(required=True)
    resolution = Text(max_length=500, required=True)

    example: ClassVar[Example] = {
        "alert_id": "AL-2026-000093",
        "id_number": "341522194807052024",
        "division_code": "341522",
        "resolved_at": "2026-03-12T21:40:00+08:00",
        "resolution": "老人夜间跌倒，已送医检查无大碍",
    }


class ProviderTotal(EventData):
    """Verified services of one provider in a closed month."""

    provider_kind = Choice(PROVIDER_KINDS, required=True)
    provider_uscc = Uscc(load_default=None, allow_none=True)
    provider_id_number = IdNumber(load_default=None, allow_none=True)
    provider_name = Text(max_length=100, load_default=None, allow_none=True)
    records = Int(required=True, metadata={"description": "net count (reversals subtract)"})
    minutes = Int(required=True)
    amount = MoneyString(allow_negative=True, required=True)

    @validates_schema
    def _provider(self, data, **kwargs):
        _check_provider(data, None)


class MonthLine(EventData):
    """Verified services of one provider to one person for one item."""

    id_number = IdNumber(required=True)
    provider_kind = Choice(PROVIDER_KINDS, required=True)
    provider_uscc = Uscc(load_default=None, allow_none=True)
    provider_id_number = IdNumber(load_default=None, allow_none=True)
    service_item = Choice(SERVICE_ITEMS, required=True)
    records = Int(required=True)
    minutes = Int(required=True)
    quantity = MoneyString(allow_negative=True, required=True)
    amount = MoneyString(allow_negative=True, required=True)

    @validates_schema
    def _provider(self, data, **kwargs):
        _check_provider(data)


class MonthClosed(EventData):
    """A township's (or an institution's) service month is closed: its records
    are locked and the verified services below are what funding pays
    (serve-then-subsidise, lanzhou-2021 §四(二)3; qingyunpu-2021 §四(三)6).
    ``total_amount`` = sum of ``providers[].amount`` = sum of ``lines[].amount``.
    Records of an institution provider close with that institution
    (``institution_uscc`` set), all others with the person's township."""

    month = Month(required=True)
    division_code = DivisionCode(required=True)
    institution_uscc = Uscc(load_default=None, allow_none=True)
    records = Int(0, required=True)
    persons = Int(0, required=True)
    minutes = Int(required=True)
    total_amount = MoneyString(allow_negative=True, required=True)
    unverified = Int(0, required=True, metadata={
        "description": "records of the month left unverified (not paid; paid in the month "
                       "they are verified in)"})
    closed_at = Timestamp(required=True)
    providers = ListOf(fields.Nested(ProviderTotal, error_messages=MESSAGES), required=True,
                       unique=False)
    lines = ListOf(fields.Nested(MonthLine, error_messages=MESSAGES), required=True,
                   unique=False)

    @validates_schema
    def _totals(self, data, **kwargs):
        total = data.get("total_amount")
        if total is None or data.get("providers") is None or data.get("lines") is None:
            return
        if sum((p["amount"] for p in data["providers"]), start=type(total)(0)) != total:
            raise ValidationError("providers 金额之和须等于 total_amount", "total_amount")
        if sum((ln["amount"] for ln in data["lines"]), start=type(total)(0)) != total:
            raise ValidationError("lines 金额之和须等于 total_amount", "total_amount")

    example: ClassVar[Example] = {
        "month": "2026-03",
        "division_code": "341522100",
        "institution_uscc": None,
        "records": 3,
        "persons": 2,
        "minutes": 240,
        "total_amount": "90.00",
        "unverified": 1,
        "closed_at": "2026-04-01T02:00:00+08:00",
        "providers": [
            {"provider_kind": "neighbor", "provider_uscc": None,
             "provider_id_number": "341502196302281546", "provider_name": "李桂兰",
             "records": 3, "minutes": 240, "amount": "90.00"},
        ],
        "lines": [
            {"id_number": "341522194807052024", "provider_kind": "neighbor",
             "provider_uscc": None, "provider_id_number": "341502196302281546",
             "service_item": "cleaning", "records": 2, "minutes": 180, "quantity": "2.00",
             "amount": "60.00"},
            {"id_number": "34150219560312112X", "provider_kind": "neighbor",
             "provider_uscc": None, "provider_id_number": "341502196302281546",
             "service_item": "meals", "records": 1, "minutes": 60, "quantity": "1.00",
             "amount": "30.00"},
        ],
    }


EVENTS = {
    "service.recorded": ServiceRecorded,
    "service.verified": ServiceVerified,
    "visit.overdue": VisitOverdue,
    "alert.raised": AlertRaised,
    "alert.escalated": AlertEscalated,
    "alert.resolved": AlertResolved,
    "month.closed": MonthClosed,
}
