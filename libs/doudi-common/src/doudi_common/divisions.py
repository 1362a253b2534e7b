"""Names of administrative divisions (GB/T 2260) down to the county, from the
address-code table python-stdnum ships (the one ID-number checks use).
Townships (9 digits) and villages (12 digits) are not in GB/T 2260: the
gateway keeps those an administrator registers.

Only codes in use today are named: an entry the table marks as ended
(``[-2015]…``) is history."""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from doudi_common.ids import division_level

_RANGE = re.compile(r"^\[(\d*)-(\d*)\]")
_LINE = re.compile(r'^(\s*)(\d+) (\w+)="([^"]*)"')


@lru_cache(maxsize=1)
def official() -> dict[str, str]:
    """6-digit code → current name (provinces, prefecture-level cities, counties)."""
    text = resources.files("stdnum").joinpath("cn/loc.dat").read_text(encoding="utf-8")
    names: dict[str, str] = {}
    province = ""
    for line in text.splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        indent, code, _kind, name = match.groups()
        if not indent:
            province = code
            names[f"{code}0000"] = name
            continue
        full = province + code
        ended = _RANGE.match(name)
        if ended and ended.group(2):
            continue  # a name that is no longer in use
        names[full] = _RANGE.sub("", name)
    return names


def level(code: str) -> str:
    """``province``, ``city``, ``county``, ``township`` or ``village``."""
    return str(division_level(code))


def parent_of(code: str) -> str | None:
    kind = level(code)
    if kind == "province":
        return None
    if kind == "city":
        return code[:2] + "0000"
    if kind == "county":
        city = code[:4] + "00"
        return city if city in official() else code[:2] + "0000"
    return code[:6] if kind == "township" else code[:9]


def official_name(code: str) -> str | None:
    return official().get(code) if len(code) == 6 else None


def official_children(code: str) -> list[tuple[str, str]]:
    """The named divisions directly under a province or city (6-digit codes)."""
    names = official()
    kind = level(code)
    if kind == "province":
        return sorted((c, n) for c, n in names.items()
                      if c[:2] == code[:2] and c != code and parent_of(c) == code)
    if kind == "city":
        return sorted((c, n) for c, n in names.items()
                      if c[:4] == code[:4] and c != code and not c.endswith("00"))
    return []
