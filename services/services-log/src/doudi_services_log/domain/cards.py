"""Rules of a service card's life that events drive.

Pure: no storage, no framework."""

from __future__ import annotations

from typing import Any


def care_mode_change(status: str, previous: str, new: str) -> tuple[dict[str, Any], str]:
    """What a change of care mode does to the card: the new mode is recorded;
    a move into or out of centralised care suspends an active card until a new
    needs assessment (qingyunpu-2021 §五5: status changes change or stop the
    services). Returns the card's new values and the history action."""
    values: dict[str, Any] = {"care_mode": new}
    moved = (new == "centralized") != (previous == "centralized")
    if moved and status == "active":
        values.update(status="suspended",
                      suspended_reason=f"照护方式由 {previous} 变更为 {new}，待重新评估")
        return values, "suspended"
    return values, "enrolment_changed"
