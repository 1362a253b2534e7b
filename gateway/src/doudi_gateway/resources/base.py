"""Shared pieces of the REST routes: path arguments and list scoping (the
fields and base schemas are in ``doudi_gateway.schemas.fields``)."""

from __future__ import annotations

from doudi_common.ids import (
    division_prefix,
    validate_id_number,
    validate_uscc,
)
from doudi_common.serialize import to_jsonable

from doudi_gateway.web import principal


def path_id_number(value: str) -> str:
    """An ID number in a path — or a person's sealed reference from a list
    (``p.…``, ``doudi_gateway.person_refs``), which names nobody else."""
    from doudi_common.errors import NotFound
    from flask import current_app

    from doudi_gateway.person_refs import PREFIX

    if value.startswith(PREFIX):
        opened = current_app.extensions["doudi_person_refs"].open(value)
        if opened is None:
            raise NotFound("未找到该人员", resource="人员")
        return opened
    return validate_id_number(value)


def path_uscc(value: str) -> str:
    return validate_uscc(value)


NOTHING = object()


def scoped_division(requested: str | None):
    """The division filter for a list: the caller's jurisdiction narrowed by the
    requested code. ``None`` = everything; ``NOTHING`` = disjoint (empty list)."""
    mine = principal().jurisdiction
    if not requested:
        return mine or None
    want = division_prefix(requested)
    have = division_prefix(mine) if mine else ""
    if want.startswith(have):
        return requested
    if have.startswith(want):
        return mine
    return NOTHING


def empty_page(args: dict) -> dict:
    return {"items": [], "page": args.get("page", 1), "per_page": args.get("per_page", 20),
            "total": 0}


def page_from(reply: dict, args: dict) -> dict:
    """Services name the page size differently; answer one shape."""
    return {"items": reply.get("items", []), "page": reply.get("page", args.get("page", 1)),
            "per_page": reply.get("per_page", reply.get("page_size", args.get("per_page", 20))),
            "total": reply.get("total", len(reply.get("items", [])))}


def every_page(fetch, per_page: int = 500) -> list:
    """All the items of a paged RPC (``fetch(page, per_page)`` → ``{items, total}``),
    for a report that lists them all."""
    rows, page = [], 1
    while True:
        reply = fetch(page, per_page)
        rows += reply["items"]
        if len(rows) >= reply["total"] or not reply["items"]:
            return rows
        page += 1


def iso(value):
    return value.isoformat() if value is not None else None


def jsonable(body: dict) -> dict:
    """A request body with dates and decimals as the services take them."""
    return to_jsonable(body)
