"""hangzhou-2024 §五(二): the management fee per centralised tekun person (pure)."""

from decimal import Decimal

from doudi_funding.domain.fees import FeeCase, management_fees, monthly_share


def test_the_twelve_monthly_shares_add_up_to_the_year():
    assert sum(monthly_share(Decimal("1000.00"), f"2026-{m:02d}") for m in range(1, 13)) == 100000
    assert monthly_share(Decimal("0"), "2026-03") == 0


def test_hangzhou_2024_s5_2_only_centralised_tekun_by_their_township():
    cases = [
        FeeCase("centralized", ("tekun",), "330102001", "INST-A", 31, 31),
        FeeCase("centralized", ("tekun", "dibao"), "330102001", "INST-A", 15, 31),
        FeeCase("centralized", ("dibao",), "330102001", "INST-A", 31, 31),   # not tekun
        FeeCase("neighbor", ("tekun",), "330102001", None, 31, 31),          # not centralised
        FeeCase("centralized", ("tekun",), "330102002", "INST-A", 31, 31),   # another township
        FeeCase("centralized", ("tekun",), "330102002", "INST-B", 0, 31),    # no day in care
    ]
    owed = management_fees(10000, cases)
    assert owed == {("330102001", "INST-A"): 10000 + 4839, ("330102002", "INST-A"): 10000}
    assert management_fees(0, cases) == {}
