"""Simulators: contract-true, realistic, reproducible; bad messages carry the
reason the suite must give them."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from doudi_common.ids import validate_id_number, validate_uscc
from doudi_contracts.errors import ContractError
from doudi_contracts.fields import CERTIFICATE_CATEGORIES
from doudi_contracts.registry import validate_event
from doudi_departments.simulate import (
    BAD_KINDS,
    Simulator,
    corrupt_check_digit,
    make_uscc,
    simulators,
)


def outcome(department: str, message) -> str | None:
    try:
        envelope = json.loads(message.body)
    except ValueError:
        return "invalid_json"
    try:
        event = validate_event(department, envelope)
    except ContractError as exc:
        return exc.reason
    assert event["type"] == message.routing_key == message.event_type
    assert event["id"] == message.message_id
    return None


@pytest.mark.parametrize("department", ["cdpf", "health", "medical_insurance"])
def test_every_message_meets_the_contract_or_fails_as_announced(department):
    sim = simulators([department], seed=11, jurisdictions=["341502", "410928"])[0]
    seen = Counter()
    for message in sim.messages(600, bad_share=0.15):
        assert outcome(department, message) == message.expected, message.body[:200]
        seen[message.expected] += 1
    assert seen[None] > 400
    assert {"invalid_json", "unknown_type", "bad_data"} <= set(seen)


def test_each_department_produces_all_its_types():
    from doudi_contracts.registry import event_types

    for sim in simulators(["cdpf", "health", "medical_insurance"], 5, ["341502"]):
        types = {m.event_type for m in sim.messages(1500)}
        assert types == set(event_types(sim.department)), sim.department


def test_same_seed_same_stream_other_seed_other_stream():
    def stream(seed):
        return [m.body for m in simulators(["cdpf", "health"], seed, ["341522"])[1]
                .messages(100, bad_share=0.1)]
    assert stream(3) == stream(3)
    assert stream(3) != stream(4)


def test_identifiers_are_valid_and_of_the_chosen_jurisdictions():
    sims = simulators(["cdpf", "health", "medical_insurance"], 9, ["620102", "341522"])
    for sim in sims:
        for message in sim.messages(400):
            data = message.envelope["data"]
            source_division = message.envelope["source"].split("/")[1]
            assert source_division[:6] in {"620102", "341522"}
            if "id_number" in data:
                assert validate_id_number(data["id_number"]) == data["id_number"]
                assert data["id_number"][:6] in {"620102", "341522"}
            for key in ("assessor_uscc", "hospital_uscc", "institution_uscc"):
                if key in data:
                    assert validate_uscc(data[key]) == data[key]
                    assert data[key][2:8] in {"620102", "341522"}
            if "certificate_no" in data and "category" in data:
                assert data["certificate_no"] == (data["id_number"]
                                                  + CERTIFICATE_CATEGORIES[data["category"]]
                                                  + str(data["grade"]))
                assert len(data["division_code"]) == 12


def test_departments_share_one_population():
    cdpf, health = simulators(["cdpf", "health"], 2, ["341502"])
    certified = {m.envelope["data"]["id_number"] for m in cdpf.messages(200)}
    assessed = {m.envelope["data"]["id_number"] for m in health.messages(200)}
    assert certified & assessed


def test_uscc_has_both_check_characters():
    import random

    from doudi_departments.simulate import org_code_check

    rng = random.Random(1)
    for _ in range(200):
        code = make_uscc(rng, "341502")
        assert validate_uscc(code) == code
        assert org_code_check(code[8:16]) == code[16]


def test_corrupted_check_digit_is_refused():
    from doudi_common.errors import Invalid
    from doudi_common.testing.idnumbers import make_id_number

    good = make_id_number()
    with pytest.raises(Invalid):
        validate_id_number(corrupt_check_digit(good))


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_each_bad_kind_on_request(kind):
    sim = Simulator("cdpf", seed=1, jurisdictions=["341502"])
    message = sim.bad_message(kind)
    assert outcome("cdpf", message) == message.expected


def test_unknown_department_is_refused():
    with pytest.raises(ValueError):
        Simulator("police")
