"""Controlled vocabularies shared by several event types (DOMAIN.md glossary),
taken from ``doudi_contracts.vocabularies`` — the one place a code gets its
Chinese label."""

from __future__ import annotations

from doudi_contracts.vocabularies import codes

#: 集中 / 居家邻里 / 日间照料 / 居村联养 / 居家上门 / 家庭养老床位 / 分散供养
CARE_MODES = codes("care_modes")

#: hardship categories that ground eligibility
HARDSHIP = codes("hardship")

INCAPACITY_LEVELS = codes("incapacity_levels")

#: qingyunpu-2021 §四(三) 18 items (daily care 7, health care 6, capability 5),
#: plus lanzhou-2021 §四(三) walking help and bathing, and a regular visit.
SERVICE_ITEMS = codes("service_items")
