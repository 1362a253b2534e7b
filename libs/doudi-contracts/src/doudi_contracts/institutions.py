"""Events published by the institutions service: registry, grades,
placements, inspections, consolidation (hangzhou-2024)."""

from __future__ import annotations

from typing import ClassVar

from marshmallow import ValidationError, validates_schema

from doudi_contracts.base import EventData, Example, not_before
from doudi_contracts.fields import (
    Bool,
    Choice,
    DivisionCode,
    IdNumber,
    Int,
    IsoDate,
    MoneyString,
    Text,
    Uscc,
)
from doudi_contracts.vocab import CARE_MODES, INCAPACITY_LEVELS

SOURCE = "institutions"

#: 公办公营 / 公建民营 / 民办公助 / 社会化托养 / 民办
OPERATING_MODELS = ("public", "public_built_private_run", "private_run_public_aided",
                    "social_entrustment", "private")
DISCHARGE_REASONS = ("deceased", "voluntary", "no_longer_eligible", "care_mode_changed",
                     "handed_over", "hospital_long_stay", "transferred", "other")
INSPECTION_KINDS = ("fund_policy", "fire_safety", "food_safety", "infection_control", "service")
INSPECTION_RESULTS = ("passed", "rectification_required", "failed")
#: luan-2021 §三(四): cost per resident by bed, nursing, meals, rehab, supplies, overhead
CATALOG_CATEGORIES = ("bed", "nursing", "meals", "rehabilitation", "supplies", "overhead",
                      "extra")
LICENCE_KINDS = ("registration", "fire_safety", "food_business", "medical_room",
                 "medical_insurance")


def _care_level():
    return Choice(INCAPACITY_LEVELS, load_default=None, allow_none=True, metadata={
        "description": "care level: none 自理 / partial 半失能 / full 失能"})


class InstitutionRegistered(EventData):
    """A care institution (a legal person) joined the registry."""

    institution_uscc = Uscc(required=True)
    name = Text(max_length=100, required=True)
    division_code = DivisionCode(required=True)
    operating_model = Choice(OPERATING_MODELS, required=True)
    beds = Int(0, 100000, required=True)
    registered_on = IsoDate(required=True)

    example: ClassVar[Example] = {
        "institution_uscc": "12341500MB1234567G",
        "name": "金安区中心敬老院",
        "division_code": "341502100",
        "operating_model": "public_built_private_run",
        "beds": 120,
        "registered_on": "2026-01-15",
    }


class InstitutionGraded(EventData):
    """A grade (1–5) under 养老机构等级划分与评定 (GB/T 37276-2018)."""

    institution_uscc = Uscc(required=True)
    grade = Int(1, 5, required=True)
    graded_on = IsoDate(required=True)
    standard = Choice(("GB/T 37276-2018",), required=True)

    example: ClassVar[Example] = {
        "institution_uscc": "12341500MB1234567G",
        "grade": 3,
        "graded_on": "2026-02-10",
        "standard": "GB/T 37276-2018",
    }


class InstitutionSuspended(EventData):
    """Admissions suspended (e.g. failed inspection pending rectification)."""

    institution_uscc = Uscc(required=True)
    suspended_on = IsoDate(required=True)
    reason = Text(max_length=500, required=True)

    example: ClassVar[Example] = {
        "institution_uscc": "52341502MJ0012345T",
        "suspended_on": "2026-05-06",
        "reason": "消防安全检查不合格，限期整改",
    }


class InstitutionMerged(EventData):
    """Consolidation: ``institution_uscc`` merged into ``into_uscc``; residents
    moved with their consent."""

    institution_uscc = Uscc(required=True)
    into_uscc = Uscc(required=True)
    merged_on = IsoDate(required=True)
    residents_moved = Int(0, 100000, required=True)

    @validates_schema
    def _different(self, data, **kwargs):
        if data.get("institution_uscc") and data.get("institution_uscc") == data.get("into_uscc"):
            raise ValidationError("不能合并到自身", "into_uscc")

    example: ClassVar[Example] = {
        "institution_uscc": "52341502MJ0012345T",
        "into_uscc": "12341500MB1234567G",
        "merged_on": "2026-10-01",
        "residents_moved": 14,
    }


class InstitutionClosed(EventData):
    """The institution closed (after its residents were placed elsewhere)."""

    institution_uscc = Uscc(required=True)
    closed_on = IsoDate(required=True)
    reason = Text(max_length=500, required=True)

    example: ClassVar[Example] = {
        "institution_uscc": "52341502MJ0012345T",
        "closed_on": "2026-10-31",
        "reason": "合并后原址改作他用",
    }


class PlacementAdmitted(EventData):
    """A person was admitted to an institution at ``monthly_price``."""

    placement_id = Text(max_length=64, required=True)
    id_number = IdNumber(required=True)
    division_code = DivisionCode(required=True, metadata={"description": "the person's division"})
    institution_uscc = Uscc(required=True)
    care_mode = Choice(CARE_MODES, required=True)
    admitted_on = IsoDate(required=True)
    bed_no = Text(max_length=32, load_default=None, allow_none=True)
    monthly_price = MoneyString(required=True, metadata={
        "description": "bed + nursing + meals + rehab + supplies + overhead, per month"})
    enrolment_id = Text(max_length=64, load_default=None, allow_none=True)
    care_level = _care_level()

    example: ClassVar[Example] = {
        "placement_id": "PL-2026-000051",
        "id_number": "34150219560312112X",
        "division_code": "341502001001",
        "institution_uscc": "12341500MB1234567G",
        "care_mode": "centralized",
        "admitted_on": "2026-04-01",
        "bed_no": "2-108-1",
        "monthly_price": "2650.00",
        "enrolment_id": "ENR-2026-000128",
        "care_level": "full",
    }


class PlacementDischarged(EventData):
    """A person left the institution; ``discharged_on`` is the last day there."""

    placement_id = Text(max_length=64, required=True)
    id_number = IdNumber(required=True)
    division_code = DivisionCode(required=True)
    institution_uscc = Uscc(required=True)
    discharged_on = IsoDate(required=True)
    reason = Choice(DISCHARGE_REASONS, required=True)
    care_level = _care_level()

    example: ClassVar[Example] = {
        "placement_id": "PL-2026-000051",
        "id_number": "34150219560312112X",
        "division_code": "341502001001",
        "institution_uscc": "12341500MB1234567G",
        "discharged_on": "2026-11-30",
        "reason": "voluntary",
        "care_level": "full",
    }


class PlacementTransferred(EventData):
    """Moved between institutions (consolidation or request); the person's
    consent is required (hangzhou-2024 §五(三))."""

    placement_id = Text(max_length=64, required=True)
    id_number = IdNumber(required=True)
    division_code = DivisionCode(required=True)
    from_institution_uscc = Uscc(required=True)
    to_institution_uscc = Uscc(required=True)
    transferred_on = IsoDate(required=True)
    consent_recorded = Bool(required=True)
    care_level = _care_level()
    to_placement_id = Text(max_length=64, load_default=None, allow_none=True,
                           metadata={"description": "the placement opened at the target"})

    @validates_schema
    def _consistent(self, data, **kwargs):
        if data.get("consent_recorded") is False:
            raise ValidationError("转院须经本人同意", "consent_recorded")
        if data.get("from_institution_uscc") and \
                data.get("from_institution_uscc") == data.get("to_institution_uscc"):
            raise ValidationError("转出与转入机构不能相同", "to_institution_uscc")

    example: ClassVar[Example] = {
        "placement_id": "PL-2026-000077",
        "id_number": "341522194807052024",
        "division_code": "341522",
        "from_institution_uscc": "52341502MJ0012345T",
        "to_institution_uscc": "12341500MB1234567G",
        "transferred_on": "2026-10-01",
        "consent_recorded": True,
        "care_level": "partial",
        "to_placement_id": "PL-2026-000312",
    }


class InspectionRecorded(EventData):
    """An inspection (fund and policy yearly; fire and food safety monthly)."""

    inspection_id = Text(max_length=64, required=True)
    institution_uscc = Uscc(required=True)
    kind = Choice(INSPECTION_KINDS, required=True)
    inspected_on = IsoDate(required=True)
    result = Choice(INSPECTION_RESULTS, required=True)
    findings = Text(max_length=2000, load_default=None, allow_none=True)
    rectify_by = IsoDate(load_default=None, allow_none=True)

    @validates_schema
    def _rectification(self, data, **kwargs):
        if data.get("result") == "rectification_required" and not data.get("rectify_by"):
            raise ValidationError("需要整改时必须给出整改期限", "rectify_by")
        not_before(data, "inspected_on", "rectify_by")

    example: ClassVar[Example] = {
        "inspection_id": "INS-2026-0301",
        "institution_uscc": "12341500MB1234567G",
        "kind": "fire_safety",
        "inspected_on": "2026-03-15",
        "result": "rectification_required",
        "findings": "二楼安全出口堆放杂物",
        "rectify_by": "2026-03-22",
    }


class InspectionOverdue(EventData):
    """An inspection of ``kind`` was due on ``due_on`` and is not recorded."""

    institution_uscc = Uscc(required=True)
    kind = Choice(INSPECTION_KINDS, required=True)
    due_on = IsoDate(required=True)
    last_inspected_on = IsoDate(required=True, allow_none=True)

    example: ClassVar[Example] = {
        "institution_uscc": "52341502MJ0012345T",
        "kind": "food_safety",
        "due_on": "2026-04-30",
        "last_inspected_on": "2026-03-12",
    }


class CatalogPriceChanged(EventData):
    """A catalogue item's price changes from ``effective_from`` (never
    retroactively); funding settles against the price in force each day."""

    institution_uscc = Uscc(required=True)
    item_code = Text(max_length=64, required=True)
    category = Choice(CATALOG_CATEGORIES, required=True)
    name = Text(max_length=100, required=True)
    unit = Choice(("month", "day", "each"), required=True)
    price = MoneyString(required=True)
    previous_price = MoneyString(load_default=None, allow_none=True)
    effective_from = IsoDate(required=True)
    room_type = Text(max_length=32, load_default=None, allow_none=True)
    care_level = _care_level()

    example: ClassVar[Example] = {
        "institution_uscc": "12341500MB1234567G",
        "item_code": "nursing-full",
        "category": "nursing",
        "name": "失能护理",
        "unit": "month",
        "price": "1350.00",
        "previous_price": "1200.00",
        "effective_from": "2026-07-01",
        "room_type": None,
        "care_level": "full",
    }


class LicenceExpiring(EventData):
    """A licence or condition (fire-safety filing, food business licence, ...)
    expires within the alert window, or has expired."""

    institution_uscc = Uscc(required=True)
    kind = Choice(LICENCE_KINDS, required=True)
    number = Text(max_length=64, required=True)
    valid_until = IsoDate(required=True)
    days_left = Int(-100000, 100000, required=True)

    example: ClassVar[Example] = {
        "institution_uscc": "12341500MB1234567G",
        "kind": "food_business",
        "number": "JY13415020012345",
        "valid_until": "2026-06-30",
        "days_left": 45,
    }


EVENTS = {
    "institution.registered": InstitutionRegistered,
    "institution.graded": InstitutionGraded,
    "institution.suspended": InstitutionSuspended,
    "institution.merged": InstitutionMerged,
    "institution.closed": InstitutionClosed,
    "placement.admitted": PlacementAdmitted,
    "placement.discharged": PlacementDischarged,
    "placement.transferred": PlacementTransferred,
    "inspection.recorded": InspectionRecorded,
    "inspection.overdue": InspectionOverdue,
    "catalog.price_changed": CatalogPriceChanged,
    "licence.expiring": LicenceExpiring,
}
