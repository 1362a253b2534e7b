"""One paging contract for every list the suite answers, services and gateway
alike: ``page`` (from 1) and ``per_page`` (1 to ``MAX_PER_PAGE``); anything else
is refused with one error (``Invalid``, field ``page`` or ``per_page``, reason
``bad_paging``) — never silently capped. A page answers
``{"items", "page", "per_page", "total"}``.

Pure: no I/O. ``doudi_common.sqlpage.fetch_page`` runs a query for one page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

from doudi_common.errors import Invalid

MAX_PER_PAGE = 500
DEFAULT_PER_PAGE = 50
#: a page number beyond this is certainly a mistake (and an offset a database
#: would walk for nothing)
MAX_PAGE = 100_000


class Page(TypedDict):
    items: list[Any]
    page: int
    per_page: int
    total: int


def page_args(page: Any = 1, per_page: Any = DEFAULT_PER_PAGE) -> tuple[int, int]:
    """``(page, per_page)`` as checked integers; ``None`` means the default."""
    checked = []
    for value, name, default, top in ((page, "page", 1, MAX_PAGE),
                                      (per_page, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)):
        if value is None:
            value = default
        if isinstance(value, bool):
            raise _bad(name, top)
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise _bad(name, top) from None
        if number != value and not (isinstance(value, str) and value.strip().isdigit()):
            raise _bad(name, top)
        if not 1 <= number <= top:
            raise _bad(name, top)
        checked.append(number)
    return checked[0], checked[1]


def _bad(name: str, top: int) -> Invalid:
    return Invalid(f"{name} 应为 1–{top} 之间的整数", field=name, reason="bad_paging")


def offset_of(page: int, per_page: int) -> int:
    return (page - 1) * per_page


def page_of(items: Sequence[Any], page: int, per_page: int, total: int | None = None) -> Page:
    """A page answer; ``items`` already the page's rows when ``total`` is given,
    else the whole list (sliced here)."""
    if total is None:
        start = offset_of(page, per_page)
        return {"items": list(items[start:start + per_page]), "page": page,
                "per_page": per_page, "total": len(items)}
    return {"items": list(items), "page": page, "per_page": per_page, "total": total}
