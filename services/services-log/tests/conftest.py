"""Fixtures for services_log tests: a running service on a fresh PostgreSQL
database and RabbitMQ vhost, its clock frozen at ``NOW``, and an RPC helper."""

from __future__ import annotations

from datetime import datetime

import pytest
from doudi_common.clock import SHANGHAI, clock_of
from sl_testing import (
    LZ_VILLAGE,
    NOW,
    PERSON,
    Rpc,
    institution,
    neighbor,
    organisation,
    volunteer,
)


@pytest.fixture
def svc(start_service):
    container = start_service("services_log", VISIT_CHECK_INTERVAL=0.2,
                              ALERT_CHECK_INTERVAL=0.2, ALERT_ACK_MINUTES=15)
    clock_of(container).set(NOW)
    return container


@pytest.fixture
def rpc(svc):
    return Rpc(svc)


@pytest.fixture
def card(svc, rpc):
    """An active Lanzhou card: cleaning ≤ 8/month, meals, bathing; a neighbour
    helper (cleaning and meals only), a volunteer and an organisation."""
    for code, price in (("cleaning", "30.00"), ("meals", "12.50"), ("bathing", "40.00")):
        rpc.set_item_price(jurisdiction="620100", code=code, unit_price=price, by="county")
    clock_of(svc).set(datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI))
    issued = rpc.issue_card(
        id_number=PERSON, division_code=LZ_VILLAGE, name="张大爷", care_mode="home_visit",
        assessed_on="2026-03-01", by="township:lin",
        items=[{"code": "cleaning", "times_per_month": 8}, {"code": "meals"},
               {"code": "bathing", "times_per_month": 4}],
        providers=[neighbor(items=["cleaning", "meals"]), volunteer(), organisation(),
                   institution()])
    clock_of(svc).set(NOW)
    return issued
