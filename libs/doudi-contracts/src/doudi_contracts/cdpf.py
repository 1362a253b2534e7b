"""Events published by the disabled persons' federation (残联, CDPF)."""

from __future__ import annotations

from typing import ClassVar

from marshmallow import ValidationError, validates_schema

from doudi_contracts.base import EventData, Example, not_before
from doudi_contracts.fields import (
    CERTIFICATE_CATEGORIES,
    CertificateNo,
    Choice,
    DivisionCode,
    IdNumber,
    Int,
    IsoDate,
    MoneyString,
    Month,
    Text,
)

SOURCE = "cdpf"

SUBSIDY_KINDS = ("disabled_living_allowance", "severe_disability_nursing_subsidy")


def _check_certificate_holder(data) -> None:
    cert, id_number = data.get("certificate_no"), data.get("id_number")
    if cert and id_number and cert[:18] != id_number:
        raise ValidationError("残疾人证号的前18位必须是持证人的身份证号码", "certificate_no")


class CertificateIssued(EventData):
    """A second-generation disability certificate (第二代残疾人证) was issued.

    ``certificate_no`` = ``id_number`` + category digit + grade digit, and must
    agree with ``category`` and ``grade``. ``valid_until`` null = long-term.
    """

    id_number = IdNumber(required=True)
    name = Text(max_length=50, required=True)
    certificate_no = CertificateNo(required=True)
    category = Choice(CERTIFICATE_CATEGORIES, required=True,
                      metadata={"description": "残疾类别: 视力 听力 言语 肢体 智力 精神 多重"})
    grade = Int(1, 4, required=True, metadata={"description": "残疾等级, 1 most severe"})
    issued_on = IsoDate(required=True)
    valid_until = IsoDate(required=True, allow_none=True,
                          metadata={"description": "null: long-term (长期)"})
    division_code = DivisionCode(required=True,
                                 metadata={"description": "household registration division"})

    @validates_schema
    def _consistent(self, data, **kwargs):
        _check_certificate_holder(data)
        cert, category, grade = data.get("certificate_no"), data.get("category"), data.get("grade")
        if cert and category and cert[18] != CERTIFICATE_CATEGORIES[category]:
            raise ValidationError(
                f"残疾人证号的类别位应为 {CERTIFICATE_CATEGORIES[category]}（{category}）",
                "certificate_no")
        if cert and grade and cert[19] != str(grade):
            raise ValidationError(f"残疾人证号的等级位应为 {grade}", "certificate_no")
        not_before(data, "issued_on", "valid_until")

    example: ClassVar[Example] = {
        "id_number": "34150219560312112X",
        "name": "王秀英",
        "certificate_no": "34150219560312112X41",
        "category": "physical",
        "grade": 1,
        "issued_on": "2026-02-27",
        "valid_until": "2036-02-26",
        "division_code": "341502001001",
    }


class CertificateChanged(CertificateIssued):
    """The certificate was re-assessed or corrected: the full new state."""

    example: ClassVar[Example] = {**CertificateIssued.example,
                                  "certificate_no": "34150219560312112X42",
               "grade": 2, "issued_on": "2026-03-01"}


class CertificateRevoked(EventData):
    """The certificate was revoked (注销): death, recovery, emigration, error."""

    id_number = IdNumber(required=True)
    certificate_no = CertificateNo(required=True)
    revoked_on = IsoDate(required=True)
    reason = Text(max_length=200, required=True)

    @validates_schema
    def _consistent(self, data, **kwargs):
        _check_certificate_holder(data)

    example: ClassVar[Example] = {
        "id_number": "34150219560312112X",
        "certificate_no": "34150219560312112X42",
        "revoked_on": "2026-06-30",
        "reason": "持证人死亡",
    }


class SubsidyGranted(EventData):
    """One of the two disability subsidies was granted from ``from_month``."""

    id_number = IdNumber(required=True)
    kind = Choice(SUBSIDY_KINDS, required=True)
    monthly_amount = MoneyString(required=True)
    from_month = Month(required=True)

    example: ClassVar[Example] = {
        "id_number": "34150219560312112X",
        "kind": "severe_disability_nursing_subsidy",
        "monthly_amount": "120.00",
        "from_month": "2026-03",
    }


class SubsidyStopped(EventData):
    """A subsidy stops after ``to_month`` (the last month paid)."""

    id_number = IdNumber(required=True)
    kind = Choice(SUBSIDY_KINDS, required=True)
    monthly_amount = MoneyString(required=True)
    from_month = Month(required=True)
    to_month = Month(required=True)

    @validates_schema
    def _order(self, data, **kwargs):
        not_before(data, "from_month", "to_month")

    example: ClassVar[Example] = {**SubsidyGranted.example, "to_month": "2026-06"}


EVENTS = {
    "certificate.issued": CertificateIssued,
    "certificate.changed": CertificateChanged,
    "certificate.revoked": CertificateRevoked,
    "subsidy.granted": SubsidyGranted,
    "subsidy.stopped": SubsidyStopped,
}
