"""A county's settlement as a background job: started at once, run by the
timer with its phase recorded, the same job for a second request, succeeded
in the transaction that posts the ledger; a failure is a problem in the job."""

from __future__ import annotations

import pytest
from doudi_common.errors import Conflict
from doudi_common.testing.fixtures import count_rows, wait_for
from doudi_common.testing.idnumbers import make_id_number
from funding_testing import call

INST = "12341500MB1234567G"


def _sample(name: str, **labels) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_settlement_job_runs_in_the_background_once(funding, publish_as):
    succeeded = _sample("doudi_settlement_jobs_total", outcome="succeeded")
    settled = _sample("doudi_settlement_cases_settled_total")
    for n in range(3):
        publish_as("institutions", "placement.admitted", {
            "placement_id": f"PL-J{n}", "id_number": make_id_number(seq=40 + n),
            "division_code": "341502001001", "institution_uscc": INST,
            "care_mode": "centralized", "admitted_on": "2026-03-01", "bed_no": None,
            "monthly_price": "2000.00", "enrolment_id": None})
    wait_for(lambda: count_rows(funding, "cases") == 3, message="cases")
    job = call(funding, "start_settlement", "341502", "2026-03", "county:li")
    assert job["state"] in ("queued", "running") and job["kind"] == "settlement"
    assert call(funding, "start_settlement", "341502", "2026-03", "county:wang")["job_id"] \
        == job["job_id"]
    done = wait_for(lambda: (j := call(funding, "get_job", job["job_id"]))["state"]
                    == "succeeded" and j, timeout=20, message="the job to finish")
    assert done["phase"] == "done" and done["total"] == 3 and done["done"] == 3
    assert done["result"]["cases"] == 3 and done["result"]["total"] == "6000.00"
    assert done["attempts"] == 1 and done["finished_at"]
    assert count_rows(funding, "settlement_runs") == 1
    assert count_rows(funding, "case_settlements") == 3
    assert call(funding, "reconciliation")["ok"]
    mine = call(funding, "list_jobs", "county:li")["items"]
    assert [j["job_id"] for j in mine] == [job["job_id"]]
    # for operators (issue 19): one job succeeded, three cases settled
    assert _sample("doudi_settlement_jobs_total", outcome="succeeded") == succeeded + 1
    assert _sample("doudi_settlement_cases_settled_total") == settled + 3
    assert _sample("doudi_settlement_job_duration_seconds_count", outcome="succeeded") >= 1


def test_a_month_not_over_is_refused_before_a_job_exists(funding):
    with pytest.raises(Conflict):
        call(funding, "start_settlement", "341502", "2026-04", "county:li")
    assert count_rows(funding, "jobs") == 0
