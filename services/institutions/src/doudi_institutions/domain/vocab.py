"""Vocabularies of the institution registry (RPC.md lists them for callers)."""

from __future__ import annotations

from doudi_contracts.institutions import (
    CATALOG_CATEGORIES,
    DISCHARGE_REASONS,
    INSPECTION_KINDS,
    INSPECTION_RESULTS,
    LICENCE_KINDS,
    OPERATING_MODELS,
)
from doudi_contracts.vocab import CARE_MODES, INCAPACITY_LEVELS

#: 事业单位 / 民办非企业单位 / 企业
LEGAL_FORMS = ("public_institution", "private_non_enterprise", "enterprise")
#: 特困供养机构(敬老院) / 养老院 / 有床位的乡镇卫生院 / 日间照料中心 / 居村联养点 /
#: 综合养老服务中心 / 居家服务机构
KINDS = ("tekun_home", "care_home", "health_centre_beds", "day_care_centre", "co_housing_site",
         "community_centre", "home_service_provider")
STATUSES = ("preparing", "open", "suspended", "merging", "closed")
#: allowed status changes; closed is final (history kept)
TRANSITIONS = {
    "preparing": {"open", "closed"},
    "open": {"suspended", "merging", "closed"},
    "suspended": {"open", "merging", "closed"},
    "merging": {"open", "closed"},
    "closed": set(),
}
#: staff may add these; medical_insurance comes from that department's events only
STAFF_LICENCE_KINDS = tuple(k for k in LICENCE_KINDS if k != "medical_insurance")
CARE_LEVELS = INCAPACITY_LEVELS
UNITS = ("month", "day", "each")
SEVERITIES = ("minor", "major", "critical")
BED_STATUSES = ("available", "out_of_service")

__all__ = ["BED_STATUSES", "CARE_LEVELS", "CARE_MODES", "CATALOG_CATEGORIES",
           "DISCHARGE_REASONS", "INSPECTION_KINDS", "INSPECTION_RESULTS", "KINDS", "LEGAL_FORMS",
           "LICENCE_KINDS", "OPERATING_MODELS", "SEVERITIES", "STAFF_LICENCE_KINDS", "STATUSES",
           "TRANSITIONS", "UNITS"]

#: institution fields ``update_institution`` may change
UPDATABLE = ("name", "legal_form", "kind", "operating_model", "division_code", "address",
             "operator", "contact_name", "contact_phone", "opened_on")
#: statuses in which an institution still runs (and is inspected)
OPEN_STATES = ("open", "suspended", "merging")
