"""What every resource uses: the caller, jurisdiction scope, masking,
pagination, ETags, idempotency keys and full-read audit marks."""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

from doudi_common.errors import Forbidden, NotFound
from doudi_common.ids import division_within, mask_id_number, mask_phone
from flask import Response, current_app, g, request

from doudi_gateway.permissions import allowed
from doudi_gateway.problems import problem


def principal():
    return g.principal


def rpc(service: str, method: str, *args: Any, **kwargs: Any) -> Any:
    return current_app.extensions["doudi_rpc"].call(service, method, *args, **kwargs)


# -- jurisdiction ---------------------------------------------------------------

def in_scope(division_code: str | None) -> bool:
    p = principal()
    if p.jurisdiction == "":
        return True
    return bool(division_code) and division_within(division_code, p.jurisdiction)


def scope_read(item: dict, what: str = "资源", division_key: str = "division_code",
               institution_key: str | None = None) -> dict:
    """A single item outside the caller's scope does not exist for them (404)."""
    if not in_scope(item.get(division_key)) or not _institution_ok(item, institution_key):
        raise NotFound(f"未找到该{what}", resource=what)
    return item


def scope_action(item: dict, what: str = "资源", division_key: str = "division_code",
                 institution_key: str | None = None) -> dict:
    """Acting on something outside the caller's scope is forbidden (403)."""
    if not in_scope(item.get(division_key)) or not _institution_ok(item, institution_key):
        raise Forbidden(f"该{what}不在您的辖区内", code="out_of_jurisdiction")
    return item


def require_division(division_code: str | None) -> None:
    """Creating something: its division must lie inside the caller's jurisdiction."""
    if not in_scope(division_code):
        raise Forbidden("行政区划不在您的辖区内", field="division_code",
                        reason="out_of_jurisdiction")


def _institution_ok(item: dict, key: str | None) -> bool:
    p = principal()
    if p.role != "institution_staff" or key is None:
        return True
    return str(item.get(key) or "") == str(p.institution_id or "")


# -- privacy --------------------------------------------------------------------

SENSITIVE = {"id_number": mask_id_number, "phone": mask_phone, "contact_phone": mask_phone,
             "guardian_phone": mask_phone, "guardian_id_number": mask_id_number}


def _masker(key: str):
    """How a field of that name is masked: ``id_number`` and every
    ``<who>_id_number`` (a provider's, a caregiver's, a payee's) as an ID number,
    phones as phones; None for other fields."""
    if key in SENSITIVE:
        return SENSITIVE[key]
    return mask_id_number if key.endswith("_id_number") else None


def mask(value: Any) -> Any:
    """Mask ID and phone numbers anywhere in a JSON-ready structure; a record
    about a person (``id_number`` beside ``id_number_masked``) also gets the
    person's sealed reference (``person_ref``) for links to their page."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            masker = _masker(k)
            out[k] = masker(v) if masker and isinstance(v, str) and v else mask(v)
        return with_ref(value, out)
    if isinstance(value, list):
        return [mask(v) for v in value]
    return value


def person_ref(id_number: str) -> str:
    return current_app.extensions["doudi_person_refs"].seal(id_number)


def with_ref(record: dict, out: dict | None = None) -> dict:
    """``out`` (default: the record) with the person's ``person_ref`` when the
    record is about a person whose full ID number it holds."""
    out = record if out is None else out
    subject = record.get("id_number")
    if "id_number_masked" in record and isinstance(subject, str) and len(subject) == 18 \
            and "*" not in subject:
        out = {**out, "person_ref": person_ref(subject)}
    return out


def can_see_full() -> bool:
    return allowed(principal().role, "persons:read_full")


def audit_full_read(resource_id: str | None, id_number: str | None = None) -> None:
    """This request reads a full (unmasked) record: the audit entry is written
    before the record leaves (503 if it cannot be)."""
    from doudi_common.errors import TransientError

    from doudi_gateway.observe import begin_audit

    if g.get("audit_entry_id") is not None:  # a write that also shows the full record
        g.audit = {**(g.get("audit") or {}), "full_record": True}
        return
    g.audit = {"action": "person.read_full", "resource_id": resource_id}
    g.audit_subject = id_number
    try:
        begin_audit("person.read_full", resource_id)
    except Exception as exc:
        raise TransientError("审计记录暂不可用，无法显示完整信息") from exc


def etag_of(representation: Any) -> str:
    raw = json.dumps(representation, sort_keys=True, ensure_ascii=False, default=str)
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def check_if_match(current: Any) -> None:
    """412 when If-Match names another version than the current one."""
    header = request.headers.get("If-Match")
    if not header or header.strip() == "*":
        return
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    if etag_of(current) not in tags:
        from werkzeug.exceptions import PreconditionFailed

        raise PreconditionFailed("资源已被他人修改，请重新读取后再提交 (If-Match)")


# -- Idempotency-Key ------------------------------------------------------------

def idempotent(fn):
    """Honour ``Idempotency-Key`` on a creating POST: the same key and body
    replay the first answer; the same key with another body is 422; a key
    whose first request is still running is 409."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if not key:
            return fn(*args, **kwargs)
        if len(key) > 128:
            return problem(422, "Idempotency-Key 过长（最多 128 字符）", code="invalid",
                           errors={"headers": {"Idempotency-Key": ["too long"]}})
        store = current_app.extensions["doudi_store"]
        user = principal().username
        body_hash = hashlib.sha256(request.get_data() or b"").hexdigest()
        if not store.idem_claim(user, key, request.method, request.path, body_hash):
            seen = store.idem_get(user, key) or {}
            if seen.get("body_hash") != body_hash or seen.get("path") != request.path:
                return problem(422, "同一 Idempotency-Key 不能用于不同的请求",
                               code="idempotency_key_reused")
            if seen.get("status") is None:
                return problem(409, "相同 Idempotency-Key 的请求正在处理", code="in_progress",
                               headers={"Retry-After": "1"})
            resp = Response(seen["response"], status=seen["status"],
                            headers=seen.get("headers") or {})
            resp.headers["Idempotent-Replayed"] = "true"
            return resp
        try:
            resp = current_app.make_response(fn(*args, **kwargs))
        except BaseException:
            store.idem_release(user, key)
            raise
        if resp.status_code >= 500:
            store.idem_release(user, key)
        else:
            headers = {k: v for k, v in resp.headers.items()
                       if k in ("Content-Type", "Location", "ETag")}
            store.idem_store(user, key, resp.status_code, resp.get_data(as_text=True), headers)
        return resp

    wrapper._doudi_idempotent = True
    return wrapper
