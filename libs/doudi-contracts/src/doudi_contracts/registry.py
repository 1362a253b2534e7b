"""The event catalogue: which source publishes which types, with which data.

Sources are the publishing systems; each has one topic exchange
``<source>.events`` with the event type as routing key. Departments are
outside systems; the rest are the suite's own services.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime
from functools import cache
from typing import Any

from doudi_common.errors import Invalid
from marshmallow import ValidationError

from doudi_contracts import (
    cdpf,
    compiled,
    eligibility,
    funding,
    health,
    institutions,
    medical_insurance,
    services_log,
)
from doudi_contracts.base import EventData
from doudi_contracts.envelope import SOURCE_NAME, load_envelope, wrap
from doudi_contracts.errors import ContractError, describe
from doudi_contracts.fields import SHANGHAI

__all__ = [
    "DEPARTMENTS",
    "SERVICES",
    "SOURCES",
    "ContractError",
    "data_schema",
    "dump_data",
    "event_types",
    "examples",
    "exchange_name",
    "publisher",
    "readers",
    "schema_class",
    "validate_event",
]

_MODULES = (cdpf, health, medical_insurance, eligibility, institutions, funding, services_log)

#: source -> {event type -> data schema class}, in publication order
CATALOGUE: dict[str, dict[str, type[EventData]]] = {m.SOURCE: dict(m.EVENTS) for m in _MODULES}

SOURCES = frozenset(CATALOGUE)
DEPARTMENTS = frozenset({"cdpf", "health", "medical_insurance"})
SERVICES = SOURCES - DEPARTMENTS

#: the division code used in the catalogue's example envelopes
EXAMPLE_DIVISION = "341500"
EXAMPLE_TIME = datetime(2026, 3, 1, 9, 30, tzinfo=SHANGHAI)
_EXAMPLE_NAMESPACE = uuid.UUID("6f1c1c8e-0b7a-4f43-9d8e-5a1f3f0d4c21")


def _check_source(source: str) -> dict[str, type[EventData]]:
    try:
        return CATALOGUE[source]
    except (KeyError, TypeError):
        # Sources are fixed by the code that calls us (the exchange it reads):
        # an unknown one is a programming error, not a bad message.
        raise ValueError(f"unknown event source {source!r}") from None


def exchange_name(source: str) -> str:
    _check_source(source)
    return f"{source}.events"


def publisher(source: str) -> str:
    """The RabbitMQ user that alone may publish on ``<source>.events``."""
    _check_source(source)
    return source


def readers(source: str) -> list[str]:
    """RabbitMQ users that may consume ``<source>.events`` (through their own
    queues): every service reads every exchange; departments read the
    services' exchanges but not each other's."""
    _check_source(source)
    names = sorted(SERVICES)
    if source in SERVICES:
        names += sorted(DEPARTMENTS)
    return names


def event_types(source: str) -> list[str]:
    return list(_check_source(source))


def schema_class(source: str, event_type: str) -> type[EventData]:
    types = _check_source(source)
    try:
        return types[event_type]
    except (KeyError, TypeError):
        shown = event_type if isinstance(event_type, str) else type(event_type).__name__
        raise ContractError("unknown_type", f"{source}.events 上没有事件类型 {shown!r}") from None


@cache
def data_schema(source: str, event_type: str) -> EventData:
    """The (shared, stateless) schema instance for one event type's ``data``."""
    return schema_class(source, event_type)()


def _label(source: str, event_type: str) -> str:
    return f"{source}/{event_type} v{schema_class(source, event_type).version}"


def validate_event(source: str, envelope: Any) -> dict[str, Any]:
    """Check a received envelope against the contract of exchange ``source``.

    Returns a new dict: the envelope with ``time`` as an aware ``datetime`` and
    ``data`` loaded (``Decimal`` amounts, ``date`` dates, normalised IDs).
    Raises ``ContractError`` with reason, in the order checked:
    ``bad_envelope`` (not a CloudEvents envelope as DESIGN.md specifies),
    ``source_mismatch`` (``source`` is not ``<source>/...``), ``unknown_type``,
    ``bad_data``.
    """
    types = _check_source(source)
    event = load_envelope(envelope)
    claimed = event["source"].split("/", 1)[0]
    if claimed != source:
        raise ContractError("source_mismatch",
                            f"source {event['source']!r} 不能发布到 {source}.events")
    if event["type"] not in types:
        raise ContractError("unknown_type", f"{source}.events 上没有事件类型 {event['type']!r}")
    try:
        event["data"] = compiled.load(data_schema(source, event["type"]), event["data"])
    except ValidationError as exc:
        raise ContractError("bad_data", f"{_label(source, event['type'])} 的 data 不合法: "
                                        f"{describe(exc.messages)}", exc.messages) from None
    return event


def dump_data(source: str, event_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-ready ``data`` for an event, validated against its schema.

    Accepts Python values (``Decimal``, ``date``) or the wire form. Raises
    ``ContractError('bad_data')`` for data that breaks the contract (including
    keys the schema does not know) and ``TypeError`` for a ``float`` amount.
    """
    schema = data_schema(source, event_type)
    if not isinstance(data, Mapping):
        raise ContractError("bad_data", f"{_label(source, event_type)} 的 data 必须是对象")
    known = schema.fields
    if any(k not in known for k in data):
        errors = {k: ["未知字段"] for k in sorted(str(k) for k in data if k not in known)}
        raise ContractError("bad_data", f"{_label(source, event_type)} 的 data 不合法: "
                                        f"{describe(errors)}", errors)
    try:
        wire = compiled.dumper_for(schema)(data)
        loaded = compiled.load(schema, wire)
    except ValidationError as exc:
        raise ContractError("bad_data", f"{_label(source, event_type)} 的 data 不合法: "
                                        f"{describe(exc.messages)}", exc.messages) from None
    except (ValueError, Invalid) as exc:
        raise ContractError("bad_data", f"{_label(source, event_type)} 的 data 不合法: {exc}"
                            ) from None
    # the loaded form dumped, so optional fields appear (as null) and IDs are
    # normalised — without serialising again what cannot have changed
    return compiled.redump(schema, wire, loaded)


def example_envelope(source: str, event_type: str) -> dict[str, Any]:
    """A valid envelope for one type, deterministic (stable id and time)."""
    cls = schema_class(source, event_type)
    return build_envelope(source, EXAMPLE_DIVISION, event_type, cls.example,
                          event_id=str(uuid.uuid5(_EXAMPLE_NAMESPACE, f"{source}/{event_type}")),
                          time=EXAMPLE_TIME)


def examples() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(source, event_type, example envelope)`` for every type in the catalogue."""
    for source, types in CATALOGUE.items():
        for event_type in types:
            yield source, event_type, example_envelope(source, event_type)


def build_envelope(source: str, division_code: str, event_type: str, data: Mapping[str, Any],
                   event_id: str | None = None, time: datetime | None = None) -> dict[str, Any]:
    """A JSON-ready envelope for an event of ``source``.

    ``data`` (Python values or wire form) is dumped through the type's schema
    and validated, so an event that breaks its contract fails here, at the
    producer, rather than in every consumer (``ContractError('bad_data')``).
    ``event_id`` defaults to a new UUID4; ``time`` to now; a naive ``time``
    raises ``ValueError``. ``time`` is written in the Asia/Shanghai offset.
    """
    if not SOURCE_NAME.fullmatch(source or ""):
        raise ValueError(f"bad source name {source!r}")
    return wrap(source, division_code, event_type, dump_data(source, event_type, data),
                event_id=event_id, time=time)
