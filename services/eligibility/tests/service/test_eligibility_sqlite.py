"""``make run`` uses SQLite under var/: the same chain works there."""

from __future__ import annotations

from doudi_common.clock import clock_of
from doudi_eligibility.testing import HOME_VISIT, TODAY
from test_eligibility_chains import act, events, file, register


def test_chain_and_standing_list_on_sqlite(start_service, tmp_path):
    from nameko.standalone.rpc import ServiceRpcProxy

    container = start_service("eligibility", db_url=f"sqlite:///{tmp_path}/eligibility.db")
    clock_of(container).set(TODAY)
    with ServiceRpcProxy("eligibility", container.config, timeout=20) as rpc:
        pid = register(rpc, "qingyunpu-2021", hardship=["tekun"], registration="urban",
                       household={"sudden_no_carer": True})
        app = file(rpc, pid, "home_visit")
        app = act(rpc, app, "village_review", "village_clerk")
        app = act(rpc, app, "township_check", "township_officer", data=HOME_VISIT)
        app = act(rpc, app, "approve", "county_officer")
        app = act(rpc, app, "sign_agreement", "county_officer")
        assert app["state"] == "enrolled"
        assert rpc.redecide_all() == {"persons": 1, "changed": 0}
        assert rpc.standing_notice_list("360104001")["total"] == 1
        assert rpc.public_notice_list("360104001", "2026-03-01", "2026-03-31")["total"] == 1
        assert rpc.run_calendar("2027-03-17")["reviews_due"] == 1
    assert len(events(container, "enrolment.started")) == 1
