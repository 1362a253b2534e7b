"""Steps several suite tests share: a month of placements in funding, and a
department's stream published from a thread while the test kills things."""

from __future__ import annotations

import threading

from doudi_common.testing.fixtures import amqp_uri_for, count_rows, wait_for
from doudi_departments.client import DepartmentClient

INST = "12341500MB1234567G"


def admit_two_with_a_subsidy(funding, publish_as, resident: str, newcomer: str,
                             prefix: str, village: str = "341502001001",
                             institution: str = INST) -> None:
    """``resident`` in care all of March 2026 with a 100.00 nursing subsidy,
    ``newcomer`` from 17 March; both at ``institution`` for 2,170.00 a month."""
    for pid, person, on in ((f"{prefix}-1", resident, "2026-02-01"),
                            (f"{prefix}-2", newcomer, "2026-03-17")):
        publish_as("institutions", "placement.admitted", {
            "placement_id": pid, "id_number": person, "division_code": village,
            "institution_uscc": institution, "care_mode": "centralized", "admitted_on": on,
            "bed_no": "1-101", "monthly_price": "2170.00", "enrolment_id": None})
    publish_as("cdpf", "subsidy.granted", {
        "id_number": resident, "kind": "severe_disability_nursing_subsidy",
        "monthly_amount": "100.00", "from_month": "2026-01"})
    wait_for(lambda: count_rows(funding, "cases") == 2
             and count_rows(funding, "person_subsidies") == 1, message="facts in funding")


class StreamInBackground:
    """CDPF publishes ``messages`` (simulator messages) from a thread, as its
    system would while the suite is being killed; ``join()`` raises what failed."""

    def __init__(self, rabbit: dict, messages: list):
        self.uri, self.messages = amqp_uri_for(rabbit, "cdpf"), messages
        self.published: list[str] = []
        self.failure: list[Exception] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            with DepartmentClient("cdpf", self.uri) as cdpf:
                for m in self.messages:
                    cdpf.publish_raw(m.body, routing_key=m.routing_key,
                                     message_id=m.message_id, type=m.event_type)
                    self.published.append(m.message_id)
        except Exception as exc:  # noqa: BLE001 - raised by join
            self.failure.append(exc)

    def join(self, timeout: float) -> None:
        self.thread.join(timeout=timeout)
        assert not self.failure, self.failure
        assert len(self.published) == len(self.messages)
