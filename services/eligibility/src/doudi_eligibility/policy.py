"""Eligibility's part of the jurisdictions' policy packs (doudi_contracts.policy:
one versioned file per document): ``load_pack(name)`` and ``default_registry()``.
The ``eligibility`` part is read with the pack's header and its ``parameters``
(the co-payment bands eligibility applies at the income review)."""

from __future__ import annotations

from typing import Any

from doudi_contracts import policy

from doudi_eligibility.domain.packs import Pack, PackRegistry, pack_from_data

PACK_FILES = policy.PACK_IDS


def pack_data(doc: dict[str, Any]) -> dict[str, Any]:
    """The data eligibility builds its pack from: header, eligibility part, parameters."""
    return {**{k: doc[k] for k in policy.HEADER}, **(doc.get("eligibility") or {}),
            "parameters": doc.get("parameters") or {}}


def load_pack(name: str) -> Pack:
    return pack_from_data(pack_data(policy.load(name)))


def default_registry() -> PackRegistry:
    return PackRegistry([load_pack(name) for name in PACK_FILES])
