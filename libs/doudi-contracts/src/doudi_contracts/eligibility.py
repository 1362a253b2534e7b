"""Events published by the eligibility service: persons, applications,
enrolments, reviews, hand-overs."""

from __future__ import annotations

from typing import ClassVar

from doudi_common.errors import Invalid
from doudi_common.ids import age_on, birth_date_from_id, sex_from_id
from marshmallow import ValidationError, validates_schema

from doudi_contracts.base import EventData, Example
from doudi_contracts.fields import (
    Bool,
    Choice,
    DivisionCode,
    IdNumber,
    Int,
    IsoDate,
    ListOf,
    MoneyString,
    Text,
    Uscc,
    UuidString,
)
from doudi_contracts.vocab import CARE_MODES, HARDSHIP, INCAPACITY_LEVELS

SOURCE = "eligibility"

ENDING_REASONS = ("deceased", "improved", "voluntary_exit", "handed_over", "moved_away",
                  "no_longer_eligible", "other")
REVIEW_KINDS = ("annual_income", "incapacity", "certificate", "eligibility")


def _clauses(required: bool = True) -> ListOf:
    return ListOf(Text(max_length=100), min_items=1 if required else 0, required=required,
                  metadata={"description": "policy clauses cited, e.g. luan-2021 §三(一)"})


class PersonRegistered(EventData):
    """A person is known to the suite (new, or name/division changed). Every
    service keeps its own directory from this event."""

    id_number = IdNumber(required=True)
    name = Text(max_length=50, required=True)
    birth_date = IsoDate(required=True)
    sex = Choice(("male", "female"), required=True)
    division_code = DivisionCode(required=True, metadata={"description": "residence, 6-12 digits"})
    source_event = UuidString(load_default=None, allow_none=True, metadata={
        "description": "id of the event that caused the registration, if any"})

    @validates_schema
    def _matches_id_number(self, data, **kwargs):
        id_number = data.get("id_number")
        if not id_number:
            return
        try:
            born, sex = birth_date_from_id(id_number), sex_from_id(id_number)
        except Invalid:
            return
        if data.get("birth_date") and data["birth_date"] != born:
            raise ValidationError("与身份证号码中的出生日期不一致", "birth_date")
        if data.get("sex") and data["sex"] != sex:
            raise ValidationError("与身份证号码中的性别不一致", "sex")

    example: ClassVar[Example] = {
        "id_number": "34150219560312112X",
        "name": "王秀英",
        "birth_date": "1956-03-12",
        "sex": "female",
        "division_code": "341502001001",
        "source_event": "0f8e5a52-3c1e-4e0b-9a57-2f1d7c1f5b10",
    }


class ApplicationSubmitted(EventData):
    """An application for care was filed (by the person, a guardian or a clerk)."""

    application_id = Text(max_length=64, required=True)
    id_number = IdNumber(required=True)
    division_code = DivisionCode(required=True)
    care_mode = Choice(CARE_MODES, required=True)
    policy_pack = Text(max_length=64, required=True, metadata={"description": "e.g. luan-2021"})
    submitted_on = IsoDate(required=True)

    example: ClassVar[Example] = {
        "application_id": "APP-341502-2026-00042",
        "id_number": "34150219560312112X",
        "division_code": "341502001001",
        "care_mode": "centralized",
        "policy_pack": "luan-2021",
        "submitted_on": "2026-03-03",
    }


class ApplicationApproved(EventData):
    """The county approved the application (after review chain and public notice)."""

    application_id = Text(max_length=64, required=True)
    id_number = IdNumber(required=True)
    division_code = DivisionCode(required=True)
    care_mode = Choice(CARE_MODES, required=True)
    approved_on = IsoDate(required=True)
    decision_id = Text(max_length=64, required=True)
    policy_pack = Text(max_length=64, required=True)
    pack_version = Text(max_length=32, required=True)
    clauses = _clauses()

    example: ClassVar[Example] = {
        "application_id": "APP-341502-2026-00042",
        "id_number": "34150219560312112X",
        "division_code": "341502001001",
        "care_mode": "centralized",
        "approved_on": "2026-03-20",
        "decision_id": "DEC-2026-000311",
        "policy_pack": "luan-2021",
        "pack_version": "1",
        "clauses": ["luan-2021 §三(一)", "luan-2021 §三(六)"],
    }


class ApplicationRejected(EventData):
    """The application was rejected at some level of review."""

    application_id = Text(max_length=64, required=True)
    id_number = IdNumber(required=True)
    division_code = DivisionCode(required=True)
    rejected_on = IsoDate(required=True)
    decision_id = Text(max_length=64, required=True)
    policy_pack = Text(max_length=64, required=True)
    pack_version = Text(max_length=32, required=True)
    clauses = _clauses(required=False)
    reason = Text(max_length=500, required=True)

    example: ClassVar[Example] = {
        "application_id": "APP-410928-2026-00007",
        "id_number": "410928197001013211",
        "division_code": "410928",
        "rejected_on": "2026-03-21",
        "decision_id": "DEC-2026-000312",
        "policy_pack": "puyang-2020",
        "pack_version": "1",
        "clauses": ["puyang-2020 §四(四)"],
        "reason": "患有传染性疾病，暂不符合集中托养条件",
    }


class EnrolmentStarted(EventData):
    """Care starts in ``care_mode``. ``institution_uscc`` is set when the
    institution is already known (centralised care, day care)."""

    enrolment_id = Text(max_length=64, required=True)
    id_number = IdNumber(required=True)
    division_code = DivisionCode(required=True)
    care_mode = Choice(CARE_MODES, required=True)
    hardship = ListOf(Choice(HARDSHIP), required=True)
    incapacity_level = Choice(INCAPACITY_LEVELS, required=True)
    started_on = IsoDate(required=True)
    application_id = Text(max_length=64, load_default=None, allow_none=True)
    institution_uscc = Uscc(load_default=None, allow_none=True)
    policy_pack = Text(max_length=64, load_default=None, allow_none=True, metadata={
        "description": "the jurisdiction's policy the care is given under, e.g. luan-2021"})

    example: ClassVar[Example] = {
        "enrolment_id": "ENR-2026-000128",
        "id_number": "34150219560312112X",
        "division_code": "341502001001",
        "care_mode": "centralized",
        "hardship": ["tekun"],
        "incapacity_level": "full",
        "started_on": "2026-04-01",
        "application_id": "APP-341502-2026-00042",
        "institution_uscc": "12341500MB1234567G",
        "policy_pack": "luan-2021",
    }


class EnrolmentChanged(EventData):
    """The care mode or incapacity level of an enrolment changed."""

    enrolment_id = Text(max_length=64, required=True)
    id_number = IdNumber(required=True)
    division_code = DivisionCode(required=True)
    care_mode = Choice(CARE_MODES, required=True)
    previous_care_mode = Choice(CARE_MODES, required=True)
    incapacity_level = Choice(INCAPACITY_LEVELS, required=True)
    changed_on = IsoDate(required=True)
    reason = Text(max_length=500, required=True)

    example: ClassVar[Example] = {
        "enrolment_id": "ENR-2026-000129",
        "id_number": "341522194807052024",
        "division_code": "341522",
        "care_mode": "centralized",
        "previous_care_mode": "neighbor",
        "incapacity_level": "full",
        "changed_on": "2026-05-01",
        "reason": "失能程度加重，本人自愿转入集中养护",
    }


class EnrolmentEnded(EventData):
    """Care ended (``ended_on`` is the last day of care)."""

    enrolment_id = Text(max_length=64, required=True)
    id_number = IdNumber(required=True)
    division_code = DivisionCode(required=True)
    care_mode = Choice(CARE_MODES, required=True)
    ended_on = IsoDate(required=True)
    reason = Choice(ENDING_REASONS, required=True)
    note = Text(max_length=500, load_default=None, allow_none=True)

    example: ClassVar[Example] = {
        "enrolment_id": "ENR-2026-000129",
        "id_number": "341522194807052024",
        "division_code": "341522",
        "care_mode": "centralized",
        "ended_on": "2026-04-11",
        "reason": "deceased",
        "note": None,
    }


class ReviewDue(EventData):
    """A periodic review is due (family income at least yearly, incapacity
    re-assessment, certificate expiry)."""

    enrolment_id = Text(max_length=64, required=True)
    id_number = IdNumber(required=True)
    division_code = DivisionCode(required=True)
    kind = Choice(REVIEW_KINDS, required=True)
    due_on = IsoDate(required=True)

    example: ClassVar[Example] = {
        "enrolment_id": "ENR-2026-000128",
        "id_number": "34150219560312112X",
        "division_code": "341502001001",
        "kind": "annual_income",
        "due_on": "2027-04-01",
    }


class PersonHandedOver(EventData):
    """puyang-2020 §六: at 60 the person passes to civil affairs as tekun and
    leaves neighbour and centralised care under that policy."""

    id_number = IdNumber(required=True)
    division_code = DivisionCode(required=True)
    handed_over_on = IsoDate(required=True)
    age = Int(0, 150, required=True)
    to_status = Choice(("tekun",), required=True)
    ended_care_modes = ListOf(Choice(CARE_MODES), required=True)
    clause = Text(max_length=100, required=True)

    @validates_schema
    def _age(self, data, **kwargs):
        if data.get("id_number") and data.get("handed_over_on") and "age" in data:
            try:
                actual = age_on(data["id_number"], data["handed_over_on"])
            except Invalid:
                raise ValidationError("交接日期早于出生日期", "handed_over_on") from None
            if actual != data["age"]:
                raise ValidationError(f"与身份证号码推算的年龄（{actual}）不一致", "age")

    example: ClassVar[Example] = {
        "id_number": "410928197001013211",
        "division_code": "410928",
        "handed_over_on": "2030-01-01",
        "age": 60,
        "to_status": "tekun",
        "ended_care_modes": ["neighbor"],
        "clause": "puyang-2020 §六",
    }


class ReviewCompleted(EventData):
    """A periodic review was completed. For the annual income re-assessment
    (luan-2021 §三(六)) the family's co-payment band and share follow the income
    (luan-2021 §三(四)); funding settles by the share from the month after
    ``completed_on``."""

    enrolment_id = Text(max_length=64, required=True)
    id_number = IdNumber(required=True)
    division_code = DivisionCode(required=True)
    kind = Choice(REVIEW_KINDS, required=True)
    completed_on = IsoDate(required=True)
    income_per_head = MoneyString(load_default=None, allow_none=True, metadata={
        "description": "monthly disposable income per household member, yuan"})
    copay_band = Text(max_length=10, load_default=None, allow_none=True)
    previous_copay_band = Text(max_length=10, load_default=None, allow_none=True)
    copay_share = Text(max_length=6, load_default=None, allow_none=True, metadata={
        "description": "the family's share of the cost as a decimal string, e.g. \"0.10\""})
    next_review_on = IsoDate(required=True)
    clause = Text(max_length=100, required=True)

    example: ClassVar[Example] = {
        "enrolment_id": "ENR-2026-000128",
        "id_number": "34150219560312112X",
        "division_code": "341502001001",
        "kind": "annual_income",
        "completed_on": "2027-03-12",
        "income_per_head": "800.00",
        "copay_band": "B",
        "previous_copay_band": None,
        "copay_share": "0.10",
        "next_review_on": "2028-03-12",
        "clause": "luan-2021 §三(四)",
    }


class EligibilityChanged(EventData):
    """A person's eligibility outcome changed (new facts, a fact ended, a pack
    change): eligible care modes, target groups matched, priority. Emitted only
    when the outcome differs from the last one decided."""

    id_number = IdNumber(required=True)
    division_code = DivisionCode(required=True)
    decided_on = IsoDate(required=True, metadata={"description": "the date decided as of"})
    policy_pack = Text(max_length=64, load_default=None, allow_none=True,
                       metadata={"description": "null: no pack in force for the division"})
    pack_version = Text(max_length=32, load_default=None, allow_none=True)
    eligible = Bool(required=True)
    care_modes = ListOf(Choice(CARE_MODES), required=True)
    previous_care_modes = ListOf(Choice(CARE_MODES), required=True)
    target_groups = ListOf(Text(max_length=64), required=True,
                           metadata={"description": "ids of the pack's target groups matched"})
    priority = Int(1, 99, load_default=None, allow_none=True,
                   metadata={"description": "lower is served first (lanzhou-2021 §四(三)2)"})
    clauses = _clauses(required=False)
    trigger = Text(max_length=64, required=True, metadata={
        "description": "what caused the re-decision: an event type, person.updated, pack.changed"})

    example: ClassVar[Example] = {
        "id_number": "34150219560312112X",
        "division_code": "341502001001",
        "decided_on": "2026-03-02",
        "policy_pack": "luan-2021",
        "pack_version": "1",
        "eligible": True,
        "care_modes": ["centralized"],
        "previous_care_modes": [],
        "target_groups": ["luan-rural-severe-disabled"],
        "priority": None,
        "clauses": ["luan-2021 §三(一)"],
        "trigger": "assessment.completed",
    }


EVENTS = {
    "person.registered": PersonRegistered,
    "application.submitted": ApplicationSubmitted,
    "application.approved": ApplicationApproved,
    "application.rejected": ApplicationRejected,
    "enrolment.started": EnrolmentStarted,
    "enrolment.changed": EnrolmentChanged,
    "enrolment.ended": EnrolmentEnded,
    "review.due": ReviewDue,
    "person.handed_over": PersonHandedOver,
    "eligibility.changed": EligibilityChanged,
    "review.completed": ReviewCompleted,
}
