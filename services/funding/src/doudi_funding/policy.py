"""Funding's part of the jurisdictions' policy packs (doudi_contracts.policy:
one versioned file per document), read once per process: ``PACKS``,
``pack_for(division)`` and ``pack_named(id)``."""

from __future__ import annotations

from doudi_contracts import policy

from doudi_funding.domain.packs import FundingPack, funding_pack_from, pack_in

PACKS: tuple[FundingPack, ...] = tuple(funding_pack_from(policy.load(pack_id))
                                       for pack_id in policy.PACK_IDS)

#: counties under no pilot document settle by luan-2021's four channels
DEFAULT_PACK = PACKS[0]


def pack_for(division_code: str) -> FundingPack:
    return pack_in(PACKS, division_code)


def pack_named(name: str) -> FundingPack | None:
    return next((p for p in PACKS if p.name == name), None)
