"""Controlled vocabularies shared by several event types (DOMAIN.md glossary)."""

from __future__ import annotations

#: 集中 / 居家邻里 / 日间照料 / 居村联养 / 居家上门 / 家庭养老床位 / 分散供养
CARE_MODES = ("centralized", "neighbor", "day_care", "co_housing", "home_visit", "family_bed",
              "dispersed")

#: hardship categories that ground eligibility
HARDSHIP = ("tekun", "dibao", "low_income", "registered_poor", "expenditure_poor", "fp_special",
            "unsupported_child", "orphan", "child_in_difficulty", "stranded")

INCAPACITY_LEVELS = ("none", "partial", "full")

#: qingyunpu-2021 §四(三) 18 items (daily care 7, health care 6, capability 5),
#: plus lanzhou-2021 §四(三) walking help and bathing, and a regular visit.
SERVICE_ITEMS = (
    # daily care
    "meals", "home_care", "day_care", "cleaning", "shopping", "appliance_repair",
    "personal_care",
    # health care
    "family_sickbed", "medical_nursing", "medical_escort", "rehabilitation",
    "medicine_delivery", "counselling",
    # capability
    "information", "skills", "social_integration", "health_talk", "community_clinic",
    # lanzhou home services not in the list above
    "walking_help", "bathing",
    # regular visit to a special-hardship person
    "visit",
)
