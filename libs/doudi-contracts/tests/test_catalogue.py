"""The catalogue: every example is valid, every documented bad case is refused
with the right reason, and no error ever shows a full ID number."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from doudi_common.errors import Invalid
from doudi_contracts.errors import REASONS, ContractError
from doudi_contracts.registry import (
    CATALOGUE,
    DEPARTMENTS,
    SOURCES,
    build_envelope,
    data_schema,
    dump_data,
    event_types,
    examples,
    publisher,
    readers,
    schema_class,
    validate_event,
)

# DESIGN.md "External contract: department events", verbatim
DESIGN_TYPES = {
    "cdpf": {"certificate.issued", "certificate.changed", "certificate.revoked",
             "subsidy.granted", "subsidy.stopped"},
    "health": {"assessment.completed", "infection.flagged", "infection.cleared",
               "hospital.admitted", "hospital.discharged", "person.deceased"},
    "medical_insurance": {"designation.signed", "designation.terminated",
                          "reimbursement.settled"},
    "eligibility": {"person.registered", "application.submitted", "application.approved",
                    "application.rejected", "enrolment.started", "enrolment.changed",
                    "enrolment.ended", "review.due", "person.handed_over",
                    "eligibility.changed", "review.completed"},
    "institutions": {"institution.registered", "institution.graded", "institution.suspended",
                     "institution.merged", "institution.closed", "placement.admitted",
                     "placement.discharged", "placement.transferred", "inspection.recorded",
                     "inspection.overdue", "catalog.price_changed", "licence.expiring"},
    "funding": {"settlement.completed", "payout.issued", "donation.received",
                "shortfall.covered"},
    "services_log": {"service.recorded", "service.verified", "visit.overdue", "alert.raised",
                     "alert.escalated", "alert.resolved", "month.closed"},
}

# DESIGN.md's data columns for the department events, verbatim
DESIGN_DATA = {
    ("cdpf", "certificate.issued"): {"id_number", "name", "certificate_no", "category", "grade",
                                     "issued_on", "valid_until", "division_code"},
    ("cdpf", "certificate.revoked"): {"id_number", "certificate_no", "revoked_on", "reason"},
    ("cdpf", "subsidy.granted"): {"id_number", "kind", "monthly_amount", "from_month"},
    ("cdpf", "subsidy.stopped"): {"id_number", "kind", "monthly_amount", "from_month",
                                  "to_month"},
    ("health", "assessment.completed"): {"id_number", "assessment_id", "standard", "level",
                                         "incapacity_level", "assessed_on", "valid_until",
                                         "assessor_uscc"},
    ("health", "infection.flagged"): {"id_number", "disease_code", "on"},
    ("health", "hospital.admitted"): {"id_number", "hospital_uscc", "on"},
    ("health", "person.deceased"): {"id_number", "date_of_death"},
    ("medical_insurance", "designation.signed"): {"institution_uscc", "agreement_no",
                                                  "valid_from", "valid_until"},
    ("medical_insurance", "reimbursement.settled"): {"id_number", "period", "total", "fund_paid",
                                                     "medical_assistance_paid", "self_paid"},
    ("eligibility", "person.registered"): {"id_number", "name", "birth_date", "sex",
                                           "division_code", "source_event"},
}

ALL = [(s, t) for s, types in CATALOGUE.items() for t in types]
FULL_ID = "34150219560312112X"


def reason_of(source: str, envelope: dict) -> str:
    with pytest.raises(ContractError) as excinfo:
        validate_event(source, envelope)
    assert FULL_ID not in excinfo.value.detail
    assert FULL_ID not in repr(excinfo.value.fields)
    return excinfo.value.reason


# --- the catalogue itself ------------------------------------------------------


def test_sources_and_types_match_design():
    assert set(DESIGN_TYPES) == SOURCES
    assert {"cdpf", "health", "medical_insurance"} == DEPARTMENTS
    for source, types in DESIGN_TYPES.items():
        assert set(event_types(source)) == types


@pytest.mark.parametrize("key", sorted(DESIGN_DATA))
def test_department_data_fields_match_design(key):
    assert set(data_schema(*key).fields) == DESIGN_DATA[key]


@pytest.mark.parametrize("source, event_type", ALL)
def test_schema_has_version_and_complete_example(source, event_type):
    cls = schema_class(source, event_type)
    assert isinstance(cls.version, int) and cls.version >= 1
    # examples show every field, so the AsyncAPI document documents them all
    assert set(cls.example) == set(cls().fields)
    assert cls.__doc__


@pytest.mark.parametrize("source, event_type", ALL)
def test_every_example_validates(source, event_type, envelope):
    env = envelope(source, event_type)
    event = validate_event(source, env)
    assert event["type"] == event_type
    assert event["time"].utcoffset() == timedelta(hours=8)
    # dumping the loaded data gives back the wire form exactly
    assert dump_data(source, event_type, event["data"]) == env["data"]


def test_examples_iterates_everything():
    seen = [(s, t) for s, t, _ in examples()]
    assert seen == ALL
    ids = [e["id"] for _, _, e in examples()]
    assert len(set(ids)) == len(ids)


def test_loaded_values_are_python_types(envelope):
    event = validate_event("medical_insurance",
                           envelope("medical_insurance", "reimbursement.settled"))
    assert event["data"]["total"] == Decimal("3560.40")
    assert isinstance(event["data"]["total"], Decimal)
    event = validate_event("cdpf", envelope())
    assert event["data"]["issued_on"] == date(2026, 2, 27)
    assert isinstance(event["time"], datetime)


def test_publishers_and_readers():
    assert publisher("cdpf") == "cdpf"
    assert "cdpf" not in readers("health")  # departments do not read each other
    assert {"cdpf", "health", "medical_insurance"} <= set(readers("eligibility"))
    assert "eligibility" in readers("cdpf")
    with pytest.raises(ValueError):
        readers("finance")


# --- envelope ------------------------------------------------------------------


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda e: e.update(time="2026-03-01T09:30:00"), id="naive time"),
        pytest.param(lambda e: e.update(time="2026-03-01 09:30:00+08:00"), id="space in time"),
        pytest.param(lambda e: e.update(time="2026-02-30T09:30:00+08:00"), id="impossible time"),
        pytest.param(lambda e: e.update(time=1772328600), id="epoch time"),
        pytest.param(lambda e: e.update(user_id="cdpf"), id="extra key with underscore"),
        pytest.param(lambda e: e.update(Extra="x"), id="extra key upper case"),
        pytest.param(lambda e: e.update({"x-trace": "1"}), id="extra key with dash"),
        pytest.param(lambda e: e.update(traceparent={"a": 1}), id="extension with object value"),
        pytest.param(lambda e: e.update(averyveryverylongextensionname="x"), id="long extension"),
        pytest.param(lambda e: e.update(specversion="0.3"), id="specversion"),
        pytest.param(lambda e: e.pop("specversion"), id="missing specversion"),
        pytest.param(lambda e: e.pop("id"), id="missing id"),
        pytest.param(lambda e: e.update(id="not-a-uuid"), id="id not uuid"),
        pytest.param(lambda e: e.update(datacontenttype="text/plain"), id="content type"),
        pytest.param(lambda e: e.pop("datacontenttype"), id="missing content type"),
        pytest.param(lambda e: e.update(data=[1]), id="data not object"),
        pytest.param(lambda e: e.pop("data"), id="missing data"),
        pytest.param(lambda e: e.update(source="cdpf"), id="source without division"),
        pytest.param(lambda e: e.update(source="cdpf/3415"), id="source bad division"),
        pytest.param(lambda e: e.update(source="CDPF/341500"), id="source upper case"),
        pytest.param(lambda e: e.update(type="Certificate Issued"), id="type malformed"),
        pytest.param(lambda e: e.update(type=None), id="type null"),
    ],
)
def test_bad_envelopes(mutate, envelope):
    env = envelope()
    mutate(env)
    assert reason_of("cdpf", env) == "bad_envelope"


@pytest.mark.parametrize("body", [None, [], "text", 42])
def test_non_object_bodies(body):
    assert reason_of("cdpf", body) == "bad_envelope"


def test_extensions_and_optional_attributes_allowed(envelope):
    env = envelope()
    env.update(traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
               partitionkey=3, replay=True, subject="341502001001",
               dataschema="urn:doudi:cdpf:certificate.issued:1")
    event = validate_event("cdpf", env)
    assert event["traceparent"].startswith("00-")
    assert event["partitionkey"] == 3


def test_utc_time_accepted(envelope):
    env = envelope()
    env["time"] = "2026-03-01T01:30:00.123456789Z"
    event = validate_event("cdpf", env)
    assert event["time"] == datetime(2026, 3, 1, 1, 30, 0, 123456, tzinfo=UTC)


def test_source_mismatch(envelope):
    env = envelope()
    env["source"] = "health/341500"
    assert reason_of("cdpf", env) == "source_mismatch"


def test_unknown_type(envelope):
    env = envelope()
    env["type"] = "certificate.burned"
    assert reason_of("cdpf", env) == "unknown_type"
    # a real type, but of another source
    env = envelope()
    env["type"] = "person.deceased"
    assert reason_of("cdpf", env) == "unknown_type"


def test_unknown_source_is_a_programming_error(envelope):
    with pytest.raises(ValueError):
        validate_event("finance", envelope())


# --- data ------------------------------------------------------------------------


def _tamper_checksum(number: str) -> str:
    return number[:-1] + ("0" if number[-1] != "0" else "1")


@pytest.mark.parametrize(
    "source, event_type, mutate, field",
    [
        ("cdpf", "certificate.issued",
         lambda d: d.update(id_number=_tamper_checksum(d["id_number"]),
                            certificate_no=_tamper_checksum(d["id_number"]) + "41"),
         "id_number"),
        ("cdpf", "certificate.issued", lambda d: d.pop("name"), "name"),
        ("cdpf", "certificate.issued", lambda d: d.update(name="  "), "name"),
        ("cdpf", "certificate.issued", lambda d: d.update(grade="1"), "grade"),
        ("cdpf", "certificate.issued", lambda d: d.update(grade=1.0), "grade"),
        ("cdpf", "certificate.issued", lambda d: d.update(grade=True), "grade"),
        ("cdpf", "certificate.issued", lambda d: d.update(grade=5), "grade"),
        ("cdpf", "certificate.issued", lambda d: d.update(category="blind"), "category"),
        # certificate_no: category digit, grade digit, holder, length, check character
        ("cdpf", "certificate.issued",
         lambda d: d.update(certificate_no=d["id_number"] + "51"), "certificate_no"),
        ("cdpf", "certificate.issued",
         lambda d: d.update(certificate_no=d["id_number"] + "43"), "certificate_no"),
        ("cdpf", "certificate.issued",
         lambda d: d.update(certificate_no="341522194807052024" + "41"), "certificate_no"),
        ("cdpf", "certificate.issued",
         lambda d: d.update(certificate_no=d["id_number"] + "4"), "certificate_no"),
        ("cdpf", "certificate.issued",
         lambda d: d.update(certificate_no=d["id_number"] + "81"), "certificate_no"),
        ("cdpf", "certificate.issued",
         lambda d: d.update(certificate_no=_tamper_checksum(d["id_number"]) + "41"),
         "certificate_no"),
        ("cdpf", "certificate.issued", lambda d: d.update(issued_on="2026-3-1"), "issued_on"),
        ("cdpf", "certificate.issued", lambda d: d.update(valid_until="2020-01-01"),
         "valid_until"),
        ("cdpf", "certificate.issued", lambda d: d.update(division_code="3415"), "division_code"),
        ("cdpf", "certificate.issued", lambda d: d.update(nickname="x"), "nickname"),
        ("cdpf", "certificate.revoked",
         lambda d: d.update(certificate_no="341522194807052024" + "41"), "certificate_no"),
        # amounts are strings with 2 decimals, never JSON numbers
        ("cdpf", "subsidy.granted", lambda d: d.update(monthly_amount=120.0), "monthly_amount"),
        ("cdpf", "subsidy.granted", lambda d: d.update(monthly_amount=120), "monthly_amount"),
        ("cdpf", "subsidy.granted", lambda d: d.update(monthly_amount="120.5"), "monthly_amount"),
        ("cdpf", "subsidy.granted", lambda d: d.update(monthly_amount="-1.00"), "monthly_amount"),
        ("cdpf", "subsidy.granted", lambda d: d.update(monthly_amount="1e2"), "monthly_amount"),
        ("cdpf", "subsidy.granted", lambda d: d.update(from_month="2026-13"), "from_month"),
        ("cdpf", "subsidy.granted", lambda d: d.update(kind="other"), "kind"),
        ("cdpf", "subsidy.stopped", lambda d: d.update(to_month="2026-02"), "to_month"),
        ("health", "assessment.completed", lambda d: d.update(level=5), "level"),
        ("health", "assessment.completed",
         lambda d: d.update(assessor_uscc="91110000600037341K"), "assessor_uscc"),
        ("health", "infection.flagged", lambda d: d.update(disease_code="tb"), "disease_code"),
        ("medical_insurance", "reimbursement.settled", lambda d: d.update(self_paid="178.03"),
         "total"),
        ("medical_insurance", "reimbursement.settled", lambda d: d.update(period="2026-03-01"),
         "period"),
        ("eligibility", "person.registered", lambda d: d.update(sex="male"), "sex"),
        ("eligibility", "person.registered", lambda d: d.update(birth_date="1956-03-13"),
         "birth_date"),
        ("eligibility", "person.registered", lambda d: d.update(source_event="abc"),
         "source_event"),
        ("eligibility", "person.handed_over", lambda d: d.update(age=59), "age"),
        ("eligibility", "application.approved", lambda d: d.update(clauses=[]), "clauses"),
        ("institutions", "placement.transferred", lambda d: d.update(consent_recorded=False),
         "consent_recorded"),
        ("institutions", "placement.transferred", lambda d: d.update(consent_recorded="yes"),
         "consent_recorded"),
        ("funding", "settlement.completed",
         lambda d: d["by_channel"].update(donations="0.00"), "total"),
        ("funding", "settlement.completed",
         lambda d: d["by_channel"].update(bonus="1.00"), "by_channel"),
        ("funding", "payout.issued",
         lambda d: d.update(payee_id_number="341502196302281546"), "_schema"),
        ("services_log", "service.recorded",
         lambda d: d.update(provider_id_number=d["id_number"]), "provider_id_number"),
        ("services_log", "alert.raised", lambda d: d.update(raised_at="2026-03-12T21:14:05"),
         "raised_at"),
        ("services_log", "month.closed", lambda d: d.update(total_amount="91.00"),
         "total_amount"),
        ("services_log", "month.closed", lambda d: d["lines"][0].update(amount=60.0), "lines"),
        ("services_log", "month.closed",
         lambda d: d["providers"][0].update(provider_id_number=None), "providers"),
        ("services_log", "service.verified", lambda d: d.update(verifier_role="neighbour"),
         "verifier_role"),
    ],
)
def test_bad_data(source, event_type, mutate, field, envelope):
    env = envelope(source, event_type)
    mutate(env["data"])
    with pytest.raises(ContractError) as excinfo:
        validate_event(source, env)
    exc = excinfo.value
    assert exc.reason == "bad_data"
    assert field in exc.errors
    assert f"{source}/{event_type} v1" in exc.detail
    assert FULL_ID not in exc.detail and FULL_ID not in repr(exc.errors)


def test_bad_checksum_detail_is_masked(envelope):
    env = envelope()
    bad = _tamper_checksum(FULL_ID)
    env["data"].update(id_number=bad, certificate_no=bad + "41")
    with pytest.raises(ContractError) as excinfo:
        validate_event("cdpf", env)
    assert "校验位错误" in excinfo.value.detail
    assert "3415**********112" in excinfo.value.detail
    assert bad not in excinfo.value.detail and bad not in str(excinfo.value.args)


def test_unknown_key_holding_an_id_number_is_masked(envelope):
    env = envelope()
    env["data"][FULL_ID] = 1
    with pytest.raises(ContractError) as excinfo:
        validate_event("cdpf", env)
    assert FULL_ID not in excinfo.value.detail
    assert FULL_ID not in repr(excinfo.value.errors)


def test_contract_error_shape():
    err = ContractError("bad_data", "x" * 2000)
    assert isinstance(err, Invalid)
    assert err.fields["reason"] == "bad_data" and err.status == 422
    assert len(err.detail) <= 600
    assert set(REASONS) == {"bad_envelope", "unknown_type", "bad_data", "source_mismatch"}
    with pytest.raises(ValueError):
        ContractError("nonsense", "x")


# --- producing -------------------------------------------------------------------


def test_build_envelope_from_python_values():
    env = build_envelope("cdpf", "341500", "subsidy.granted",
                         {"id_number": "34150219560312112x", "kind": "disabled_living_allowance",
                          "monthly_amount": Decimal(80), "from_month": date(2026, 3, 1)},
                         time=datetime(2026, 3, 1, 1, 30, tzinfo=UTC))
    assert json.loads(json.dumps(env)) == env
    assert env["time"] == "2026-03-01T09:30:00+08:00"
    assert env["source"] == "cdpf/341500"
    assert env["data"] == {"id_number": FULL_ID, "kind": "disabled_living_allowance",
                           "monthly_amount": "80.00", "from_month": "2026-03"}
    assert uuid.UUID(env["id"]).version == 4
    assert validate_event("cdpf", env)["data"]["monthly_amount"] == Decimal("80.00")


def test_build_envelope_fills_optional_fields_with_null():
    data = dict(schema_class("eligibility", "person.registered").example)
    del data["source_event"]
    env = build_envelope("eligibility", "341502001001", "person.registered", data,
                         event_id="0F8E5A52-3C1E-4E0B-9A57-2F1D7C1F5B10")
    assert env["data"]["source_event"] is None
    assert env["id"] == "0f8e5a52-3c1e-4e0b-9a57-2f1d7c1f5b10"
    assert env["time"].endswith("+08:00")


def test_build_envelope_refuses_bad_input():
    good = dict(schema_class("cdpf", "subsidy.granted").example)
    with pytest.raises(TypeError):
        build_envelope("cdpf", "341500", "subsidy.granted", {**good, "monthly_amount": 80.0})
    with pytest.raises(ContractError) as excinfo:
        build_envelope("cdpf", "341500", "subsidy.granted", {**good, "extra": 1})
    assert excinfo.value.reason == "bad_data"
    with pytest.raises(ContractError) as excinfo:
        build_envelope("cdpf", "341500", "subsidy.granted", {**good, "kind": "x"})
    assert excinfo.value.reason == "bad_data"
    with pytest.raises(ContractError) as excinfo:
        build_envelope("cdpf", "341500", "subsidy.revoked", good)
    assert excinfo.value.reason == "unknown_type"
    with pytest.raises(ValueError):
        build_envelope("cdpf", "341500", "subsidy.granted", good, time=datetime(2026, 3, 1))
    with pytest.raises(Invalid):
        build_envelope("cdpf", "3415", "subsidy.granted", good)
    with pytest.raises(ValueError):
        build_envelope("finance", "341500", "subsidy.granted", good)
