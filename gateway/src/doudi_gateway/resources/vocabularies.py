"""Vocabularies: every enumerated code the API accepts or returns, with its
Chinese (and English) label, in the order staff expect — from
``doudi_contracts.vocabularies``, plus the gateway's roles and permissions.
Public reference data: no token needed (a login page or an integrator reads
them before anything else)."""

from __future__ import annotations

from functools import cache
from typing import Any

from doudi_common.errors import NotFound
from doudi_contracts.vocabularies import VOCABULARIES

from doudi_gateway.blueprint import Blueprint
from doudi_gateway.permissions import PERMISSIONS, ROLES
from doudi_gateway.schemas.vocabularies import VocabularyIndexSchema, VocabularySchema

blp = Blueprint("vocabularies", __name__, url_prefix="/api/v1/vocabularies",
                description="代码与中文名称 (vocabularies)")


def _gateway_vocabularies() -> list[dict[str, Any]]:
    return [
        {"name": "roles", "title": "角色", "terms": [
            {"code": code, "label": label, "label_en": code.replace("_", " ")}
            for code, label in ROLES.items()]},
        {"name": "permissions", "title": "权限", "terms": [
            {"code": code, "label": label, "label_en": code}
            for code, label in PERMISSIONS.items()]},
    ]


@cache
def all_vocabularies() -> tuple[dict[str, Any], ...]:
    """Fixed reference data: built once per process (replies only read it)."""
    return tuple([v.as_dict() for v in VOCABULARIES.values()] + _gateway_vocabularies())


@blp.route("", methods=["GET"])
@blp.response(200, VocabularyIndexSchema)
def list_vocabularies():
    """Every vocabulary with all its terms."""
    items = all_vocabularies()
    return {"items": list(items), "total": len(items)}


@blp.route("/<name>", methods=["GET"])
@blp.response(200, VocabularySchema)
def get_vocabulary(name):
    """One vocabulary (``care_modes``, ``hardship``, ``application_states``, …)."""
    for vocabulary in all_vocabularies():
        if vocabulary["name"] == name:
            return vocabulary
    raise NotFound("没有这个词表", resource="vocabulary", name=str(name)[:64])
