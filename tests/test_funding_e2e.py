"""End to end over the real broker: institutions' placement events and
services-log's ``month.closed`` go in on their exchanges; funding settles the
month; a department's plain AMQP consumer sees ``settlement.completed`` and
``payout.issued`` on ``funding.events``."""

from __future__ import annotations

from datetime import date

import eventlet
from doudi_common.clock import clock_of
from doudi_common.testing.fixtures import count_rows, wait_for
from doudi_common.testing.idnumbers import make_id_number
from nameko.testing.services import entrypoint_hook

from tests.flows import INST, admit_two_with_a_subsidy


def call(container, method, *args, **kwargs):
    with entrypoint_hook(container, method) as hook:
        return hook(*args, **kwargs)


def test_placements_and_month_close_settle_and_pay_out(start_service, publish_as, event_tap):
    funding = start_service("funding")
    clock_of(funding).set(date(2026, 4, 1))
    tap = event_tap("funding", ["settlement.completed", "payout.issued", "shortfall.covered"],
                    user="cdpf")
    resident, newcomer = make_id_number(seq=21), make_id_number(seq=22)
    admit_two_with_a_subsidy(funding, publish_as, resident, newcomer, "PL-E2E")

    closed = {"month": "2026-03", "division_code": "341502", "institution_uscc": None,
              "records": 0, "persons": 0, "minutes": 0, "total_amount": "0.00",
              "unverified": 0, "closed_at": "2026-04-01T02:00:00+08:00", "providers": [],
              "lines": []}
    envelope = publish_as("services_log", "month.closed", closed)
    completed = tap.wait_for(lambda e: e["type"] == "settlement.completed")
    data = completed["data"]
    assert data["settlement_id"] == "ST-341502-2026-03" and data["cases"] == 2
    # 2170.00 for the whole month + 2170 * 15/31 = 1050.00 for the newcomer
    assert data["total"] == "3220.00"
    assert data["by_channel"] == {"own_subsidies": "100.00", "family_share": "0.00",
                                  "donations": "0.00", "county_cover": "3120.00"}
    payout = tap.wait_for(lambda e: e["type"] == "payout.issued")["data"]
    assert (payout["payee_uscc"], payout["purpose"], payout["amount"]) == \
        (INST, "care_fee", "3220.00")
    assert payout["settlement_id"] == "ST-341502-2026-03"
    # every line's transaction links back to the close and the placement's admission
    line = call(funding, "list_settlements", "2026-03", id_number=resident)["items"][0]
    txn = call(funding, "get_transaction", line["txn_id"])
    assert txn["event_id"] == envelope["id"] and txn["case_id"] == "PL-E2E-1"
    assert txn["case_event_id"] is not None and txn["cause"] == "settlement"
    cover = tap.wait_for(lambda e: e["type"] == "shortfall.covered")["data"]
    assert cover["amount"] == "3120.00"

    # the same close again (redelivered, then re-announced): no second settlement
    publish_as("services_log", "month.closed", envelope=envelope)
    publish_as("services_log", "month.closed", closed)
    wait_for(lambda: count_rows(funding, "inbox", event_type="month.closed") == 2,
             message="second close handled")
    eventlet.sleep(0.5)
    types = [e["type"] for e in tap.poll()]
    assert types.count("settlement.completed") == 1 and types.count("payout.issued") == 1
    assert count_rows(funding, "case_settlements") == 2
    assert call(funding, "reconciliation")["ok"]
