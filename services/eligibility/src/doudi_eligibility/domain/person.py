"""Who a person is, from their resident ID number and what departments say.

Pure: no framework, no storage. Birth date and sex come from the ID number;
a name that differs from the registered one is reported, not silently taken.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from doudi_common.ids import birth_date_from_id, sex_from_id, validate_id_number


@dataclass(frozen=True)
class Identity:
    id_number: str
    name: str
    birth_date: date
    sex: str
    division_code: str


def identity_from(id_number: str, name: str, division_code: str) -> Identity:
    id_number = validate_id_number(id_number)
    return Identity(id_number=id_number, name=name.strip(), birth_date=birth_date_from_id(id_number),
                    sex=sex_from_id(id_number), division_code=division_code)


@dataclass(frozen=True)
class Fact:
    """One dated fact about a person, as a department reported it."""

    kind: str
    source: str
    valid_from: date | None
    valid_until: date | None
    payload: dict[str, Any] = field(default_factory=dict)
    source_event_id: str | None = None


#: event type -> fact kind
CERTIFICATE_EVENTS = {"certificate.issued": "disability_certificate",
                      "certificate.changed": "disability_certificate"}


def certificate_fact(event_type: str, event_id: str, data: dict[str, Any]) -> Fact:
    """CDPF certificate.issued/changed -> a disability-certificate fact."""
    return Fact(kind=CERTIFICATE_EVENTS[event_type], source="cdpf",
                valid_from=data.get("issued_on"), valid_until=data.get("valid_until"),
                payload={k: data[k] for k in ("certificate_no", "category", "grade",
                                              "issued_on", "valid_until") if k in data},
                source_event_id=event_id)
