"""Helpers the store modules share."""

from __future__ import annotations

from doudi_common.ids import division_prefix

from doudi_institutions.models import (
    institutions,
)


def in_division(query, division_code):
    if division_code:
        query = query.where(institutions.c.division_code.startswith(
            division_prefix(division_code), autoescape=True))
    return query
