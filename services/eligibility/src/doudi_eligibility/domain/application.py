"""The application state machine, driven by the pack's review chain.

States::

    submitted → village_reviewed → township_checked → (department sign-offs) → signed_off
      → in_notice (packs with 公示) → approved → enrolled
    any open state → rejected | withdrawn;  in_notice --object--> back before the township check

A pack's chain names the steps it has (``village_review``, ``township_check``,
``department_signoff``, ``approve``, ``public_notice``, ``sign_agreement``); a
step the pack does not have is skipped, never taken. Where the chain has no
county ``approve`` (puyang-2020 §七: the departments approve), the last
department sign-off is the approval. Pure: the caller stores the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from doudi_common.args import parse_date
from doudi_common.errors import Conflict, Forbidden, Invalid
from doudi_common.ids import mask_id_number, validate_id_number, validate_uscc
from doudi_contracts.vocabularies import label_or_code

from doudi_eligibility.domain.packs import CARE_MODES, Pack, PackRegistry

OPEN_STATES = ("submitted", "village_reviewed", "township_checked", "signed_off", "in_notice")
STATES = OPEN_STATES + ("approved", "enrolled", "rejected", "withdrawn")
ACTIONS = ("village_review", "township_check", "department_signoff", "approve", "reject",
           "object", "close_notice", "sign_agreement", "withdraw")
CHANNELS = ("clerk", "person", "guardian")
DOCUMENTS = ("household_register", "id_card", "disability_certificate", "poverty_proof",
             "income_proof", "assessment_report", "medical_record", "guardian_proof",
             "application_form", "needs_assessment_form", "other")

#: who may take each action (admin may do anything)
ROLES = {
    "village_review": {"village_clerk"},
    "township_check": {"township_officer"},
    "department_signoff": {"department_liaison", "county_officer"},
    "approve": {"county_officer"},
    "reject": {"village_clerk", "township_officer", "county_officer", "department_liaison"},
    "object": {"village_clerk", "township_officer", "county_officer"},
    "close_notice": {"village_clerk", "township_officer", "county_officer"},
    "sign_agreement": {"township_officer", "county_officer"},
    "withdraw": {"village_clerk", "township_officer", "county_officer", "person", "guardian"},
}


@dataclass(frozen=True)
class AppState:
    state: str
    signoffs: dict[str, Any] = field(default_factory=dict)
    notice_until: date | None = None
    documents: tuple[str, ...] = ()


@dataclass(frozen=True)
class Transition:
    action: str
    from_state: str
    to_state: str
    signoffs: dict[str, Any]
    notice_from: date | None = None
    notice_until: date | None = None
    approved: bool = False    # final approval reached (application.approved)
    rejected: bool = False
    enrolled: bool = False
    returned: bool = False    # objection sent the case back
    documents: tuple[str, ...] | None = None  # what the case holds after this step


def _before_township(pack: Pack) -> str:
    return "village_reviewed" if "village_review" in pack.chain else "submitted"


def _before_approve(pack: Pack) -> str:
    return "signed_off" if "department_signoff" in pack.chain else "township_checked"


def _approval(pack: Pack, today: date) -> dict[str, Any]:
    if "public_notice" in pack.chain:
        return {"to_state": "in_notice", "notice_from": today,
                "notice_until": today + timedelta(days=pack.notice_days - 1)}
    return {"to_state": "approved", "approved": True}


def next_actions(pack: Pack, app: AppState) -> list[str]:
    s = app.state
    out = []
    if s == "submitted" and "village_review" in pack.chain:
        out.append("village_review")
    if s == _before_township(pack):
        out.append("township_check")
    if s == "township_checked" and "department_signoff" in pack.chain:
        out.append("department_signoff")
    if "approve" in pack.chain and s == _before_approve(pack):
        out.append("approve")
    if s == "in_notice":
        out += ["object", "close_notice"]
    if s in OPEN_STATES:
        out.append("reject")
    if s == "approved":
        out.append("sign_agreement")
    if s in OPEN_STATES or s == "approved":
        out.append("withdraw")
    return out


def transition(pack: Pack, app: AppState, action: str, role: str, today: date,
               comment: str | None = None, data: dict[str, Any] | None = None) -> Transition:
    data = data or {}
    if action not in ACTIONS:
        raise Invalid("操作不存在", action=action)
    if role != "admin" and role not in ROLES[action]:
        raise Forbidden("当前角色无权执行此操作", action=action, role=role)
    if action not in next_actions(pack, app):
        raise Conflict("申请当前状态不允许此操作", state=app.state, action=action,
                       allowed=next_actions(pack, app))
    base: dict[str, Any] = {"action": action, "from_state": app.state,
                            "signoffs": dict(app.signoffs)}
    if action == "village_review":
        return Transition(to_state="village_reviewed", **base)
    if action == "township_check":
        visit, needs = data.get("home_visit"), data.get("needs_assessment")
        if not isinstance(visit, dict) or not visit.get("on") or not visit.get("by"):
            raise Invalid("乡镇初核须有入户调查记录（日期、调查人）", field="data.home_visit")
        if not isinstance(needs, dict) or not needs:
            raise Invalid("乡镇初核须有需求评估记录", field="data.needs_assessment")
        documents = check_documents_held(pack, app.documents, data.get("documents"))
        return Transition(to_state="township_checked", documents=documents, **base)
    if action == "department_signoff":
        dept = data.get("department")
        if dept not in pack.signoff_departments:
            raise Invalid("该部门不在本政策的会签部门之列", field="data.department",
                          department=dept, allowed=list(pack.signoff_departments))
        if dept in app.signoffs:
            raise Conflict("该部门已会签", department=dept, state=app.state)
        signoffs = {**app.signoffs, dept: {"on": today.isoformat(), "comment": comment}}
        base["signoffs"] = signoffs
        if set(signoffs) != set(pack.signoff_departments):
            return Transition(to_state="township_checked", **base)
        if "approve" in pack.chain:
            return Transition(to_state="signed_off", **base)
        return Transition(**base, **_approval(pack, today))
    if action == "approve":
        return Transition(**base, **_approval(pack, today))
    if action == "reject":
        if not comment or not comment.strip():
            raise Invalid("驳回须说明理由", field="comment")
        return Transition(to_state="rejected", rejected=True, **base)
    if action == "object":
        if not comment or not comment.strip():
            raise Invalid("异议须说明内容", field="comment")
        base["signoffs"] = {}
        return Transition(to_state=_before_township(pack), returned=True, **base)
    if action == "close_notice":
        if app.notice_until is not None and today <= app.notice_until:
            raise Conflict("公示期尚未结束", state=app.state,
                           notice_until=app.notice_until.isoformat())
        return Transition(to_state="approved", approved=True, **base)
    if action == "sign_agreement":
        return Transition(to_state="enrolled", enrolled=True, **base)
    if action == "withdraw":
        return Transition(to_state="withdrawn", **base)
    raise AssertionError(action)  # pragma: no cover


def check_documents_held(pack: Pack, filed: tuple[str, ...], added: Any) -> tuple[str, ...]:
    """The documents the case holds after the township's check (those filed plus
    any it collected); the pack's required ones must all be there before the
    case passes the township (puyang-2020 §七: 户口本、残疾人证、身份证、贫困证明)."""
    if added is not None and (not isinstance(added, list) or any(
            d not in DOCUMENTS for d in added)):
        raise Invalid("申请材料类别不存在", field="data.documents", allowed=list(DOCUMENTS))
    held = tuple(dict.fromkeys([*filed, *(added or [])]))
    missing = [d for d in pack.required_documents if d not in held]
    if missing:
        names = "、".join(str(label_or_code("application_documents", d)) for d in missing)
        raise Invalid(f"缺少申请材料：{names}（{pack.documents_clause}）", field="data.documents",
                      missing=missing, clause=pack.documents_clause)
    return held


def check_consent(consent: Any, pack: Pack) -> dict[str, Any]:
    """The applicant's own wish (luan-2021 §二(二)2 and the pack's clause) is
    recorded with every application; none, no application."""
    if not isinstance(consent, dict) or consent.get("given") is not True:
        raise Invalid("须记录申请人本人（或监护人）自愿申请的意思表示", field="consent",
                      clause=pack.consent_clause or "luan-2021 §二(二)2")
    if not consent.get("by"):
        raise Invalid("须注明表示自愿的人（本人或监护人）", field="consent.by")
    return {"given": True, "by": str(consent["by"]), "on": consent.get("on"),
            "note": consent.get("note"), "clause": pack.consent_clause or "luan-2021 §二(二)2"}


# -- filing ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Filing:
    """An application as filed, checked."""

    care_mode: str
    pack: Pack
    submitted_on: date
    consent: dict[str, Any]
    channel: str
    documents: list[str]
    submitted_by: str
    submitted_role: str
    institution_uscc: str | None
    caregiver: dict[str, Any] | None
    comment: str | None


def check_filing(application: dict[str, Any], person: dict[str, Any],
                 registry: PackRegistry, today: date) -> Filing:
    """Everything an application must be before it is filed that the
    application itself shows: a living person, a date not in the future, a care
    mode the person's jurisdiction's pack offers, the applicant's own wish, a
    known channel and documents, who submitted it, a valid institution and
    caregiver. (Whether the person qualifies, and whether there already is one,
    the caller checks with ``require_mode_for_filing`` and ``check_no_duplicate``.)"""
    masked = mask_id_number(person["id_number"])
    if person.get("deceased_on"):
        raise Conflict("该人员已死亡", id_number=masked)
    submitted_on = parse_date(application.get("submitted_on"), "submitted_on", today)
    assert submitted_on is not None
    if submitted_on > today:
        raise Invalid("申请日期不能晚于今天", field="submitted_on")
    care_mode = application.get("care_mode")
    if care_mode not in CARE_MODES:
        raise Invalid("照护方式不存在", field="care_mode", care_mode=care_mode)
    pack = registry.for_division(person["division_code"], submitted_on)
    if pack is None:
        raise Invalid("该区划无适用的政策", field="id_number", id_number=masked)
    if care_mode not in pack.modes:
        raise Invalid("本地政策不提供该照护方式", field="care_mode", care_mode=care_mode,
                      policy_pack=pack.id, allowed=sorted(pack.modes))
    consent = check_consent(application.get("consent"), pack)
    channel = application.get("channel") or "clerk"
    if channel not in CHANNELS:
        raise Invalid("申请渠道不存在", field="channel", allowed=list(CHANNELS))
    documents = application.get("documents") or []
    if not isinstance(documents, list) or any(d not in DOCUMENTS for d in documents):
        raise Invalid("申请材料类别不存在", field="documents", allowed=list(DOCUMENTS))
    submitted_by = application.get("submitted_by")
    submitted_role = application.get("submitted_role") or (
        channel if channel != "clerk" else "village_clerk")
    if not submitted_by:
        raise Invalid("须注明提交人", field="submitted_by")
    institution = application.get("institution_uscc")
    institution = validate_uscc(institution) if institution else None
    caregiver = application.get("caregiver")
    if caregiver is not None and not isinstance(caregiver, dict):
        raise Invalid("照护人信息应为对象", field="caregiver")
    if caregiver and caregiver.get("id_number"):
        caregiver = {**caregiver, "id_number": validate_id_number(caregiver["id_number"])}
    if care_mode == "neighbor" and pack.caregiver_clause:
        check_caregiver(pack, person, caregiver)
    return Filing(care_mode=str(care_mode), pack=pack, submitted_on=submitted_on,
                  consent=consent, channel=channel, documents=documents,
                  submitted_by=str(submitted_by), submitted_role=str(submitted_role),
                  institution_uscc=institution,
                  caregiver=caregiver, comment=application.get("comment"))


def check_caregiver(pack: Pack, person: dict[str, Any], caregiver: dict[str, Any] | None
                    ) -> None:
    """puyang-2020 §五 居家邻里照护服务人员的确认要遵从残疾人本人和照护服务人员家庭的双向选择
    意愿，选择和残疾人有亲戚关系且居住较近、身体健康、有责任心和爱心的本村居民，贫困户优先，
    特殊情况也可以到外村亲戚家居住; §七 申请享受居家邻里照护服务的残疾人还要同时申报照护服务人员
    的基本情况: a neighbour-care application names a caregiver who is a relative,
    healthy, has agreed, and lives in the person's village — or the person moves in
    with the relative elsewhere. (Being a poor household is a priority, not a bar.)"""
    clause = pack.caregiver_clause
    if not caregiver or not caregiver.get("id_number") or not caregiver.get("name"):
        raise Invalid(f"邻里照护须申报照护服务人员（姓名、身份证号）（{clause}）",
                      field="caregiver.id_number", clause=clause)
    if caregiver["id_number"] == person["id_number"]:
        raise Invalid("照护服务人员不能是本人", field="caregiver.id_number", clause=clause)
    checks = (("relationship", bool(str(caregiver.get("relationship") or "").strip()),
               "照护服务人员须与本人有亲戚关系（请填写关系）"),
              ("healthy", caregiver.get("healthy") is True, "照护服务人员须身体健康"),
              ("agrees", caregiver.get("agrees") is True,
               "须本人与照护服务人员家庭双向选择（照护服务人员同意）"))
    for name, ok, message in checks:
        if not ok:
            raise Invalid(f"{message}（{clause}）", field=f"caregiver.{name}", clause=clause)
    village = str(caregiver.get("village_code") or "")
    if village != person["division_code"] and caregiver.get("moves_in") is not True:
        raise Invalid(f"照护服务人员应为本村居民；到外村亲戚家居住的须注明（{clause}）",
                      field="caregiver.village_code", clause=clause)


def check_agreement(pack: Pack, care_mode: str, data: dict[str, Any]) -> None:
    """puyang-2020 §七 申请享受居家邻里照护服务的残疾人……并签订照护协议: neighbour care
    starts only with the care agreement's number."""
    if care_mode == "neighbor" and pack.agreement_clause and \
            not str(data.get("agreement_no") or "").strip():
        raise Invalid(f"须签订照护协议并填写协议编号（{pack.agreement_clause}）",
                      field="data.agreement_no", clause=pack.agreement_clause)


def check_exclusive_modes(pack: Pack, care_mode: str, active_modes: list[str]) -> None:
    """A mode whose clause keeps it apart from others (puyang-2020 §四(二): day care is
    for those 未享受居家邻里照护 and not in an institution) is neither filed for while
    the person receives one of those, nor one of those while in it."""
    spec = pack.modes.get(care_mode)
    for active in active_modes:
        other = pack.modes.get(active)
        if spec and active in spec.excludes:
            clause = spec.excludes_clause
        elif other and care_mode in other.excludes:
            clause = other.excludes_clause
        else:
            continue
        raise Conflict(f"{label_or_code('care_modes', care_mode)}与正在享受的"
                       f"{label_or_code('care_modes', active)}不能同时享受（{clause}）",
                       field="care_mode", active_care_mode=active, clause=clause)


def check_no_duplicate(open_application_id: str | None, active_enrolment_id: str | None) -> None:
    """One open (or approved) application and one active enrolment per person
    and care mode."""
    if open_application_id is not None:
        raise Conflict("该人员已有同一照护方式的在办申请", application_id=open_application_id)
    if active_enrolment_id is not None:
        raise Conflict("该人员已在享受该照护方式", enrolment_id=active_enrolment_id)


def application_number(county: str, year: int, number: int) -> str:
    return f"APP-{county}-{year}-{number:05d}"


def decision_number(year: int, number: int) -> str:
    return f"DEC-{year}-{number:06d}"


def enrolment_number(year: int, number: int) -> str:
    return f"ENR-{year}-{number:06d}"


def check_division_code(code: Any, field: str = "division_code") -> str:
    """A county (6 digits), township (9) or village (12) code a list is for."""
    text = str(code or "").strip()
    if not text.isdigit() or len(text) not in (6, 9, 12):
        raise Invalid("区划代码应为6/9/12位数字", field=field)
    return text


def check_notice_period(township_code: Any, date_from: Any,
                        date_to: Any) -> tuple[str, date, date]:
    """The township (or county/village) and period of a public-notice list."""
    code = check_division_code(township_code, "township_code")
    start, end = parse_date(date_from, "date_from"), parse_date(date_to, "date_to")
    if start is None or end is None or end < start:
        raise Invalid("须给出公示期间（起止日期）", field="date_from")
    return code, start, end


def check_alive(person: dict[str, Any]) -> None:
    """No agreement is signed for someone who has died."""
    if person.get("deceased_on"):
        raise Conflict("该人员已死亡", id_number=mask_id_number(person["id_number"]))


def check_states(statuses: list[str]) -> None:
    if any(x not in STATES for x in statuses):
        raise Invalid("申请状态不存在", field="status", allowed=list(STATES))
