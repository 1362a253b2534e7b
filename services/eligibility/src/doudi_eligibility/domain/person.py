"""Who a person is, from their resident ID number and what departments say.

Pure: no framework, no storage. Birth date and sex come from the ID number;
a name that differs from the registered one is reported, not silently taken.

Facts are a dated history (what was known, from whom, valid when), never
overwritten: a later fact supersedes or ends an earlier one *from its date*.
:func:`snapshot` reads the history as of a date into :class:`PersonFacts`, the
only thing policy rules look at — so a decision can be replayed "as of" a date.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from doudi_common.errors import Invalid
from doudi_common.ids import (
    birth_date_from_id,
    mask_id_number,
    sex_from_id,
    validate_division_code,
    validate_id_number,
)
from doudi_contracts.vocabularies import label_or_code

HARDSHIP_STATUSES = ("tekun", "dibao", "low_income", "registered_poor", "expenditure_poor",
                     "fp_special", "orphan", "unsupported_child", "child_in_difficulty",
                     "stranded")
REGISTRATIONS = ("rural", "urban")
HOUSEHOLD_FLAGS = ("lives_alone", "no_spouse_or_children", "no_supporter",
                   "no_close_relatives", "depends_on_relatives", "guardian_unable",
                   "no_work_ability", "no_stable_income", "serious_illness",
                   "needs_long_term_care", "health_stable", "no_carer", "sudden_no_carer")
RELATIONSHIPS = ("spouse", "child", "parent", "sibling", "grandchild", "grandparent",
                 "guardian", "other")
INCOME_GROUPS = ("low", "lower_middle", "middle", "upper_middle", "high")


@dataclass(frozen=True)
class Identity:
    id_number: str
    name: str
    birth_date: date
    sex: str
    division_code: str


def identity_from(id_number: str, name: str, division_code: str,
                  birth_date: date | None = None, sex: str | None = None) -> Identity:
    id_number = validate_id_number(id_number)
    masked = mask_id_number(id_number)
    born, real_sex = birth_date_from_id(id_number), sex_from_id(id_number)
    if birth_date is not None and birth_date != born:
        raise Invalid("出生日期与身份证号码不一致", field="birth_date", id_number=masked)
    if sex is not None and sex != real_sex:
        raise Invalid("性别与身份证号码不一致", field="sex", id_number=masked)
    name = (name or "").strip()
    if not name:
        raise Invalid("姓名不能为空", field="name", id_number=masked)
    return Identity(id_number=id_number, name=name, birth_date=born, sex=real_sex,
                    division_code=validate_division_code(division_code))


@dataclass(frozen=True)
class Fact:
    """One dated fact about a person, as a department (or a clerk) reported it."""

    kind: str
    source: str
    valid_from: date | None
    valid_until: date | None
    payload: dict[str, Any] = field(default_factory=dict)
    source_event_id: str | None = None
    seq: int = 0  # storage order: the last tie-break
    # when the reporter said it (a department event's time; when a clerk
    # recorded it): ties on valid_from are broken by it, so the history reads
    # the same whatever order events were delivered and applied in
    reported_at: datetime | None = None


# -- facts from department events --------------------------------------------------

def _d(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def fact_from_event(source: str, event_type: str, event_id: str, data: dict[str, Any],
                    reported_at: Any = None) -> Fact:
    """A validated department event -> the fact it tells about a person;
    ``reported_at`` is the event's time (CloudEvents ``time``)."""
    fact = _fact_of(source, event_type, event_id, data)
    if reported_at is None:
        return fact
    moment = reported_at if isinstance(reported_at, datetime) else \
        datetime.fromisoformat(str(reported_at))
    return replace(fact, reported_at=moment)


def _fact_of(source: str, event_type: str, event_id: str, data: dict[str, Any]) -> Fact:
    key = (source, event_type)
    if key in {("cdpf", "certificate.issued"), ("cdpf", "certificate.changed")}:
        return Fact("disability_certificate", "cdpf", _d(data["issued_on"]),
                    _d(data.get("valid_until")),
                    {k: data[k] for k in ("certificate_no", "category", "grade") if k in data},
                    event_id)
    if key == ("cdpf", "certificate.revoked"):
        return Fact("disability_certificate_revoked", "cdpf", _d(data["revoked_on"]), None,
                    {"certificate_no": data["certificate_no"], "reason": data["reason"]},
                    event_id)
    if key == ("health", "assessment.completed"):
        return Fact("incapacity_assessment", "health", _d(data["assessed_on"]),
                    _d(data["valid_until"]),
                    {k: data[k] for k in ("assessment_id", "standard", "level",
                                          "incapacity_level", "assessor_uscc")}, event_id)
    if key in {("health", "infection.flagged"), ("health", "infection.cleared")}:
        kind = "infection_flagged" if event_type.endswith("flagged") else "infection_cleared"
        return Fact(kind, "health", _d(data["on"]), None,
                    {"disease_code": data["disease_code"]}, event_id)
    if key in {("health", "hospital.admitted"), ("health", "hospital.discharged")}:
        kind = "hospital_admitted" if event_type.endswith("admitted") else "hospital_discharged"
        return Fact(kind, "health", _d(data["on"]), None,
                    {"hospital_uscc": data["hospital_uscc"]}, event_id)
    if key == ("health", "person.deceased"):
        return Fact("death", "health", _d(data["date_of_death"]), None, {}, event_id)
    raise KeyError(key)


def hardship_fact(status: str, source: str, valid_from: Any, valid_until: Any = None,
                  note: str | None = None) -> Fact:
    if status not in HARDSHIP_STATUSES:
        raise Invalid("困难类别不存在", field="status", status=status)
    start, end = _d(valid_from), _d(valid_until)
    if start is None:
        raise Invalid("困难身份须有起始日期", field="valid_from")
    if end is not None and end < start:
        raise Invalid("困难身份的截止日期早于起始日期", field="valid_until")
    payload = {"status": status} | ({"note": note} if note else {})
    return Fact("hardship", source or "civil_affairs", start, end, payload)


def hardship_ended_fact(status: str, source: str, ended_on: Any,
                        reason: str | None = None) -> Fact:
    if status not in HARDSHIP_STATUSES:
        raise Invalid("困难类别不存在", field="status", status=status)
    return Fact("hardship_ended", source or "civil_affairs", _d(ended_on), None,
                {"status": status} | ({"reason": reason} if reason else {}))


def household_fact(household: dict[str, Any], source: str = "clerk") -> Fact:
    data = dict(household)
    valid_from = _d(data.pop("valid_from", None))
    for flag in HOUSEHOLD_FLAGS:
        if flag in data and not isinstance(data[flag], bool):
            raise Invalid("家庭情况标志必须是布尔值", field=f"household.{flag}")
    members = data.get("members")
    if members is not None:
        if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
            raise Invalid("家庭成员应为对象列表", field="household.members")
        checked = []
        for m in members:
            if not m.get("name") or m.get("relationship") not in RELATIONSHIPS:
                raise Invalid("家庭成员须有姓名和关系", field="household.members",
                              allowed=list(RELATIONSHIPS))
            member = dict(m)
            if member.get("id_number"):
                member["id_number"] = validate_id_number(member["id_number"])
            checked.append(member)
        data["members"] = checked
    assets = data.get("assets")
    if assets is not None and (not isinstance(assets, dict)
                               or not all(isinstance(v, bool) for v in assets.values())):
        raise Invalid("财产情况应为布尔标志", field="household.assets")
    group = data.get("income_group")
    if group is not None and group not in INCOME_GROUPS:
        raise Invalid("收入分组不存在", field="household.income_group", value=group)
    if data.get("income_per_head") is not None:
        from doudi_common.money import to_money
        data["income_per_head"] = str(to_money(data["income_per_head"]))
    return Fact("household", source, valid_from, None, data)


# -- registering again ----------------------------------------------------------

@dataclass(frozen=True)
class Reregistration:
    """What registering a known person again changes (``changes``: the columns),
    whether the change is news for other services (``announce``), and whether a
    department reported another name than the registered one (kept, not taken)."""

    changes: dict[str, Any]
    announce: bool
    name_differs: bool
    residence_changed: bool


def reregistration(current: dict[str, Any], identity: Identity, registration: str | None,
                   department: bool) -> Reregistration:
    """A department's name and division (CDPF's household registration) never
    silently replace what a clerk registered: a different name is reported and
    kept in the department's fact, and a division that only covers the
    registered one (``341502`` for ``341502001201``) changes nothing."""
    changes: dict[str, Any] = {}
    name_differs = current["name"] != identity.name
    if name_differs and not department:
        changes["name"] = identity.name
    if current["division_code"] != identity.division_code and not (
            department and current["division_code"].startswith(identity.division_code)):
        changes["division_code"] = identity.division_code
    if registration and current.get("registration") != registration:
        changes["registration"] = registration
    return Reregistration(
        changes=changes, announce="name" in changes or "division_code" in changes,
        name_differs=name_differs and department,
        residence_changed="division_code" in changes or "registration" in changes)


def residence_fact(identity: Identity, registration: str | None, previous: dict[str, Any],
                   source: str, on: date) -> Fact:
    """The move (or change of household registration) as a fact of its own."""
    return Fact("residence", source or "clerk", on, None,
                {"division_code": identity.division_code,
                 "registration": registration or previous.get("registration"),
                 "previous_division_code": previous["division_code"]})


def is_repeat(fact: Fact, recorded: list[tuple[Any, ...]], payload: dict[str, Any]) -> bool:
    """Whether ``fact`` (its payload as stored: ``payload``) is already the latest
    of its kind among ``recorded`` ((source, valid_from, valid_until, payload),
    newest first): registering the same household twice is no news. For a
    household only the latest counts."""
    for row in recorded:
        if tuple(row) == (fact.source, fact.valid_from, fact.valid_until, payload):
            return True
        if fact.kind == "household":
            return False
    return False


# -- the snapshot rules read ------------------------------------------------------

@dataclass(frozen=True)
class PersonFacts:
    """What is true of a person on ``on``, and which facts say so."""

    on: date
    birth_date: date
    division_code: str
    registration: str | None
    age: int
    hardship: frozenset[str]
    certificate: Fact | None
    assessment: Fact | None
    infections: frozenset[str]
    hospitalised: bool
    deceased: bool
    household: dict[str, Any]
    used: tuple[Fact, ...]

    @property
    def incapacity_level(self) -> str:
        """The assessed loss of self-care in force (``none`` without an assessment)."""
        return str(self.assessment.payload["incapacity_level"]) if self.assessment else "none"

    @property
    def severe_disability(self) -> bool:
        return self.certificate is not None and int(self.certificate.payload["grade"]) <= 2

    def attr(self, name: str) -> Any:
        """The attribute a rule names (see ``domain.rules``)."""
        if name.startswith("household."):
            return self.household.get(name.split(".", 1)[1])
        return ATTRIBUTES[name](self)


def _cert(attr: str) -> Callable[[PersonFacts], Any]:
    return lambda pf: pf.certificate.payload.get(attr) if pf.certificate else None


ATTRIBUTES: dict[str, Callable[[Any], Any]] = {
    "age": lambda pf: pf.age,
    "rural": lambda pf: pf.registration == "rural" if pf.registration else None,
    "registration": lambda pf: pf.registration,
    "hardship": lambda pf: pf.hardship,
    "disability.grade": lambda pf: int(pf.certificate.payload["grade"]) if pf.certificate
    else None,
    "disability.category": _cert("category"),
    "disability.severe": lambda pf: pf.severe_disability,
    "incapacity": lambda pf: pf.assessment.payload["incapacity_level"] if pf.assessment
    else None,
    "incapacity.standard": lambda pf: pf.assessment.payload["standard"] if pf.assessment
    else None,
    "incapacity.level": lambda pf: pf.assessment.payload["level"] if pf.assessment else None,
    # the assessor is a public institution: a credit code of a 事业单位 (GB 32100: "12…")
    "incapacity.public_assessor": lambda pf: str(pf.assessment.payload.get(
        "assessor_uscc") or "").startswith("12") if pf.assessment else None,
    "infection": lambda pf: bool(pf.infections),
    "hospitalised": lambda pf: pf.hospitalised,
    "deceased": lambda pf: pf.deceased,
    "income_group": lambda pf: pf.household.get("income_group"),
}


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


_NEVER = datetime.min.replace(tzinfo=UTC)


def _order(f: Fact) -> tuple[Any, ...]:
    return (f.valid_from or date.min, f.reported_at or _NEVER, f.seq)


def snapshot(birth_date: date, division_code: str, registration: str | None,
             facts: Iterable[Fact], on: date) -> PersonFacts:
    """Read the fact history as of ``on``. Deterministic: the same facts in any
    order give the same snapshot (ties on the date broken by when each was
    reported, then by storage order)."""
    facts = sorted((f for f in facts if f.valid_from is None or f.valid_from <= on), key=_order)

    def current(f: Fact) -> bool:
        return f.valid_until is None or on <= f.valid_until

    used: list[Fact] = []
    revocations = [f for f in facts if f.kind == "disability_certificate_revoked"]
    # the latest certificate issued by then is the one (a changed certificate
    # supersedes the earlier one); expired or revoked, there is none
    certs = [f for f in facts if f.kind == "disability_certificate"]
    certificate = certs[-1] if certs and current(certs[-1]) else None
    if certificate is not None and any(
            r.payload["certificate_no"] == certificate.payload["certificate_no"]
            and _order(r) >= _order(certificate) for r in revocations):
        # a revocation ends that certificate from its date; one issued later stands
        certificate = None
    if certificate is not None:
        used.append(certificate)
    used.extend(revocations)

    assessments = [f for f in facts if f.kind == "incapacity_assessment"]
    assessment = assessments[-1] if assessments and current(assessments[-1]) else None
    if assessment is not None:
        used.append(assessment)

    infections: dict[str, bool] = {}
    hospital = None
    death = None
    hardship_since: dict[str, Fact] = {}
    household: dict[str, Any] = {}
    household_fact_used = None
    for f in facts:
        if f.kind in ("infection_flagged", "infection_cleared"):
            infections[f.payload["disease_code"]] = f.kind == "infection_flagged"
            used.append(f)
        elif f.kind in ("hospital_admitted", "hospital_discharged"):
            hospital = f
        elif f.kind == "death":
            death = death or f
        elif f.kind == "hardship":
            if current(f):
                hardship_since[f.payload["status"]] = f
            else:
                hardship_since.pop(f.payload["status"], None)
        elif f.kind == "hardship_ended":
            ended = hardship_since.pop(f.payload["status"], None)
            if ended is not None:
                used.append(f)
        elif f.kind == "household":
            household = dict(f.payload)
            household_fact_used = f
    if hospital is not None:
        used.append(hospital)
    if death is not None:
        used.append(death)
    used.extend(hardship_since[s] for s in sorted(hardship_since))
    if household_fact_used is not None:
        used.append(household_fact_used)
    used.sort(key=_order)
    return PersonFacts(
        on=on, birth_date=birth_date, division_code=division_code, registration=registration,
        age=_age(birth_date, on), hardship=frozenset(hardship_since),
        certificate=certificate, assessment=assessment,
        infections=frozenset(code for code, active in infections.items() if active),
        hospitalised=hospital is not None and hospital.kind == "hospital_admitted",
        deceased=death is not None, household=household, used=tuple(used))


def summarise(fact: Fact) -> str:
    """A fact in a line of Chinese, its codes named (staff never read a code)."""
    p = fact.payload

    def zh(vocabulary: str, key: str) -> str:
        return str(label_or_code(vocabulary, p.get(key))) if p.get(key) is not None else ""

    texts: dict[str, Callable[[], str]] = {
        "disability_certificate": lambda: f"残疾人证 {zh('disability_categories', 'category')}"
                                          f" {zh('disability_grades', 'grade')}",
        "disability_certificate_revoked": lambda: f"残疾人证注销：{p.get('reason')}",
        "incapacity_assessment": lambda: f"失能评估 {zh('assessment_standards', 'standard')} "
                                         f"{p.get('level')}级"
                                         f"（{zh('incapacity_levels', 'incapacity_level')}）",
        "infection_flagged": lambda: f"传染病 {p.get('disease_code')}",
        "infection_cleared": lambda: f"传染病已解除 {p.get('disease_code')}",
        "hospital_admitted": lambda: "住院",
        "hospital_discharged": lambda: "出院",
        "death": lambda: "死亡",
        "hardship": lambda: f"困难身份：{zh('hardship', 'status')}",
        "hardship_ended": lambda: f"困难身份终止：{zh('hardship', 'status')}",
        "household": lambda: "家庭情况：" + ("、".join(
            label_or_code("household_flags", k) for k, v in sorted(p.items())
            if v is True) or "已登记"),
    }
    text = texts.get(fact.kind)
    return text() if text else str(label_or_code("fact_kinds", fact.kind))


def check_residence(division_code: str) -> None:
    """A person is registered where they live: a village or community (12 digits)."""
    if len(division_code) != 12:
        raise Invalid("居住地区划代码应为12位（村/社区）", field="division_code")


def check_ended_on(fact: Fact) -> Fact:
    if fact.valid_from is None:
        raise Invalid("须给出终止日期", field="ended_on")
    return fact
