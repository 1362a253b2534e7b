"""The rules for money outside the monthly settlement (domain/funds.py)."""

from decimal import Decimal

import pytest
from doudi_common.errors import Conflict, Invalid
from doudi_funding.domain import funds
from doudi_funding.store.payouts import PAYEE

USCC = "91341500MA2N0X0X0X"


@pytest.mark.parametrize(("earmark", "uscc", "reason"), [
    ("church", None, "bad_earmark"),
    ("institution", None, "institution_required"),
    ("county", USCC, "bad_earmark"),
    ("centralized", USCC, "bad_earmark"),
])
def test_a_donation_earmark_names_an_institution_only_when_it_is_for_one(earmark, uscc, reason):
    with pytest.raises(Invalid) as err:
        funds.check_earmark(earmark, uscc)
    assert err.value.fields["reason"] == reason


@pytest.mark.parametrize(("earmark", "uscc"), [("county", None), ("centralized", None),
                                               ("institution", USCC)])
def test_valid_earmarks_pass(earmark, uscc):
    funds.check_earmark(earmark, uscc)


def test_only_a_county_donation_is_unrestricted():
    assert funds.restricted_to("county") is None
    assert funds.restricted_to("institution") == "centralized"


def test_donor_names_are_text_of_at_most_100_characters():
    funds.check_donor_name(None)
    funds.check_donor_name("某" * 100)
    for bad in ("某" * 101, 12):
        with pytest.raises(Invalid):
            funds.check_donor_name(bad)


def test_donation_numbers_follow_the_county_sequence():
    assert funds.donation_numbers("341502", 2026, "20260315", 7) == (
        "DN-341502-2026-00007", "RC-341502-20260315-00007")


def test_top_up_sources_are_the_three_department_funds():
    funds.check_topup_source("cdpf")
    with pytest.raises(Invalid):
        funds.check_topup_source("lottery")


def test_pilot_purposes_default_to_service_subsidies_and_reject_unknown_ones():
    assert funds.pilot_purposes(None) == ["service_subsidy"]
    assert funds.pilot_purposes(["care_fee"]) == ["care_fee"]
    for bad in (["bonus"], "care_fee"):
        with pytest.raises(Invalid) as err:
            funds.pilot_purposes(bad)
        assert err.value.fields["reason"] == "bad_purposes"


def test_the_purposes_of_a_special_account_cannot_change():
    funds.check_purposes_unchanged("care_fee,service_subsidy", ["service_subsidy", "care_fee"])
    with pytest.raises(Conflict) as err:
        funds.check_purposes_unchanged("service_subsidy", ["care_fee"])
    assert err.value.fields["reason"] == "purposes_fixed"


@pytest.mark.parametrize(("purpose", "payee_kind", "kind"), [
    ("service_subsidy", "provider", "service_subsidy"),
    ("service_subsidy", "caregiver", "service_subsidy_person"),
    ("care_fee", "institution", "care_fee"),
    ("living_money", "caregiver", "living_money"),
])
def test_spending_lands_on_the_payable_of_its_purpose_and_payee(purpose, payee_kind, kind):
    assert funds.payable_kind(purpose, payee_kind, PAYEE) == kind


@pytest.mark.parametrize(("purpose", "payee_kind", "reason"), [
    ("party", "provider", "bad_purpose"),
    ("care_fee", "friend", "bad_payee_kind"),
])
def test_spending_with_an_unknown_purpose_or_payee_is_refused(purpose, payee_kind, reason):
    with pytest.raises(Invalid) as err:
        funds.payable_kind(purpose, payee_kind, PAYEE)
    assert err.value.fields["reason"] == reason


def test_spending_to_a_payable_funding_cannot_pay_out_is_refused():
    with pytest.raises(Invalid) as err:
        funds.payable_kind("caregiver_subsidy", "provider", {"care_fee": PAYEE["care_fee"]})
    assert err.value.fields["reason"] == "bad_payee_kind"


def test_a_pilot_account_cannot_pay_more_than_it_holds():
    funds.check_special_balance("pilot", 10_000, 10_000)
    funds.check_special_balance("topup", 0, 10_000)  # only the special account is capped
    with pytest.raises(Conflict) as err:
        funds.check_special_balance("pilot", 9_999, 10_000)
    assert err.value.fields["reason"] == "insufficient_funds"


def test_per_capita_income_is_rounded_to_the_fen():
    assert funds.per_capita_income(3, Decimal("1000.00")) == Decimal("333.33")
    for size in (0, True, "3"):
        with pytest.raises(Invalid) as err:
            funds.per_capita_income(size, Decimal("1"))
        assert err.value.fields["reason"] == "bad_household_size"
    with pytest.raises(Invalid):
        funds.per_capita_income(2, Decimal("-1"))


def test_a_period_cannot_end_before_it_starts_and_nobody_cares_for_themselves():
    funds.check_period("2026-03", None)
    funds.check_period("2026-03", "2026-03")
    with pytest.raises(Invalid):
        funds.check_period("2026-03", "2026-02")
    with pytest.raises(Invalid):
        funds.check_caregiver("x", "x")


def test_a_new_caregiver_takes_over_only_after_the_current_one_started():
    from datetime import date

    funds.check_caregiver_change(date(2026, 3, 1), date(2026, 3, 2))
    for too_early in (date(2026, 3, 1), date(2026, 2, 1)):
        with pytest.raises(Conflict) as err:
            funds.check_caregiver_change(date(2026, 3, 1), too_early)
        assert err.value.fields["reason"] == "caregiver_change_too_early"
