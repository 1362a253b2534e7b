"""Test helpers for institutions (test data only): valid USCCs and a small open
home with beds and a priced catalogue, through the real RPC surface."""

from __future__ import annotations

from datetime import date

from stdnum.cn import uscc as _uscc

TODAY = date(2026, 3, 2)

def make_uscc(n: int, region: str = "341502", prefix: str = "12") -> str:
    """A valid unified social credit code (test data only)."""
    base = f"{prefix}{region}MB{n:07d}"
    return base + _uscc.calc_check_digit(base + "0")


def open_home(rpc, n: int = 1, beds: int = 2, division: str = "341502001", grade: int | None = None,
              kind: str = "tekun_home", room_type: str = "double", prices: bool = True) -> str:
    """Register an open home with one room of ``beds`` beds (and a priced catalogue)."""
    code = make_uscc(n, region=division[:6])
    rpc.register_institution(
        uscc=code, name=f"测试敬老院{n}", legal_form="public_institution", kind=kind,
        operating_model="public_built_private_run", division_code=division,
        opened_on="2026-01-01", status="open")
    if beds:
        rpc.add_room(uscc=code, room_no=f"{n}-101", room_type=room_type,
                     beds=[f"{n}-101-{i}" for i in range(1, beds + 1)])
    if grade:
        rpc.set_grade(uscc=code, grade=grade, assessed_on="2026-02-01")
    if prices:
        rpc.add_catalog_item(uscc=code, code="bed-double", category="bed", name="双人间床位",
                             unit="month", price="800.00", effective_from=TODAY.isoformat(),
                             room_type="double")
        rpc.add_catalog_item(uscc=code, code="nursing-full", category="nursing",
                             name="失能护理", unit="month", price="1200.00",
                             effective_from=TODAY.isoformat(), care_level="full")
        rpc.add_catalog_item(uscc=code, code="meals", category="meals", name="膳食",
                             unit="month", price="650.00", effective_from=TODAY.isoformat())
    return code
