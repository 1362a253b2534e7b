"""services-log's part of the jurisdictions' policy packs (doudi_contracts.policy:
one versioned file per document), read once per process: the service item
catalogues by jurisdiction code, ``jurisdiction_for(division)`` and
``require_jurisdiction(code)``."""

from __future__ import annotations

from doudi_contracts import policy

from doudi_services_log.domain.catalogue import Jurisdiction, jurisdiction_from, known, territory_of

JURISDICTIONS: dict[str, Jurisdiction] = {
    j.code: j for j in (jurisdiction_from(policy.load(p)) for p in policy.PACK_IDS)
    if j is not None}


def jurisdiction_for(division_code: str) -> Jurisdiction | None:
    """The jurisdiction whose territory contains ``division_code`` (longest prefix)."""
    return territory_of(JURISDICTIONS, division_code)


def require_jurisdiction(code: str) -> Jurisdiction:
    return known(JURISDICTIONS, code)
