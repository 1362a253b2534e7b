from datetime import date
from decimal import Decimal

import pytest
from doudi_common.errors import Conflict, Invalid
from doudi_institutions.domain import admission as admission_rules
from doudi_institutions.domain import catalogue as catalogue_rules
from doudi_institutions.domain import inspections as inspections_rules
from doudi_institutions.domain import licences as licences_rules
from doudi_institutions.domain import registry as registry_rules
from doudi_institutions.domain.admission import AdmissionFacts


def facts(**kw):
    base = {"institution_status": "open", "has_open_placement": False, "infection_open": False,
            "free_beds": 1, "county_code": "341502"}
    return AdmissionFacts(**{**base, **kw})


def test_admission_allowed():
    admission_rules.check_admission(facts())


@pytest.mark.parametrize("kw, reason", [
    ({"institution_status": "suspended"}, "institution_not_open"),
    ({"has_open_placement": True}, "already_placed"),
    ({"infection_open": True}, "infection_open"),
    ({"free_beds": 0}, "no_free_bed"),
])
def test_admission_refused(kw, reason):
    with pytest.raises(Conflict) as exc:
        admission_rules.check_admission(facts(**kw))
    assert exc.value.fields["reason"] == reason


@pytest.mark.parametrize(("county", "clause"), [
    ("341502", "luan-2021 §三(七)"), ("410928", "puyang-2020 §四(四)"),
    ("360104", "qingyunpu-2021 §四(三)2")])
def test_an_infection_refusal_cites_the_jurisdictions_own_rule(county, clause):
    """issue 17 item 12: each jurisdiction's rule, not puyang's for every county."""
    with pytest.raises(Conflict) as exc:
        admission_rules.check_admission(facts(infection_open=True, county_code=county))
    assert exc.value.fields["clause"] == clause


@pytest.mark.parametrize("county", ["330106", "620102"])
def test_where_no_rule_keeps_an_infected_person_out_they_are_admitted(county):
    """hangzhou-2024 §三(一) 应收尽收; lanzhou-2021 sets no such rule."""
    admission_rules.check_admission(facts(infection_open=True, county_code=county))


@pytest.mark.parametrize("given", [None, False])
def test_transfer_needs_consent(given):
    with pytest.raises(Conflict) as exc:
        admission_rules.check_transfer_consent(given)
    assert exc.value.fields["reason"] == "no_consent"
    admission_rules.check_transfer_consent(True)


def test_price_never_retroactive():
    today = date(2026, 3, 2)
    with pytest.raises(Invalid) as exc:
        catalogue_rules.check_new_price(date(2026, 3, 1), today, [])
    assert exc.value.fields["reason"] == "retroactive"
    catalogue_rules.check_new_price(today, today, [])
    with pytest.raises(Conflict):
        catalogue_rules.check_new_price(date(2026, 4, 1), today, [date(2026, 4, 1)])


def test_price_on_picks_latest_effective():
    prices = [(date(2026, 1, 1), Decimal("100.00")), (date(2026, 4, 1), Decimal("120.00"))]
    assert catalogue_rules.price_on(prices, date(2025, 12, 31)) is None
    assert catalogue_rules.price_on(prices, date(2026, 3, 31)) == Decimal("100.00")
    assert catalogue_rules.price_on(prices, date(2026, 4, 1)) == Decimal("120.00")


def test_price_refuses_float_and_negative():
    with pytest.raises(Invalid):
        catalogue_rules.check_price(1.5)
    with pytest.raises(Invalid):
        catalogue_rules.check_price("-1")
    assert catalogue_rules.check_price("12.5") == Decimal("12.50")


def test_licence_state():
    today = date(2026, 3, 2)
    assert licences_rules.licence_state(None, today, 60) is None
    assert licences_rules.licence_state(date(2026, 12, 31), today, 60) is None
    assert licences_rules.licence_state(date(2026, 4, 1), today, 60) == ("expiring", 30)
    assert licences_rules.licence_state(date(2026, 3, 1), today, 60) == ("expired", -1)


def test_schedule_monthly_and_yearly():
    assert inspections_rules.due_on("fire_safety", date(2026, 1, 31), date(2025, 1,
                                                                           1)) == date(2026, 2, 28)
    assert inspections_rules.due_on("food_safety", None, date(2026, 1, 15)) == date(2026, 2, 15)
    assert inspections_rules.due_on("fund_policy", date(2025, 6, 1), date(2020, 1,
                                                                          1)) == date(2026, 6, 1)
    assert inspections_rules.is_overdue(date(2026, 2, 28), date(2026, 3, 1))
    assert not inspections_rules.is_overdue(date(2026, 2, 28), date(2026, 2, 28))


def test_status_transitions():
    registry_rules.check_transition("preparing", "open")
    with pytest.raises(Conflict):
        registry_rules.check_transition("closed", "open")
    with pytest.raises(Conflict):
        registry_rules.check_transition("open", "open")


@pytest.mark.parametrize("grade", [0, 6, "3", True, None])
def test_grade_range(grade):
    with pytest.raises(Invalid):
        registry_rules.check_grade(grade)


def test_admission_policy_names_each_jurisdictions_own_clause():
    """Shown with the jurisdiction's policy pack (GET /api/v1/policy-packs/{id})."""
    from doudi_institutions.domain.admission import admission_policy

    assert admission_policy("410928") == {"infection_block_clause": "puyang-2020 §四(四)"}
    assert admission_policy("360104") == {"infection_block_clause": "qingyunpu-2021 §四(三)2"}
    assert admission_policy("341502") == {"infection_block_clause": "luan-2021 §三(七)"}
    assert admission_policy("330106") == {"infection_block_clause": None}  # 应收尽收
    assert admission_policy("620102") == {"infection_block_clause": None}
