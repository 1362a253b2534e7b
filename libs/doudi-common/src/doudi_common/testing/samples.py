"""Sample department payloads that satisfy the contracts (test data only)."""

from __future__ import annotations

from doudi_common.testing.idnumbers import make_id_number

CATEGORY_DIGITS = {"vision": 1, "hearing": 2, "speech": 3, "physical": 4,
                   "intellectual": 5, "mental": 6, "multiple": 7}


def certificate_issued(id_number: str | None = None, name: str = "张三",
                       category: str = "physical", grade: int = 1,
                       division_code: str = "341502001001", issued_on: str = "2026-03-01",
                       valid_until: str = "2031-02-28") -> dict:
    id_number = id_number or make_id_number()
    return {"id_number": id_number, "name": name,
            "certificate_no": f"{id_number}{CATEGORY_DIGITS[category]}{grade}",
            "category": category, "grade": grade, "issued_on": issued_on,
            "valid_until": valid_until, "division_code": division_code}
