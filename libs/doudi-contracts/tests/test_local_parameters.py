"""Local parameters: one place (the pack's ``parameters`` part) for the figures a
document leaves to the county, read by every service that needs them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from doudi_contracts import local_parameters as lp
from doudi_contracts import policy


def test_each_parameter_cites_its_clause_and_who_sets_it():
    seen = 0
    for pack in policy.PACK_IDS:
        for name, entry in policy.part(pack, "parameters").items():
            seen += 1
            assert entry["clause"].startswith(f"{pack} §"), name
            assert entry["set_by"] and entry["wording"] and entry["versions"], name
    assert seen >= 1


def test_the_version_in_force_on_a_date():
    entry = policy.parameter("luan-2021", "copay_bands")
    entry["versions"].append({"effective_from": date(2027, 1, 1), "bands": [
        {"band": "A", "max_income": "800.00", "share": "0.00"},
        {"band": "B", "max_income": None, "share": "0.15"}]})
    assert lp.band_for(lp.copay_bands(entry, date(2026, 12, 31)), "700").share == \
        Decimal("0.10")
    assert lp.band_for(lp.copay_bands(entry, date(2027, 1, 1)), "700").share == \
        Decimal("0.00")
    assert lp.copay_bands(entry)[-1].share == Decimal("0.15")  # the latest
    # the entry handed out is a copy: the shipped pack is unchanged
    assert len(policy.parameter("luan-2021", "copay_bands")["versions"]) == 1


@pytest.mark.parametrize(("income", "band"), [("0", "A"), ("500.00", "A"), ("500.01", "B"),
                                               ("2000", "C"), ("2000.01", "D")])
def test_upper_bounds_are_inclusive(income, band):
    bands = lp.copay_bands(policy.parameter("luan-2021", "copay_bands"))
    assert lp.band_for(bands, income).band == band


def test_a_document_without_family_payment_has_no_bands():
    assert policy.parameter("puyang-2020", "copay_bands") is None
    assert lp.copay_bands(policy.parameter("puyang-2020", "copay_bands")) == ()
    assert lp.band_for((), "100") is None
