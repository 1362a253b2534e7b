"""GB/T 2260 names (doudi_common.divisions)."""

from doudi_common import divisions


def test_current_names_and_levels():
    assert divisions.official_name("341500") == "六安市"
    assert divisions.official_name("360104") == "青云谱区"
    assert divisions.official_name("330106") == "西湖区"
    assert divisions.official_name("341502001") is None  # townships are not in GB/T 2260
    assert [divisions.level(c) for c in ("340000", "341500", "341502", "341502001",
                                         "341502001001")] == [
        "province", "city", "county", "township", "village"]


def test_parents_and_children():
    assert divisions.parent_of("341502") == "341500"
    assert divisions.parent_of("341500") == "340000"
    assert divisions.parent_of("340000") is None
    assert divisions.parent_of("341502001001") == "341502001"
    counties = dict(divisions.official_children("341500"))
    assert counties["341502"] == "金安区" and "341500" not in counties
    assert "341500" in dict(divisions.official_children("340000"))


def test_ended_names_are_history():
    # 北京 0200 "[-2015]县" and 崇文区 "[-2010]" are no longer in use
    assert divisions.official_name("110103") is None
    assert divisions.official_name("110101") == "东城区"
