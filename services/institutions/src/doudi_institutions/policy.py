"""Institutions' part of the jurisdictions' policy packs (doudi_contracts.policy:
one versioned file per document), read once per process: ``RULES`` and
``rules_for(county_code)``."""

from __future__ import annotations

from doudi_contracts import policy

from doudi_institutions.domain.admission import InstitutionRules, rules_from, rules_in

RULES: tuple[InstitutionRules, ...] = tuple(rules_from(policy.load(p)) for p in policy.PACK_IDS)


def rules_for(county_code: str) -> InstitutionRules | None:
    """The rules of the jurisdiction holding ``county_code`` (None: no pack there)."""
    return rules_in(RULES, county_code)
