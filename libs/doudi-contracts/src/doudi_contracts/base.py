"""Base class and shared checks for event ``data`` schemas."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

from marshmallow import RAISE, Schema, ValidationError

#: wire-form example data of an event type
Example = dict[str, Any]


class EventData(Schema):
    """The ``data`` of one event type.

    ``version`` is the contract version of this type (bumped on a breaking
    change); ``example`` is valid wire-form data used in the AsyncAPI document
    and the tests. Unknown fields are refused: a department's misspelt field
    must not vanish silently; a new optional field is added here first.
    """

    version: ClassVar[int] = 1
    example: ClassVar[Example] = {}

    class Meta:
        unknown = RAISE

    error_messages: ClassVar[dict] = {"unknown": "未知字段", "type": "data 必须是 JSON 对象"}


def not_before(data: dict[str, Any], earlier: str, later: str) -> None:
    """Raise on ``data[later] < data[earlier]`` (either may be absent or null)."""
    a, b = data.get(earlier), data.get(later)
    if isinstance(a, (date, str)) and isinstance(b, type(a)) and b < a:
        raise ValidationError(f"不能早于 {earlier}", later)


def exactly_one(data: dict[str, Any], *names: str) -> None:
    present = [n for n in names if data.get(n) is not None]
    if len(present) != 1:
        raise ValidationError(f"{' / '.join(names)} 必须且只能填写一个")
