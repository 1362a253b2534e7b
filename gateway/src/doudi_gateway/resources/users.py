"""Accounts: who is signed in (the portal's header and menus), and the users an
administrator manages — add, disable, enable, reset a password, unlock. Every
write is audited like any other; no reply ever carries a password or its hash."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app, g

from doudi_gateway.blueprint import Blueprint
from doudi_gateway.permissions import ROLE_PERMISSIONS, ROLES, requires
from doudi_gateway.resources.base import jsonable
from doudi_gateway.resources.divisions import describe
from doudi_gateway.schemas.users import (
    MeReply,
    NewUserSchema,
    PasswordSchema,
    UserListReply,
    UserReply,
)

blp = Blueprint("users", __name__, url_prefix="/api/v1",
                description="本人账号与用户管理 (users)")


def _store():
    return current_app.extensions["doudi_store"]


def user_reply(user: dict[str, Any]) -> dict[str, Any]:
    until = user.get("locked_until")
    if until is not None and until.tzinfo is None:
        until = until.replace(tzinfo=UTC)
    locked = until is not None and until > datetime.now(UTC)
    return jsonable({
        "username": user["username"], "display_name": user.get("display_name"),
        "role": user["role"], "jurisdiction": user["jurisdiction"] or "",
        "institution_id": user.get("institution_id"), "disabled": bool(user["disabled"]),
        "locked": locked, "locked_until": until if locked else None,
        "created_at": user["created_at"], "updated_at": user["updated_at"]})


@blp.route("/me", methods=["GET"])
@blp.response(200, MeReply)
@requires("account:read")
def me():
    """The signed-in user: name, role, jurisdiction (with its name) and permissions."""
    p = g.principal
    user = _store().get_user(p.username)
    where = p.jurisdiction
    return {"username": p.username, "display_name": user.get("display_name"),
            "role": p.role, "role_label": ROLES[p.role], "jurisdiction": where or "",
            "jurisdiction_name": describe(where)["full_name"] if where else "全部辖区",
            "institution_id": p.institution_id,
            "permissions": sorted(ROLE_PERMISSIONS[p.role])}


@blp.route("/users", methods=["GET"])
@blp.response(200, UserListReply)
@requires("users:manage")
def list_users():
    """Every user, by username."""
    items = [user_reply(u) for u in _store().list_users()]
    return {"items": items, "total": len(items)}


@blp.route("/users", methods=["POST"])
@blp.arguments(NewUserSchema)
@blp.response(201, UserReply)
@requires("users:manage")
def add_user(body):
    """Add a user with a role and a jurisdiction (institution staff: their
    institution); 409 when the username is taken."""
    user = _store().add_user(body["username"], body["password"], body["role"],
                             body.get("jurisdiction") or "",
                             institution_id=body.get("institution_id"),
                             display_name=body.get("display_name"))
    return user_reply(user), 201


@blp.route("/users/<username>/disable", methods=["POST"])
@blp.response(200, UserReply)
@requires("users:manage")
def disable_user(username):
    """Disable a user: their tokens stop working at once."""
    return user_reply(_store().set_disabled(username, True))


@blp.route("/users/<username>/enable", methods=["POST"])
@blp.response(200, UserReply)
@requires("users:manage")
def enable_user(username):
    """Enable a disabled user."""
    return user_reply(_store().set_disabled(username, False))


@blp.route("/users/<username>/unlock", methods=["POST"])
@blp.response(200, UserReply)
@requires("users:manage")
def unlock_user(username):
    """Clear a lockout after too many wrong passwords."""
    return user_reply(_store().unlock(username))


@blp.route("/users/<username>/password", methods=["POST"])
@blp.arguments(PasswordSchema)
@blp.response(200, UserReply)
@requires("users:manage")
def reset_password(body, username):
    """Set a new password; the user's sessions end."""
    return user_reply(_store().reset_password(username, body["password"]))
