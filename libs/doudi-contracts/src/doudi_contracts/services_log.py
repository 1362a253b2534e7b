"""Events published by the services-log service: recorded services, visits,
alerts and month close."""

from __future__ import annotations

from typing import ClassVar

from marshmallow import ValidationError, validates_schema

from doudi_contracts.base import EventData, Example, exactly_one, not_before
from doudi_contracts.fields import (
    Choice,
    DivisionCode,
    IdNumber,
    Int,
    IsoDate,
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

    @validates_schema
    def _provider(self, data, **kwargs):
        exactly_one(data, "provider_uscc", "provider_id_number")
        kind = data.get("provider_kind")
        if kind in ("institution", "organisation") and data.get("provider_uscc") is None:
            raise ValidationError("机构服务须填写 provider_uscc", "provider_uscc")
        if kind in ("volunteer", "neighbor") and data.get("provider_id_number") is None:
            raise ValidationError("个人服务须填写 provider_id_number", "provider_id_number")
        if data.get("provider_id_number") and \
                data.get("provider_id_number") == data.get("id_number"):
            raise ValidationError("服务提供者不能是服务对象本人", "provider_id_number")

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


class MonthClosed(EventData):
    """A division's service month is closed: records are final for settlement."""

    month = Month(required=True)
    division_code = DivisionCode(required=True)
    records = Int(0, required=True)
    persons = Int(0, required=True)
    minutes = Int(0, required=True)
    closed_at = Timestamp(required=True)

    example: ClassVar[Example] = {
        "month": "2026-03",
        "division_code": "341522",
        "records": 1284,
        "persons": 97,
        "minutes": 101340,
        "closed_at": "2026-04-01T02:00:00+08:00",
    }


EVENTS = {
    "service.recorded": ServiceRecorded,
    "visit.overdue": VisitOverdue,
    "alert.raised": AlertRaised,
    "alert.resolved": AlertResolved,
    "month.closed": MonthClosed,
}
