"""Test data and helpers for services_log tests (imported by the tests and conftest)."""

from __future__ import annotations

from datetime import datetime

from doudi_common.dates import SHANGHAI
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
    return {"kind": "organisation", "uscc": uscc, "id_number": None, "name": "城关区助老社",
            **extra}


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




def reason_of(excinfo) -> str:
    """The stable reason of a refused call; the detail must be a Chinese sentence
    that does not reveal a full ID number."""
    exc = excinfo.value
    assert exc.detail and not any(i in exc.detail for i in (PERSON, PERSON2, NEIGHBOR,
                                                              VOLUNTEER, WORKER))
    return exc.fields.get("reason")


def record(rpc, start: str, end: str, item: str = "cleaning", provider=None, **extra):
    return rpc.record_service(id_number=extra.pop("id_number", PERSON), service_item=item,
                              provider=provider or neighbor(), started_at=start, ended_at=end,
                              recorded_by="provider-app", **extra)


def refused(call, *args, **kwargs) -> str:
    """Call, expect a refusal (Invalid, Conflict or NotFound), return its reason."""
    import pytest
    from doudi_common.errors import Conflict, Invalid, NotFound

    with pytest.raises((Invalid, Conflict, NotFound)) as excinfo:
        call(*args, **kwargs)
    return reason_of(excinfo)


def outbox_envelopes(svc, event_type: str) -> list[dict]:
    """The envelopes a service wrote to its outbox for ``event_type``, in order."""
    import json

    import sqlalchemy as sa
    from doudi_common.testing.fixtures import db_engine

    with db_engine(svc).connect() as conn:
        rows = conn.execute(sa.text("SELECT envelope FROM outbox WHERE event_type = :t "
                                    "ORDER BY seq"), {"t": event_type}).all()
    return [json.loads(r.envelope) for r in rows]
