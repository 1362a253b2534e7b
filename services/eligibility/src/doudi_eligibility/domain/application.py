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

from doudi_common.errors import Conflict, Forbidden, Invalid

from doudi_eligibility.domain.packs import Pack

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


def _before_township(pack: Pack) -> str:
    return "village_reviewed" if "village_review" in pack.chain else "submitted"


def _before_approve(pack: Pack) -> str:
    return "signed_off" if "department_signoff" in pack.chain else "township_checked"


def _approval(pack: Pack, today: date) -> dict:
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
               comment: str | None = None, data: dict | None = None) -> Transition:
    data = data or {}
    if action not in ACTIONS:
        raise Invalid("操作不存在", action=action)
    if role != "admin" and role not in ROLES[action]:
        raise Forbidden("当前角色无权执行此操作", action=action, role=role)
    if action not in next_actions(pack, app):
        raise Conflict("申请当前状态不允许此操作", state=app.state, action=action,
                       allowed=next_actions(pack, app))
    base = {"action": action, "from_state": app.state, "signoffs": dict(app.signoffs)}
    if action == "village_review":
        return Transition(to_state="village_reviewed", **base)
    if action == "township_check":
        visit, needs = data.get("home_visit"), data.get("needs_assessment")
        if not isinstance(visit, dict) or not visit.get("on") or not visit.get("by"):
            raise Invalid("乡镇初核须有入户调查记录（日期、调查人）", field="data.home_visit")
        if not isinstance(needs, dict) or not needs:
            raise Invalid("乡镇初核须有需求评估记录", field="data.needs_assessment")
        return Transition(to_state="township_checked", **base)
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


def check_consent(consent: Any, pack: Pack) -> dict:
    """The applicant's own wish (luan-2021 §二(二)2 and the pack's clause) is
    recorded with every application; none, no application."""
    if not isinstance(consent, dict) or consent.get("given") is not True:
        raise Invalid("须记录申请人本人（或监护人）自愿申请的意思表示", field="consent",
                      clause=pack.consent_clause or "luan-2021 §二(二)2")
    if not consent.get("by"):
        raise Invalid("须注明表示自愿的人（本人或监护人）", field="consent.by")
    return {"given": True, "by": str(consent["by"]), "on": consent.get("on"),
            "note": consent.get("note"), "clause": pack.consent_clause or "luan-2021 §二(二)2"}
