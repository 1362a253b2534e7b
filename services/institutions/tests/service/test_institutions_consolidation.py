"""Regional consolidation (hangzhou-2024): a county with 5 tekun homes, two
below grade 3, ends with at most 3, all grade 3 or above, every consenting
resident placed; residents who refuse stay and are listed."""

from __future__ import annotations

import pytest
from doudi_common.errors import Conflict
from doudi_common.testing.fixtures import count_rows, publish_event
from doudi_common.testing.idnumbers import make_id_number
from doudi_institutions.testing import open_home

COUNTY = "341502"


def admit(rpc, seq, home):
    return rpc.admit(id_number=make_id_number(seq=seq), uscc=home, admitted_on="2026-03-02",
                     care_level="full", division_code="341502001001")


def test_consolidation_plan_and_merges(institutions):
    container, rpc = institutions
    good = [open_home(rpc, n=n, beds=4, grade=g, division=f"34150200{n}")
            for n, g in ((1, 3), (2, 4), (3, 5))]
    weak = [open_home(rpc, n=n, beds=2, grade=g, division=f"34150200{n}")
            for n, g in ((4, 2), (5, 1))]
    residents = {weak[0]: [admit(rpc, 10, weak[0]), admit(rpc, 11, weak[0])],
                 weak[1]: [admit(rpc, 12, weak[1])]}
    admit(rpc, 13, good[0])

    plan = rpc.consolidation_plan(county_code=COUNTY)
    assert plan["flagged"] and len(plan["reasons"]) == 2
    assert plan["after"] == {"institutions": 3, "all_grade_3_or_above": True}
    assert {i["uscc"] for i in plan["institutions"] if i["keep"]} == set(good)
    assert {m["source_uscc"] for m in plan["merges"]} == set(weak)
    assert plan["unplaced"] == []
    moves = {m["source_uscc"]: m for m in plan["merges"]}
    assert all(r["consent"] is None for m in plan["merges"] for r in m["residents"])

    # without any consent nobody moves: the source is merging, residents listed
    first = moves[weak[0]]
    result = rpc.execute_merge(source_uscc=weak[0], target_uscc=first["target_uscc"],
                               on="2026-03-02")
    assert result["moved"] == [] and len(result["staying"]) == 2
    assert result["source_status"] == "merging"
    # both consent now: all move, the source closes with its history
    for p in residents[weak[0]]:
        rpc.record_consent(id_number=make_id_number(seq=10 + residents[weak[0]].index(p)),
                           to_uscc=first["target_uscc"], given=True, recorded_on="2026-03-02")
    result = rpc.execute_merge(source_uscc=weak[0], target_uscc=first["target_uscc"],
                               on="2026-03-03")
    assert len(result["moved"]) == 2 and result["source_status"] == "closed"
    closed = rpc.get_institution(uscc=weak[0])
    assert [h["status"] for h in closed["status_history"]] == ["open", "merging", "closed"]
    assert rpc.list_placements(uscc=first["target_uscc"], status="open")["total"] >= 2

    second = moves[weak[1]]
    rpc.record_consent(id_number=make_id_number(seq=12), to_uscc=second["target_uscc"],
                       given=True, recorded_on="2026-03-02")
    assert rpc.execute_merge(source_uscc=weak[1], target_uscc=second["target_uscc"],
                             on="2026-03-03")["source_status"] == "closed"
    with pytest.raises(Conflict):
        rpc.execute_merge(source_uscc=weak[1], target_uscc=second["target_uscc"],
                          on="2026-03-04")

    after = rpc.consolidation_plan(county_code=COUNTY)
    assert not after["flagged"] and len(after["institutions"]) == 3
    assert all(i["grade"] >= 3 for i in after["institutions"])
    assert count_rows(container, "placements", status="open") == 4
    assert count_rows(container, "outbox", event_type="placement.transferred") == 3
    assert count_rows(container, "outbox", event_type="institution.merged") == 2


def test_refusing_resident_stays_and_is_listed(institutions):
    _, rpc = institutions
    target = open_home(rpc, n=1, beds=4, grade=4)
    source = open_home(rpc, n=2, beds=2, grade=1)
    admit(rpc, 20, source)
    admit(rpc, 21, source)
    rpc.record_consent(id_number=make_id_number(seq=20), to_uscc=target, given=True,
                       recorded_on="2026-03-02")
    rpc.record_consent(id_number=make_id_number(seq=21), to_uscc=target, given=False,
                       recorded_on="2026-03-02", note="不愿离开本乡镇")
    result = rpc.execute_merge(source_uscc=source, target_uscc=target, on="2026-03-02")
    assert len(result["moved"]) == 1
    assert [s["reason"] for s in result["staying"]] == ["no_consent"]
    assert result["source_status"] == "merging"
    assert rpc.get_institution(uscc=source)["occupied"] == 1


def test_county_statistics_centralised_rate(institutions, rabbit):
    from doudi_common.testing.fixtures import wait_for

    container, rpc = institutions
    home = open_home(rpc, beds=4, grade=2)
    for seq, mode in ((30, "centralized"), (31, "dispersed"), (32, "centralized")):
        publish_event(rabbit, "eligibility", "enrolment.started", {
            "enrolment_id": f"ENR-{seq}", "id_number": make_id_number(seq=seq),
            "division_code": "341502001001", "care_mode": mode, "hardship": ["tekun"],
            "incapacity_level": "full", "started_on": "2026-03-02",
            "institution_uscc": home if seq == 30 else None})
    wait_for(lambda: count_rows(container, "enrolments") == 3)
    stats = rpc.county_statistics(county_code=COUNTY)
    assert stats["tekun_needing_care"] == 3 and stats["tekun_in_institutions"] == 1
    assert stats["centralised_support_rate"] == "0.3333"
    assert stats["beds"] == 4 and stats["occupied"] == 1 and stats["below_grade_3"] == 1
    pending = rpc.list_admission_requests(status="pending")
    assert pending["total"] == 1 and pending["items"][0]["reason"] == "no_institution"
    # staff choose the home for the waiting enrolment: the request is resolved
    placed = rpc.admit(id_number=make_id_number(seq=32), uscc=home, admitted_on="2026-03-03",
                       care_level="full", enrolment_id=pending["items"][0]["enrolment_id"],
                       division_code="341502001001")
    assert rpc.list_admission_requests(status="pending")["total"] == 0
    resolved = rpc.list_admission_requests(status="admitted")["items"]
    assert placed["placement_id"] in [r["placement_id"] for r in resolved]
    assert rpc.county_statistics(county_code=COUNTY)["centralised_support_rate"] == "0.6667"
