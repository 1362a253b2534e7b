from doudi_institutions.domain.consolidation import Resident, Site, closeness, plan
from hypothesis import given, settings
from hypothesis import strategies as st


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


@st.composite
def counties(draw):
    n = draw(st.integers(1, 8))
    sites, residents = [], []
    for i in range(n):
        capacity = draw(st.integers(0, 12))
        occupied = draw(st.integers(0, capacity))
        grade = draw(st.one_of(st.none(), st.integers(1, 5)))
        township = draw(st.sampled_from(["001", "002", "003"]))
        sites.append(Site(f"U{i}", f"院{i}", f"341502{township}", grade, capacity, occupied))
        residents += [Resident(f"P{i}-{k}", f"U{i}") for k in range(occupied)]
    return sites, residents


@settings(max_examples=200, deadline=None)
@given(counties())
def test_plan_invariants(county):
    sites, residents = county
    result = plan("341502", sites, residents)
    by_id = {s.uscc: s for s in sites}
    assert len(result.keep) <= 3
    if result.flagged:
        assert all((by_id[k].grade or 0) >= 3 for k in result.keep)
        moved = [r for m in result.merges for r in m.residents] + result.unplaced
        leaving = [r for r in residents if r.institution_uscc not in result.keep]
        # every resident of a merged home is placed once or listed as unplaced
        assert sorted(r.placement_id for r in moved) == sorted(r.placement_id for r in leaving)
        for keep in result.keep:
            incoming = sum(len(m.residents) for m in result.merges if m.target_uscc == keep)
            assert by_id[keep].occupied + incoming <= by_id[keep].capacity
        assert all(m.target_uscc in result.keep and m.source_uscc not in result.keep
                   for m in result.merges)
        assert result.feasible == (bool(result.keep) and not result.unplaced)
    else:
        assert len(sites) <= 3 and all((s.grade or 0) >= 3 for s in sites)
