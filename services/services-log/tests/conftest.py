"""Fixtures for services_log tests: a running service on a fresh PostgreSQL
database and RabbitMQ vhost, its clock frozen, and RPC helpers."""

from __future__ import annotations

from datetime import datetime

import pytest
from doudi_common.clock import SHANGHAI, clock_of
from doudi_common.testing.idnumbers import make_id_number
from nameko.testing.services import entrypoint_hook

# 兰州市城关区 (lanzhou-2021) and 南昌市青云谱区 (qingyunpu-2021)
LZ_TOWNSHIP = "620102001"
LZ_VILLAGE = "620102001001"
QY_VILLAGE = "360104001002"
PERSON = make_id_number(region="620102", birth="19450301", seq=11)
PERSON2 = make_id_number(region="620102", birth="19480716", seq=12, female=True)
NEIGHBOR = make_id_number(region="620102", birth="19700505", seq=21, female=True)
VOLUNTEER = make_id_number(region="620102", birth="19900101", seq=31)
VOLUNTEER_SON = make_id_number(region="620102", birth="20150101", seq=32)
WORKER = make_id_number(region="620102", birth="19850202", seq=41)
ORG = "12341500MB1234567G"
INSTITUTION = "12341500485912345J"
NOW = datetime(2026, 3, 20, 10, 0, tzinfo=SHANGHAI)


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> str:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI).isoformat()


def neighbor(id_number: str = NEIGHBOR, **extra) -> dict:
    return {"kind": "neighbor", "uscc": None, "id_number": id_number, "name": "李桂兰", **extra}


def volunteer(id_number: str = VOLUNTEER, **extra) -> dict:
    return {"kind": "volunteer", "uscc": None, "id_number": id_number, "name": "王志愿", **extra}


def organisation(uscc: str = ORG, **extra) -> dict:
    return {"kind": "organisation", "uscc": uscc, "id_number": None, "name": "城关区助老社", **extra}


def institution(uscc: str = INSTITUTION, **extra) -> dict:
    return {"kind": "institution", "uscc": uscc, "id_number": None, "name": "城关区养老院",
            **extra}


class Rpc:
    def __init__(self, container):
        self.container = container

    def __getattr__(self, name):
        def call(*args, **kwargs):
            with entrypoint_hook(self.container, name) as hook:
                return hook(*args, **kwargs)
        return call


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
        providers=[neighbor(items=["cleaning", "meals"]), volunteer(), organisation()])
    clock_of(svc).set(NOW)
    return issued


def record(rpc, start: str, end: str, item: str = "cleaning", provider=None, **extra):
    return rpc.record_service(id_number=extra.pop("id_number", PERSON), service_item=item,
                              provider=provider or neighbor(), started_at=start, ended_at=end,
                              recorded_by="provider-app", **extra)
