"""nameko's RPC reply, one serialisation for both transports (``@rpc`` through
the broker, ``@read_over_http``): what the caller gets back."""

from __future__ import annotations

import sys
from decimal import Decimal

from doudi_common.entrypoints.rpc import reply_of
from doudi_common.errors import NotFound
from kombu.utils.json import loads


def _body(reply):
    _result, _exc_info, (ctype, _encoding, body) = reply
    assert ctype == "application/json"
    return loads(body)  # as the caller reads it: kombu revives its typed values


def test_a_result_and_an_error_reach_the_caller():
    assert _body(reply_of({"amount": Decimal("12.50")}, None)) == {
        "result": {"amount": Decimal("12.50")}, "error": None}
    try:
        raise NotFound("未找到该人员", resource="person")
    except NotFound:
        reply = reply_of({"ignored": 1}, sys.exc_info())
    assert reply[0] is None  # a failed worker's result is not sent
    error = _body(reply)["error"]
    assert error["exc_type"] == "NotFound" and error["value"] == "未找到该人员"


def test_a_result_that_cannot_be_serialised_is_the_caller_s_error():
    reply = reply_of({"bad": object()}, None)
    result, exc_info, _serialised = reply
    assert result is None and exc_info is not None  # the worker's error, for the logs
    body = _body(reply)
    assert body["result"] is None
    assert body["error"]["exc_type"] == "UnserializableValueError"
