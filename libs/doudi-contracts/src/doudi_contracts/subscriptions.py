"""What each department subscribes to from the suite's exchanges (part of the
department contract, DESIGN.md): health follows residents in and out of
institutions (medical rooms), medical insurance who is enrolled and insured
where, CDPF enrolments and hand-overs of disabled persons.

The departments' SDK consumes these; ``doudi-rabbit generate`` declares their
durable queues at deploy time."""

from __future__ import annotations

DEPARTMENT_SUBSCRIPTIONS: dict[str, dict[str, list[str]]] = {
    "health": {"institutions": ["placement.admitted", "placement.discharged"]},
    "medical_insurance": {"eligibility": ["enrolment.started", "enrolment.ended"],
                          "institutions": ["placement.*"]},
    "cdpf": {"eligibility": ["person.handed_over", "enrolment.*"]},
}
