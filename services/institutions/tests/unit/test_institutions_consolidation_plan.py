from doudi_institutions.domain.consolidation import Resident, Site, closeness, plan


def site(n, grade, capacity=20, occupied=5, division="341502001"):
    return Site(f"U{n}", f"院{n}", division, grade, capacity, occupied)


def test_county_within_rules_is_not_flagged():
    result = plan("341502", [site(1, 3), site(2, 4)], [])
    assert not result.flagged
    assert result.merges == []


def test_five_homes_two_below_grade_3_end_with_three():
    sites = [site(1, 3), site(2, 4), site(3, 5, occupied=10), site(4, 2), site(5, 1)]
    residents = [Resident(f"P{i}", "U4") for i in range(3)] + [Resident("P9", "U5")]
    result = plan("341502", sites, residents)
    assert result.flagged and len(result.reasons) == 2
    assert sorted(result.keep) == ["U1", "U2", "U3"]
    assert {m.source_uscc for m in result.merges} == {"U4", "U5"}
    assert all(m.target_uscc in result.keep for m in result.merges)
    assert sum(len(m.residents) for m in result.merges) == 4
    assert result.unplaced == [] and result.feasible


def test_too_many_homes_keep_the_best_three():
    sites = [site(i, 3 + (i % 3)) for i in range(1, 6)]
    result = plan("341502", sites, [])
    assert len(result.keep) == 3
    assert {s.uscc for s in sites if s.grade == 5} <= set(result.keep)


def test_target_nearest_by_division():
    a = site(1, 4, division="341502001")
    b = site(2, 4, division="341502002")
    src = site(3, 1, division="341502002")
    result = plan("341502", [a, b, src], [Resident("P1", "U3")])
    assert result.merges[0].target_uscc == "U2"
    assert closeness("341502002", "341502002") == 9


def test_no_room_lists_unplaced():
    keep = site(1, 3, capacity=2, occupied=1)
    src = site(2, 1)
    residents = [Resident("P1", "U2"), Resident("P2", "U2")]
    result = plan("341502", [keep, src], residents)
    assert len(result.unplaced) == 1 and not result.feasible


def test_no_home_at_grade_3_is_infeasible():
    result = plan("341502", [site(1, 2), site(2, 1)], [Resident("P1", "U1")])
    assert result.flagged and not result.feasible and result.keep == []
