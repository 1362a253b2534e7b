"""The rules the institutions entrypoints apply (domain/beds, admission,
registry, licences, inspections, catalogue, inputs)."""

from __future__ import annotations

from datetime import date

import pytest
from doudi_common.errors import Conflict, Invalid
from doudi_institutions.domain import (
    admission,
    beds,
    catalogue,
    inputs,
    inspections,
    licences,
    registry,
)

TODAY = date(2026, 3, 2)


def reason(err) -> str:
    return err.value.fields["reason"]


def test_dates_that_have_happened_and_required_fields():
    assert inputs.not_in_future(TODAY, TODAY, "on", "检查日期") == TODAY
    with pytest.raises(Invalid) as err:
        inputs.not_in_future(date(2026, 3, 3), TODAY, "on", "检查日期")
    assert reason(err) == "future" and "检查日期" in err.value.detail
    with pytest.raises(Invalid):
        inputs.required("", "reason", "原因")
    assert inputs.check_flag(False, "given") is False
    with pytest.raises(Invalid):
        inputs.check_flag("yes", "given")


def test_the_register():
    registry.check_not_registered(False, "x")
    with pytest.raises(Conflict):
        registry.check_not_registered(True, "x")
    assert registry.check_updatable({"name": "甲"}, ("name",)) == {"name": "甲"}
    with pytest.raises(Invalid) as err:
        registry.check_updatable({"uscc": "x"}, ("name",))
    assert err.value.fields["unknown"] == ["uscc"]
    registry.check_can_close("closed", 0)
    registry.check_can_close("suspended", 3)
    with pytest.raises(Conflict) as err:
        registry.check_can_close("closed", 1)
    assert reason(err) == "has_residents"


@pytest.mark.parametrize(("source", "target", "why"), [
    ({"id": 1, "status": "open"}, {"id": 1, "status": "open"}, "same_institution"),
    ({"id": 1, "status": "open"}, {"id": 2, "status": "preparing"}, "institution_not_open"),
    ({"id": 1, "status": "closed"}, {"id": 2, "status": "open"}, "closed"),
])
def test_merges_go_into_another_open_institution(source, target, why):
    with pytest.raises((Invalid, Conflict)) as err:
        registry.check_merge(source, target)
    assert reason(err) == why
    registry.check_merge({"id": 1, "status": "merging"}, {"id": 2, "status": "open"})


def test_licences_by_hand_but_not_designations():
    licences.check_licence("operating_permit", "N-1", "县民政局")
    with pytest.raises(Invalid) as err:
        licences.check_licence("medical_insurance", "N-1", "医保局")
    assert reason(err) == "from_medical_insurance"
    with pytest.raises(Invalid):
        licences.check_licence("operating_permit", "", "县民政局")


def test_inspections_and_findings():
    inspections.check_findings_given("passed", [])
    with pytest.raises(Invalid):
        inspections.check_findings_given("rectification_required", [])
    inspections.check_not_rectified(None)
    with pytest.raises(Conflict):
        inspections.check_not_rectified(TODAY)


def test_catalogue_codes():
    assert catalogue.check_item_code("bed-double") == "bed-double"
    for bad in ("", None, "x" * 65, 7):
        with pytest.raises(Invalid):
            catalogue.check_item_code(bad)
    with pytest.raises(Conflict):
        catalogue.check_code_free(True, "bed-double")


def test_rooms_and_beds():
    beds.check_room("101", "double", ["1", "2"])
    for args, why in ((("", "double", ["1"]), "missing"), (("101", "double", ["1", "1"]),
                                                          "duplicate")):
        with pytest.raises(Invalid) as err:
            beds.check_room(*args)
        assert reason(err) == why
    with pytest.raises(Conflict):
        beds.check_room_free(True, "101")
    with pytest.raises(Conflict):
        beds.check_beds_free(["2"])
    beds.check_can_take_out_of_service(False, "out_of_service")
    beds.check_can_take_out_of_service(True, "in_service")
    with pytest.raises(Conflict):
        beds.check_can_take_out_of_service(True, "out_of_service")
    beds.check_bed_available(False, False, "1")
    for occupied, out in ((True, False), (False, True)):
        with pytest.raises(Conflict):
            beds.check_bed_available(occupied, out, "1")


def test_placements_change_only_while_open_and_forward_in_time():
    open_ = {"status": "open", "admitted_on": date(2026, 1, 10), "institution_id": 1}
    admission.check_open(open_)
    with pytest.raises(Conflict):
        admission.check_open({**open_, "status": "discharged"})
    with pytest.raises(Invalid) as err:
        admission.check_not_before_admission(date(2026, 1, 9), open_, "discharged_on", "离院日期")
    assert "离院日期" in err.value.detail
    with pytest.raises(Invalid):
        admission.check_not_before(date(2026, 2, 1), date(2026, 2, 2), "on")
    with pytest.raises(Invalid):
        admission.check_other_institution(open_, {"id": 1})
