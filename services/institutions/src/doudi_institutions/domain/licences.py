"""Licence and designation expiry alerts.

Pure: no I/O; the service gathers the facts and calls these."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from doudi_common.errors import Invalid

# -- licences ---------------------------------------------------------------------------


def licence_state(valid_until: date | None, today: date, within_days: int) -> tuple[str,
                                                                                    int] | None:
    """``("expired"|"expiring", days_left)`` or None when no alert is due."""
    if valid_until is None:
        return None
    days_left = (valid_until - today).days
    if days_left < 0:
        return "expired", days_left
    if days_left <= within_days:
        return "expiring", days_left
    return None


def licence_alerts(licence_rows: Iterable[dict[str, Any]],
                   designation_rows: Iterable[dict[str, Any]], today: date,
                   within_days: int) -> list[dict[str, Any]]:
    """Alerts for licences (rows joined with their institution) and signed
    medical-insurance designations expiring within ``within_days`` or expired."""
    out = []
    for r in licence_rows:
        state = licence_state(r["valid_until"], today, within_days)
        if state:
            out.append({"licence_id": r["id"], "uscc": r["uscc"], "name": r["name"],
                        "kind": r["kind"], "number": r["number"],
                        "valid_until": r["valid_until"].isoformat(),
                        "days_left": state[1], "state": state[0],
                        "division_code": r["division_code"],
                        "alerted_until": r["alerted_until"],
                        "institution_id": r["institution_id"]})
    for r in designation_rows:
        state = licence_state(r["valid_until"], today, within_days)
        if state:
            out.append({"licence_id": None, "uscc": r["uscc"], "name": r["name"],
                        "kind": "medical_insurance", "number": r["agreement_no"],
                        "valid_until": r["valid_until"].isoformat(),
                        "days_left": state[1], "state": state[0],
                        "division_code": r["division_code"], "alerted_until": None,
                        "institution_id": r["institution_id"]})
    out.sort(key=lambda a: (a["valid_until"], a["uscc"], a["kind"]))
    return out


def check_licence(kind: str, number: Any, issuer: Any) -> None:
    """Designation agreements come from medical insurance's events, not by hand;
    a licence has a number and an issuer."""
    if kind == "medical_insurance":
        raise Invalid("医保定点协议由医保部门的事件维护", field="kind",
                      reason="from_medical_insurance")
    if not number or not issuer:
        raise Invalid("证照编号和发证机关必填", reason="missing")
