from datetime import date
from decimal import Decimal

import pytest
from doudi_common.errors import Conflict, Invalid
from doudi_institutions import policy
from doudi_institutions.domain import admission as admission_rules
from doudi_institutions.domain import catalogue as catalogue_rules
from doudi_institutions.domain import inspections as inspections_rules
from doudi_institutions.domain import licences as licences_rules
from doudi_institutions.domain import registry as registry_rules
from doudi_institutions.domain.admission import AdmissionFacts


def facts(**kw):
    base = {"institution_status": "open", "has_open_placement": False, "infection_open": False,
            "free_beds": 1, "infection_block_clause": "luan-2021 §三(七)"}
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
        admission_rules.check_admission(facts(infection_open=True, infection_block_clause=(
            admission_rules.infection_clause(policy.rules_for(county)))))
    assert exc.value.fields["clause"] == clause


@pytest.mark.parametrize("county", ["330106", "620102"])
def test_where_no_rule_keeps_an_infected_person_out_they_are_admitted(county):
    """hangzhou-2024 §三(一) 应收尽收; lanzhou-2021 sets no such rule."""
    assert admission_rules.infection_clause(policy.rules_for(county)) is None
    admission_rules.check_admission(facts(infection_open=True, infection_block_clause=None))


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
    def clause(county):
        return admission_rules.admission_policy(policy.rules_for(county))[
            "infection_block_clause"]

    assert clause("410928") == "puyang-2020 §四(四)"
    assert clause("360104") == "qingyunpu-2021 §四(三)2"
    assert clause("341502") == "luan-2021 §三(七)"
    assert clause("330106") is None  # 应收尽收
    assert clause("620102") is None
    assert clause("110101") is None  # no pack: no rule
    assert "无传染疾病" in admission_rules.admission_policy(
        policy.rules_for("410928"))["infection_block_wording"]


def _duty(kind="co_housing_site", households=5, posts=0, county="410928"):
    rule = admission_rules.co_housing_post_rule(kind, policy.rules_for(county))
    return None if rule is None else admission_rules.co_housing_post_duty(rule, households,
                                                                          posts)


def test_puyang_2020_s4_3_co_housing_site_of_5_households_needs_a_public_welfare_post():
    """puyang-2020 §四(三) 对入住5户以上的联养点，乡镇政府负责协调配置1名公益岗 —
    "5户以上" read as five included."""
    duty = _duty(households=5, posts=0)
    assert (duty["required_posts"], duty["met"], duty["arranged_by"]) == (1, False, "township")
    assert duty["clause"] == "puyang-2020 §四(三)" and "公益岗" in duty["wording"]
    assert _duty(households=6, posts=1)["met"] is True
    below = _duty(households=4, posts=0)
    assert (below["required_posts"], below["met"]) == (0, True)


def test_the_co_housing_post_is_puyang_2020s_rule_for_co_housing_sites_only():
    assert _duty(kind="care_home", households=20) is None
    for county in ("341502", "330106", "620102", "360104", "110101"):
        assert _duty(county=county, households=20) is None, county


def test_institution_rules_are_read_from_the_pack():
    """The rules are data in the jurisdiction's one pack: a pack that sets another
    threshold changes the duty without code."""
    from doudi_contracts import policy as packs

    doc = packs.load("puyang-2020")
    doc["institutions"]["co_housing_post"]["min_households"] = 8
    rules = admission_rules.rules_from(doc)
    rule = admission_rules.co_housing_post_rule("co_housing_site", rules)
    assert admission_rules.co_housing_post_duty(rule, 7, 0)[
        "required_posts"] == 0
    doc["institutions"]["co_housing_post"].pop("posts")
    with pytest.raises(Invalid) as exc:
        admission_rules.rules_from(doc)
    assert exc.value.fields["reason"] == "bad_pack"
