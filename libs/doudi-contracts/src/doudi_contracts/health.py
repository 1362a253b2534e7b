"""Events published by the health commission (卫健) and its hospitals."""

from __future__ import annotations

import re
from typing import ClassVar

from marshmallow import ValidationError, fields, validates_schema

from doudi_contracts.base import EventData, Example, not_before
from doudi_contracts.fields import Choice, IdNumber, Int, IsoDate, Text, Uscc, _Strict
from doudi_contracts.vocab import INCAPACITY_LEVELS

SOURCE = "health"


#: Each assessment standard's own grades, as integers from 0 (no impairment).
#: MZ/T 039-2013 老年人能力评估: 0 能力完好 … 3 重度失能.
#: GB/T 42195-2022 老年人能力评估规范: 0 能力完好 … 4 能力完全丧失.
#: LTC-2021 长期护理失能等级评估标准(试行): 0 基本正常, 1 轻度, 2 中度,
#: 3–5 重度失能 I–III 级.
#: AH-TK-2017 安徽省特困人员生活自理能力评估 (皖民社救字〔2017〕129号): 0 具备生活自理
#: 能力, 1 部分丧失, 2 完全丧失 (luan-2021 §三(一) accepts it beside the national standard).
#: GB/T 26341-2010 残疾人残疾分类和分级, graded by the disability rules ("残疾人评定",
#: luan-2021 §三(一)): 0 未达残疾标准, 1 四级, 2 三级, 3 二级, 4 一级 (most severe).
STANDARD_LEVELS = {"MZ/T 039-2013": 3, "GB/T 42195-2022": 4, "LTC-2021": 5, "AH-TK-2017": 2,
                   "GB/T 26341-2010": 4}


class Icd10(_Strict, fields.String):
    """ICD-10 code, including the Chinese clinical extension (``A15.000x001``)."""

    wire_schema: ClassVar[dict] = {"type": "string",
                                   "pattern": r"^[A-Z][0-9]{2}(\.[0-9A-Za-z]{1,10})?$",
                   "description": "ICD-10 code (国家临床版 extensions allowed)"}
    pattern = re.compile(r"[A-Z][0-9]{2}(\.[0-9A-Za-z]{1,10})?", re.ASCII)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not self.pattern.fullmatch(value):
            raise ValidationError("疾病编码应为 ICD-10 格式，如 A15.0")
        return value


class AssessmentCompleted(EventData):
    """An incapacity (失能) assessment was completed by a public hospital.

    ``level`` is the standard's own grade (see ``STANDARD_LEVELS``);
    ``incapacity_level`` the suite's three-way reading of it.
    """

    id_number = IdNumber(required=True)
    assessment_id = Text(max_length=64, required=True)
    standard = Choice(STANDARD_LEVELS, required=True)
    level = Int(0, 5, required=True, metadata={
        "description": "grade within the standard: MZ/T 039-2013 0-3, GB/T 42195-2022 0-4, "
                       "LTC-2021 0-5, AH-TK-2017 0-2, GB/T 26341-2010 0-4 (4 = 一级)"})
    incapacity_level = Choice(INCAPACITY_LEVELS, required=True,
                              metadata={"description": "自理 none / 半失能 partial / 失能 full"})
    assessed_on = IsoDate(required=True)
    valid_until = IsoDate(required=True)
    assessor_uscc = Uscc(required=True, metadata={"description": "assessing hospital"})

    @validates_schema
    def _consistent(self, data, **kwargs):
        standard, level = data.get("standard"), data.get("level")
        if standard in STANDARD_LEVELS and level is not None and level > STANDARD_LEVELS[standard]:
            raise ValidationError(f"{standard} 的等级范围是 0–{STANDARD_LEVELS[standard]}", "level")
        not_before(data, "assessed_on", "valid_until")

    example: ClassVar[Example] = {
        "id_number": "34150219560312112X",
        "assessment_id": "PG-341500-2026-000123",
        "standard": "GB/T 42195-2022",
        "level": 3,
        "incapacity_level": "full",
        "assessed_on": "2026-03-02",
        "valid_until": "2027-03-01",
        "assessor_uscc": "12341500485912345J",
    }


class InfectionFlagged(EventData):
    """The person has a notifiable infectious disease: no centralised admission."""

    id_number = IdNumber(required=True)
    disease_code = Icd10(required=True)
    on = IsoDate(required=True)

    example: ClassVar[Example] = {"id_number": "410928197001013211", "disease_code": "A15.0",
                                  "on": "2026-03-05"}


class InfectionCleared(InfectionFlagged):
    """The infection flagged earlier is cleared."""

    example: ClassVar[Example] = {"id_number": "410928197001013211", "disease_code": "A15.0",
                                  "on": "2026-05-20"}


class HospitalAdmitted(EventData):
    """Admitted to hospital (in-patient)."""

    id_number = IdNumber(required=True)
    hospital_uscc = Uscc(required=True)
    on = IsoDate(required=True)

    example: ClassVar[Example] = {"id_number": "341522194807052024",
                                  "hospital_uscc": "12341500485912345J",
               "on": "2026-03-10"}


class HospitalDischarged(HospitalAdmitted):
    """Discharged from hospital."""

    example: ClassVar[Example] = {"id_number": "341522194807052024",
                                  "hospital_uscc": "12341500485912345J",
               "on": "2026-03-24"}


class PersonDeceased(EventData):
    """Death registered by the health system."""

    id_number = IdNumber(required=True)
    date_of_death = IsoDate(required=True)

    example: ClassVar[Example] = {"id_number": "341522194807052024", "date_of_death": "2026-04-11"}


EVENTS = {
    "assessment.completed": AssessmentCompleted,
    "infection.flagged": InfectionFlagged,
    "infection.cleared": InfectionCleared,
    "hospital.admitted": HospitalAdmitted,
    "hospital.discharged": HospitalDischarged,
    "person.deceased": PersonDeceased,
}
