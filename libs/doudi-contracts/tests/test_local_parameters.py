"""Local parameters: one place for the figures a document leaves to the county."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from doudi_contracts import local_parameters as lp


def test_each_parameter_cites_its_clause_and_who_sets_it():
    for pack, params in lp.LOCAL_PARAMETERS.items():
        for name, entry in params.items():
            assert entry["clause"].startswith(f"{pack} §"), name
            assert entry["set_by"] and entry["wording"] and entry["versions"], name


def test_the_version_in_force_on_a_date(monkeypatch):
    entry = lp.parameter("luan-2021", "copay_bands")
    later = {"effective_from": date(2027, 1, 1), "bands": [
        {"band": "A", "max_income": "800.00", "share": "0.00"},
        {"band": "B", "max_income": None, "share": "0.15"}]}
    monkeypatch.setitem(entry, "versions", [*entry["versions"], later])
    assert lp.band_for(lp.copay_bands("luan-2021", date(2026, 12, 31)), "700").share == \
        Decimal("0.10")
    assert lp.band_for(lp.copay_bands("luan-2021", date(2027, 1, 1)), "700").share == \
        Decimal("0.00")
    assert lp.copay_bands("luan-2021")[-1].share == Decimal("0.15")  # the latest


@pytest.mark.parametrize(("income", "band"), [("0", "A"), ("500.00", "A"), ("500.01", "B"),
                                               ("2000", "C"), ("2000.01", "D")])
def test_upper_bounds_are_inclusive(income, band):
    assert lp.band_for(lp.copay_bands("luan-2021"), income).band == band


def test_a_document_without_family_payment_has_no_bands():
    assert lp.copay_bands("puyang-2020") == ()
    assert lp.band_for((), "100") is None
