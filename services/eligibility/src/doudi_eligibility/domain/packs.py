"""Policy packs: each jurisdiction's rules as data, with clause citations and
effective dates (the data is read by ``doudi_eligibility.policy``), and the
choice of a pack for a person: the longest division-code prefix that has a
pack in force. Pure: packs are built from data already read.

A pack is read once and compiled (conditions become functions); the data stays
what it was read as, for ``get_pack`` and explanations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from doudi_common.errors import Invalid, NotFound
from doudi_common.ids import division_prefix
from doudi_contracts.local_parameters import CopayBand, band_for, copay_bands

from doudi_eligibility.domain.rules import attrs, compile_condition, describe

CARE_MODES = ("centralized", "neighbor", "day_care", "co_housing", "home_visit", "family_bed",
              "dispersed")
STEPS = ("village_review", "township_check", "department_signoff", "approve", "public_notice",
         "sign_agreement")
DEPARTMENTS = ("cdpf", "civil_affairs", "health", "poverty_office")


@dataclass(frozen=True)
class Rule:
    id: str
    label: str
    clause: str
    condition: dict[str, Any]
    test: Callable[[Any], bool] = field(compare=False, repr=False)
    attrs: tuple[str, ...] = ()
    text: str = ""
    wording: str = ""

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Rule:
        for key in ("id", "label", "clause", "when"):
            if key not in data:
                raise Invalid("政策规则缺少字段", field=key, rule=data.get("id"))
        return cls(id=data["id"], label=data["label"], clause=data["clause"],
                   condition=data["when"], test=compile_condition(data["when"]),
                   attrs=tuple(attrs(data["when"])), text=describe(data["when"]),
                   wording=data.get("wording", ""))

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "clause": self.clause,
                "condition": self.text, "wording": self.wording}


@dataclass(frozen=True)
class TargetGroup:
    rule: Rule
    modes: tuple[str, ...]  # care modes this group may receive; empty = every mode
    note: str = ""


@dataclass(frozen=True)
class ModeSpec:
    mode: str
    clause: str
    rules: tuple[Rule, ...]
    #: care modes a person in this one may not also receive, and the clause that
    #: says so (the mode's own clause unless another is named)
    excludes: tuple[str, ...] = ()
    excludes_clause: str = ""


@dataclass(frozen=True)
class Pack:
    id: str
    version: str
    title: str
    document: str
    jurisdiction: str
    effective_from: date
    effective_until: date | None
    accepted_standards: tuple[str, ...]
    general: tuple[Rule, ...]
    groups: tuple[TargetGroup, ...]
    modes: dict[str, ModeSpec]
    priority: tuple[tuple[int, Rule], ...]
    chain: tuple[str, ...]
    chain_clause: str
    signoff_departments: tuple[str, ...]
    notice_days: int
    #: the clause that has recipients publicised on a standing list (长期公示) at
    #: their village/community committee; "" where the document asks for none
    standing_notice_clause: str
    review_interval_months: int
    review_clause: str
    handover_age: int | None
    handover_modes: tuple[str, ...]
    handover_clause: str
    consent_clause: str
    #: documents a case must hold before it passes the township, and the clause
    required_documents: tuple[str, ...]
    documents_clause: str
    #: the clause by which services change or stop as soon as the person's status
    #: does ("" = a county review decides, luan-2021 §三(六))
    status_change_clause: str
    #: neighbour care: the clause setting who may be the caregiver ("" = none set)
    caregiver_clause: str
    #: the clause that has an agreement signed before the care starts ("" = none)
    agreement_clause: str
    data: dict[str, Any] = field(compare=False, repr=False)
    #: the pack's local parameters (doudi_contracts.policy), shared with funding
    parameters: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def prefix(self) -> str:
        return division_prefix(self.jurisdiction)

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_until is None
                                              or on <= self.effective_until)

    @property
    def copay_bands(self) -> tuple[CopayBand, ...]:
        """luan-2021 §三(四)'s co-payment bands, a county parameter kept once in the
        pack's ``parameters`` (funding settles by the same); () where the document
        asks no family payment."""
        return tuple(copay_bands(self.parameters.get("copay_bands")))

    def copay_band(self, income_per_head: Any, on: date | None = None) -> CopayBand | None:
        band: CopayBand | None = band_for(
            copay_bands(self.parameters.get("copay_bands"), on), income_per_head)
        return band

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id, "version": self.version, "title": self.title,
            "document": self.document, "jurisdiction": self.jurisdiction,
            "effective_from": self.effective_from.isoformat(),
            "effective_until": self.effective_until.isoformat() if self.effective_until else None,
            "care_modes": sorted(self.modes), "accepted_standards": list(self.accepted_standards),
            "chain": list(self.chain), "chain_clause": self.chain_clause,
            "signoff_departments": list(self.signoff_departments),
            "notice_days": self.notice_days,
            "standing_notice_clause": self.standing_notice_clause or None,
            "required_documents": list(self.required_documents),
            "documents_clause": self.documents_clause or None,
            "review_interval_months": self.review_interval_months,
            "handover_age": self.handover_age, "handover_modes": list(self.handover_modes),
            "general_rules": [r.summary() for r in self.general],
            "target_groups": [g.rule.summary() | {"care_modes": list(g.modes)}
                              for g in self.groups],
            "mode_rules": {m: [r.summary() for r in s.rules] for m, s in self.modes.items()},
            "priority": [{"rank": rank, **rule.summary()} for rank, rule in self.priority],
            "copay_bands": [{"band": b.band, "max_income": str(b.max_income)
                             if b.max_income is not None else None, "share": str(b.share),
                             "clause": b.clause} for b in self.copay_bands],
        }


def _required_date(value: Any) -> date:
    day = _date(value)
    if day is None:
        raise Invalid("政策包缺少生效日期", reason="bad_pack")
    return day


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def pack_from_data(data: dict[str, Any]) -> Pack:
    """Build (and check) a pack from its data."""
    try:
        modes = {}
        for mode, spec in (data.get("care_modes") or {}).items():
            if mode not in CARE_MODES:
                raise Invalid("照护方式不存在", care_mode=mode, pack=data.get("id"))
            modes[mode] = ModeSpec(mode, spec["clause"],
                                   tuple(Rule.from_data(r) for r in spec.get("rules", ())),
                                   tuple(spec.get("excludes") or ()),
                                   spec.get("excludes_clause") or spec["clause"])
        if any(m not in modes for spec in modes.values() for m in spec.excludes):
            raise Invalid("互斥的照护方式不在政策包内", pack=data.get("id"))
        groups = []
        for g in data["target_groups"]:
            allowed = tuple(g.get("care_modes") or ())
            if any(m not in modes for m in allowed):
                raise Invalid("目标群体的照护方式不在政策包内", group=g["id"])
            groups.append(TargetGroup(Rule.from_data(g), allowed, g.get("note", "")))
        chain = tuple(data["chain"])
        if any(s not in STEPS for s in chain) or "sign_agreement" not in chain:
            raise Invalid("审批流程步骤不存在", pack=data.get("id"), chain=list(chain))
        signoff = tuple(data.get("signoff_departments") or ())
        if ("department_signoff" in chain) != bool(signoff) or any(
                d not in DEPARTMENTS for d in signoff):
            raise Invalid("部门会签设置错误", pack=data.get("id"))
        notice_days = int(data.get("notice_days") or 0)
        if ("public_notice" in chain) != (notice_days > 0):
            raise Invalid("公示期设置错误", pack=data.get("id"))
        handover = data.get("handover") or {}
        return Pack(
            id=data["id"], version=str(data["version"]), title=data["title"],
            document=data.get("document", ""), jurisdiction=str(data["jurisdiction"]),
            effective_from=_required_date(data["effective_from"]),
            effective_until=_date(data.get("effective_until")),
            accepted_standards=tuple(data.get("accepted_standards") or ()),
            general=tuple(Rule.from_data(r) for r in data.get("general_rules") or ()),
            groups=tuple(groups), modes=modes,
            priority=tuple((int(p["rank"]), Rule.from_data(p)) for p in
                           sorted(data.get("priority") or (), key=lambda p: int(p["rank"]))),
            chain=chain, chain_clause=data.get("chain_clause", ""),
            signoff_departments=signoff, notice_days=notice_days,
            standing_notice_clause=data.get("standing_notice_clause") or "",
            review_interval_months=int(data.get("review_interval_months") or 12),
            review_clause=data.get("review_clause", ""),
            handover_age=handover.get("age"),
            handover_modes=tuple(handover.get("care_modes") or ()),
            handover_clause=handover.get("clause", ""),
            consent_clause=data.get("consent_clause", ""),
            required_documents=tuple((data.get("required_documents") or {}).get("documents")
                                     or ()),
            documents_clause=(data.get("required_documents") or {}).get("clause", ""),
            status_change_clause=data.get("status_change_clause") or "",
            caregiver_clause=data.get("caregiver_clause") or "",
            agreement_clause=data.get("agreement_clause") or "",
            data=data, parameters=dict(data.get("parameters") or {}))
    except KeyError as exc:
        raise Invalid("政策包缺少字段", field=str(exc), pack=data.get("id")) from None


class PackRegistry:
    """The packs known to a process, by jurisdiction; several versions of one
    pack may be in force at different dates."""

    def __init__(self, packs: list[Pack]):
        self.packs = list(packs)
        self._by_prefix: dict[str, list[Pack]] = {}
        for pack in self.packs:
            self._by_prefix.setdefault(pack.prefix, []).append(pack)
        for versions in self._by_prefix.values():
            versions.sort(key=lambda p: p.effective_from, reverse=True)
        self._prefix_lengths = sorted({len(p) for p in self._by_prefix}, reverse=True)

    def with_pack(self, pack: Pack) -> PackRegistry:
        """A registry where ``pack`` replaces the same id and version (a pack change)."""
        return PackRegistry([p for p in self.packs if (p.id, p.version) != (pack.id, pack.version)]
                            + [pack])

    def for_division(self, division_code: str, on: date) -> Pack | None:
        """The pack in force on ``on`` with the longest prefix of ``division_code``."""
        for n in self._prefix_lengths:
            for pack in self._by_prefix.get(division_code[:n], ()):
                if pack.in_force(on):
                    return pack
        return None

    def get(self, pack_id: str, version: str | None = None) -> Pack:
        found = [p for p in self.packs if p.id == pack_id
                 and (version is None or p.version == str(version))]
        if not found:
            raise NotFound("政策包不存在", pack=pack_id, version=version)
        return max(found, key=lambda p: p.effective_from)
