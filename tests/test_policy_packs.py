"""One versioned pack per jurisdiction (issue 17, "policy in one place"): every
part of a jurisdiction's policy is data in one file, each service reads its own
part from it, and no service keeps a second copy in code."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from doudi_contracts import policy

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("pack_id", policy.PACK_IDS)
def test_each_pack_is_one_file_with_a_header_and_its_parts(pack_id):
    doc = policy.load(pack_id)
    assert doc["id"] == pack_id and doc["version"] and doc["effective_from"]
    assert set(doc) <= set(policy.HEADER) | set(policy.PARTS)
    assert doc["eligibility"]["target_groups"] and doc["funding"] is not None
    assert "institutions" in doc
    assert policy.path_of(pack_id).is_file()


@pytest.mark.parametrize("pack_id", policy.PACK_IDS)
def test_each_service_reads_its_part_from_the_same_file(pack_id):
    from doudi_eligibility.policy import load_pack
    from doudi_funding.policy import pack_named
    from doudi_institutions.policy import rules_for
    from doudi_services_log.policy import JURISDICTIONS

    doc = policy.load(pack_id)
    county = doc["jurisdiction"]
    pack = load_pack(pack_id)
    assert (pack.id, pack.version, pack.jurisdiction) == (pack_id, doc["version"], county)
    assert len(pack.groups) == len(doc["eligibility"]["target_groups"])
    funding = pack_named(pack_id)
    assert funding.version == doc["version"]
    assert funding.caregiver_subsidy_monthly == Decimal(
        doc["funding"].get("caregiver_subsidy_monthly") or "0")
    assert funding.clauses == doc["funding"]["clauses"]
    # the co-payment bands: one parameter, read by eligibility and funding alike
    assert pack.copay_bands == funding.self_pay_bands
    rules = rules_for(county)
    block = doc["institutions"].get("infection_block")
    assert (rules.infection_block.clause if rules.infection_block else None) == \
        (block["clause"] if block else None)
    items = (doc.get("services") or {}).get("items") or []
    catalogue = JURISDICTIONS.get(county)
    assert ([i.code for i in catalogue.items] if catalogue else []) == [i["code"] for i in items]


def test_no_service_keeps_a_copy_of_a_packs_data_in_code():
    """The service item names, the institutions' clauses' words and the local
    parameters' words appear in the packs only (and in generated docs)."""
    needles = set()
    for pack_id in policy.PACK_IDS:
        doc = policy.load(pack_id)
        needles |= {i["name"] for i in (doc.get("services") or {}).get("items") or ()
                    if len(i["name"]) >= 4}  # 助餐 or 护理 are words, not copies
        for rule in (doc["institutions"] or {}).values():
            if rule and rule.get("wording"):
                needles.add(rule["wording"][:20])
        needles |= {e["wording"][:20] for e in (doc.get("parameters") or {}).values()}
    assert len(needles) > 20
    code = [p for p in (ROOT / "services").glob("*/src/**/*.py")] + \
        [p for p in (ROOT / "libs").glob("*/src/**/*.py")]
    copies = {str(p.relative_to(ROOT)): [n for n in needles if n in p.read_text("utf-8")]
              for p in code}
    assert not {p: n for p, n in copies.items() if n}


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.pop("effective_from"), "header fields missing"),
    (lambda d: d.update(rules={}), "unknown parts"),
    (lambda d: d.update(jurisdiction="3415"), "6-digit"),
    (lambda d: d.update(funding=["x"]), "part funding"),
    (lambda d: d.update(effective_from="someday"), "not a date"),
])
def test_a_pack_of_the_wrong_shape_is_refused_with_the_reason(change, message):
    doc = policy.load("puyang-2020")
    change(doc)
    with pytest.raises(policy.PackError, match=message):
        policy.check(doc, "puyang-2020.yaml")


def test_a_pack_from_text_reads_like_the_shipped_one():
    text = policy.path_of("luan-2021").read_text("utf-8")
    assert policy.read(text) == policy.load("luan-2021")
    with pytest.raises(policy.PackError):
        policy.read("- just\n- a list\n")
