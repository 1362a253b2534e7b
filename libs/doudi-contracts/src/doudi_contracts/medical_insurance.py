"""Events published by the medical insurance bureau (医保)."""

from __future__ import annotations

from typing import ClassVar

from marshmallow import ValidationError, validates_schema

from doudi_contracts.base import EventData, Example, not_before
from doudi_contracts.fields import IdNumber, IsoDate, MoneyString, Month, Text, Uscc

SOURCE = "medical_insurance"


class DesignationSigned(EventData):
    """An institution signed a designated-institution agreement (定点协议)."""

    institution_uscc = Uscc(required=True)
    agreement_no = Text(max_length=64, required=True)
    valid_from = IsoDate(required=True)
    valid_until = IsoDate(required=True)

    @validates_schema
    def _order(self, data, **kwargs):
        not_before(data, "valid_from", "valid_until")

    example: ClassVar[Example] = {
        "institution_uscc": "12341500MB1234567G",
        "agreement_no": "YB-341500-2026-017",
        "valid_from": "2026-03-01",
        "valid_until": "2028-02-29",
    }


class DesignationTerminated(DesignationSigned):
    """The agreement ended early; ``valid_until`` is the last valid day."""

    example: ClassVar[Example] = {**DesignationSigned.example, "valid_until": "2026-09-30"}


class ReimbursementSettled(EventData):
    """A period's medical bills were settled: ``total`` = ``fund_paid`` +
    ``medical_assistance_paid`` + ``self_paid``."""

    id_number = IdNumber(required=True)
    period = Month(required=True)
    total = MoneyString(required=True)
    fund_paid = MoneyString(required=True, metadata={"description": "基本医保统筹支付"})
    medical_assistance_paid = MoneyString(required=True, metadata={"description": "医疗救助"})
    self_paid = MoneyString(required=True, metadata={"description": "个人自付"})

    @validates_schema
    def _balances(self, data, **kwargs):
        parts = ("fund_paid", "medical_assistance_paid", "self_paid")
        present = all(data.get(p) is not None for p in (*parts, "total"))
        if present and sum(data[p] for p in parts) != data["total"]:
            raise ValidationError("total 必须等于 fund_paid + medical_assistance_paid + self_paid",
                                  "total")

    example: ClassVar[Example] = {
        "id_number": "34150219560312112X",
        "period": "2026-03",
        "total": "3560.40",
        "fund_paid": "2492.28",
        "medical_assistance_paid": "890.10",
        "self_paid": "178.02",
    }


EVENTS = {
    "designation.signed": DesignationSigned,
    "designation.terminated": DesignationTerminated,
    "reimbursement.settled": ReimbursementSettled,
}
