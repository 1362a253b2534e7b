"""Rules of rooms and beds: a room has a number, a type and beds, each bed
number once; an occupied bed is not taken out of service or given again.

Pure: no I/O; the service gathers the facts and calls these."""

from __future__ import annotations

from typing import Any

from doudi_common.errors import Conflict, Invalid


def check_room(room_no: Any, room_type: Any, bed_nos: list[Any]) -> None:
    if not room_no or not room_type or not bed_nos:
        raise Invalid("房间号、房型和床位号必填", reason="missing")
    if len(set(bed_nos)) != len(bed_nos):
        raise Invalid("床位号重复", field="beds", reason="duplicate")


def check_room_free(taken: bool, room_no: Any) -> None:
    if taken:
        raise Conflict("房间号已存在", reason="exists", room_no=room_no)


def check_beds_free(taken: list[Any]) -> None:
    if taken:
        raise Conflict("床位号已存在", reason="exists", beds=sorted(taken))


def check_can_take_out_of_service(occupied: bool, status: str) -> None:
    if occupied and status == "out_of_service":
        raise Conflict("床位有人入住，不能停用", reason="occupied")


def check_bed_available(occupied: bool, out_of_service: bool, bed_no: Any) -> None:
    if occupied or out_of_service:
        raise Conflict("该床位不可用", reason="bed_taken", bed_no=bed_no)
