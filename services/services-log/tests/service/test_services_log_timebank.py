"""Volunteer time bank (lanzhou-2021 §四(五)3): credited on verification, transfer
within the family as the pack allows, redeemed, never negative, full history."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from doudi_common.errors import Conflict, Invalid
from doudi_common.testing.fixtures import db_engine
from sl_testing import (
    PERSON2,
    QY_VILLAGE,
    VOLUNTEER,
    VOLUNTEER_SON,
    at,
    reason_of,
    record,
    volunteer,
)


def refused(call, *args, **kwargs) -> str:
    with pytest.raises((Invalid, Conflict)) as excinfo:
        call(*args, **kwargs)
    return reason_of(excinfo)


def verify(rpc, rec):
    return rpc.verify_record(record_id=rec["record_id"], verified_by="张大爷",
                             verifier_role="person")


def test_time_bank(svc, rpc, card):
    bath = record(rpc, at(3, 15), at(3, 16, 30), item="bathing", provider=volunteer())
    assert rpc.time_bank_balance(id_number=VOLUNTEER)["balance_minutes"] == 0  # not yet
    verify(rpc, bath)
    verify(rpc, record(rpc, at(4, 15), at(4, 16), item="bathing", provider=volunteer()))
    balance = rpc.time_bank_balance(id_number=VOLUNTEER)
    assert (balance["balance_minutes"], balance["balance_hours"]) == (150, "2.50")
    # neighbours are paid, not banked
    verify(rpc, record(rpc, at(5, 9), at(5, 10)))
    assert rpc.time_bank_history(id_number=VOLUNTEER)["total"] == 2

    # transfer within the family
    out = rpc.transfer_time(from_id_number=VOLUNTEER, to_id_number=VOLUNTEER_SON, minutes=30,
                            relation="child", by="township:lin")
    assert out["from"]["balance_minutes"] == 120 and out["to"]["balance_minutes"] == 30
    assert refused(rpc.transfer_time, from_id_number=VOLUNTEER, to_id_number=VOLUNTEER_SON,
                   minutes=30, relation="friend", by="lin") == "not_family"
    assert refused(rpc.transfer_time, from_id_number=VOLUNTEER, to_id_number=VOLUNTEER,
                   minutes=30, relation="child", by="lin") == "not_family"
    assert refused(rpc.transfer_time, from_id_number=VOLUNTEER, to_id_number=VOLUNTEER_SON,
                   minutes=121, relation="child", by="lin") == "insufficient_balance"
    assert refused(rpc.transfer_time, from_id_number=VOLUNTEER, to_id_number=VOLUNTEER_SON,
                   minutes=-5, relation="child", by="lin") == "bad_minutes"

    # redeem, never below zero
    assert refused(rpc.redeem_time, id_number=VOLUNTEER, minutes=121, by="lin") == \
        "insufficient_balance"
    left = rpc.redeem_time(id_number=VOLUNTEER, minutes=100, by="lin", service_item="meals")
    assert left["balance_minutes"] == 20

    # a correction of a verified, credited record takes the time back — and is
    # refused when the time has already been spent
    assert refused(rpc.correct_record, record_id=bath["record_id"],
                   changes={"ended_at": at(3, 16)}, reason="时间更正",
                   corrected_by="lin") == "insufficient_balance"
    assert rpc.time_bank_balance(id_number=VOLUNTEER)["balance_minutes"] == 20

    history = rpc.time_bank_history(id_number=VOLUNTEER)
    assert [(e["kind"], e["minutes"], e["balance_after"]) for e in history["items"]] == [
        ("credit", 90, 90), ("credit", 60, 150), ("transfer_out", -30, 120),
        ("redeem", -100, 20)]
    assert history["items"][2]["counterparty_masked"].count("*") == 10
    son = rpc.time_bank_history(id_number=VOLUNTEER_SON)["items"]
    assert [(e["kind"], e["minutes"]) for e in son] == [("transfer_in", 30)]

    # the database itself refuses a negative balance
    with pytest.raises(sa.exc.IntegrityError), db_engine(svc).begin() as conn:
        conn.execute(sa.text("UPDATE time_accounts SET balance_minutes = -1"))


def test_no_time_bank_where_the_pack_has_none(svc, rpc):
    from datetime import datetime

    from doudi_common.clock import SHANGHAI, clock_of

    clock_of(svc).set(datetime(2026, 3, 2, 9, tzinfo=SHANGHAI))
    rpc.issue_card(id_number=PERSON2, division_code=QY_VILLAGE, assessed_on="2026-03-01",
                   by="lin", items=[{"code": "shopping"}], providers=[volunteer()])
    clock_of(svc).set(datetime(2026, 3, 20, 10, tzinfo=SHANGHAI))
    rec = record(rpc, at(5, 9), at(5, 10), item="shopping", provider=volunteer(),
                 id_number=PERSON2)
    verify(rpc, rec)
    assert rpc.time_bank_balance(id_number=VOLUNTEER)["balance_minutes"] == 0
    assert refused(rpc.transfer_time, from_id_number=VOLUNTEER, to_id_number=VOLUNTEER_SON,
                   minutes=1, relation="child", by="lin") in ("transfer_not_allowed",)
