"""Authentication (bearer JWT, refresh tokens, lockout, rate limit) and the
per-request permission check.

* ``POST /api/v1/auth/token`` {username, password} → access token (HS256 JWT,
  ``ACCESS_TTL`` seconds) + one-use refresh token (``REFRESH_TTL``), signed with
  the current key and carrying its ``kid``; every key of the set verifies, so a
  key is rotated with no downtime (``KeySet``).
* ``POST /api/v1/auth/refresh`` {refresh_token} → a new pair; the old refresh
  token is spent.
* After ``LOCKOUT_FAILURES`` wrong passwords an account is locked for
  ``LOCKOUT_SECONDS`` (423 with ``Retry-After``). The token endpoint is rate
  limited per client address (429), in one window for the whole deployment
  when ``RATE_LIMIT_STORAGE`` is Redis.
* Every other ``/api/v1`` endpoint needs ``Authorization: Bearer <token>`` (401
  otherwise); a token dies with its user's password reset or disabling.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import jwt
from doudi_common.logs import get_logger
from flask import current_app, g, request
from marshmallow import Schema, fields, validate
from prometheus_client import Counter

from doudi_gateway.blueprint import Blueprint
from doudi_gateway.bodies import body_problem
from doudi_gateway.permissions import allowed
from doudi_gateway.problems import problem
from doudi_gateway.store import utcnow

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth",
                description="登录与令牌 (authentication)")

#: endpoints that need no token
PUBLIC_ENDPOINTS = {"auth.token", "auth.refresh", "api-docs.openapi_json",
                    "api-docs.openapi_swagger_ui", "docs_assets.swagger_ui_asset",
                    "docs_assets.docs", "vocabularies.list_vocabularies",
                    "vocabularies.get_vocabulary", "divisions.get_division",
                    "divisions.division_children",
                    "ops.healthz", "ops.readyz", "metrics", "static", "portal.page",
                    "portal.asset"}

ALGORITHM = "HS256"

log = get_logger(__name__)

RATE_LIMIT_ERRORS = Counter(
    "doudi_gateway_rate_limit_storage_errors_total",
    "Login attempts let through because the rate limit's shared storage failed")


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    role: str
    jurisdiction: str
    institution_id: str | None


class TokenSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256),
                             load_only=True)


class RefreshSchema(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=2048))


class TokenReplySchema(Schema):
    access_token = fields.String(required=True, metadata={
        "description": "访问令牌 (JWT)：请求时放在 Authorization: Bearer 后"})
    token_type = fields.String(required=True, metadata={"example": "Bearer",
                                                        "description": "令牌类型，固定为 Bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "访问令牌有效期（秒）"})
    refresh_token = fields.String(required=True, metadata={
        "description": "刷新令牌：访问令牌过期后换取新令牌（只能用一次）"})
    refresh_expires_in = fields.Integer(required=True, metadata={
        "description": "刷新令牌有效期（秒）"})
    role = fields.String(required=True, metadata={
        "description": "角色（代码，中文名称见 /api/v1/vocabularies/roles）"})
    jurisdiction = fields.String(required=True, metadata={
        "description": "辖区的区划代码；空字符串为全部"})
    institution_id = fields.String(required=True, allow_none=True, metadata={
        "description": "机构工作人员所属机构的统一社会信用代码；其他角色为 null"})


class RateLimiter:
    """A sliding window per key (client address) over the ``limits`` library's
    storage: ``memory://`` (the default: one process) or ``redis://host:port/db``
    — one window for every worker and pod of the deployment. Should the shared
    storage fail, the attempt is let through and the failure logged and counted
    (the lockout in the database still guards each account)."""

    def __init__(self, limit: int, window: float, storage_uri: str = "memory://",
                 namespace: str = "doudi-login"):
        from limits import RateLimitItemPerSecond, storage, strategies

        self.limit, self.window = limit, window
        self.storage_uri = storage_uri
        self._item = RateLimitItemPerSecond(limit, max(1, int(window)), namespace=namespace)
        self._limiter = strategies.MovingWindowRateLimiter(
            storage.storage_from_string(storage_uri))

    def hit(self, key: str) -> float | None:
        """None if allowed, else seconds until the next attempt may pass."""
        try:
            if self._limiter.hit(self._item, key):
                return None
            reset = self._limiter.get_window_stats(self._item, key).reset_time
        except Exception as exc:  # noqa: BLE001 - a storage outage must not stop logins
            log.warning("login rate limit storage unavailable; attempt let through",
                        storage=_redacted(self.storage_uri), error=type(exc).__name__)
            RATE_LIMIT_ERRORS.inc()
            return None
        return max(0.0, reset - time.time())


def _redacted(uri: str) -> str:
    """A storage URI without its password."""
    head, sep, tail = uri.rpartition("@")
    return f"{head.split('://')[0]}://***@{tail}" if sep else uri


@dataclass(frozen=True)
class KeySet:
    """Token keys by key id: ``current`` signs (its kid in the token's header),
    every one verifies; ``legacy`` verifies tokens that carry no kid (issued
    before kids) — and is, for continuity, the audit key when none is set."""

    keys: dict[str, str]
    current: str
    legacy: str | None = None

    @classmethod
    def parse(cls, listed: str, current: str | None, legacy: str | None = None) -> KeySet:
        keys: dict[str, str] = {}
        for entry in (e.strip() for e in listed.split(",") if e.strip()):
            kid, sep, secret = entry.partition(":")
            if not sep or not kid.strip() or not secret.strip():
                raise RuntimeError("DOUDI_JWT_KEYS: each key is kid:secret")
            if kid.strip() in keys:
                raise RuntimeError(f"DOUDI_JWT_KEYS: key id {kid.strip()} twice")
            keys[kid.strip()] = secret.strip()
        chosen = current or next(iter(keys))
        if chosen not in keys:
            raise RuntimeError(f"DOUDI_JWT_KID {chosen} is not in DOUDI_JWT_KEYS")
        return cls(keys, chosen, legacy)

    @property
    def signing(self) -> str:
        return self.keys[self.current]

    def verifying(self, token: str) -> str | None:
        """The key that verifies ``token`` (by its kid), or None: an unknown or
        removed kid is refused."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError:
            return None
        if kid is None:
            return self.legacy
        return self.keys.get(kid) if isinstance(kid, str) else None


def _cfg(name: str, default):
    return type(default)(current_app.config["DOUDI"].get(name, default))


def issue_tokens(user: dict) -> dict:
    """Access + refresh token for a user row (also used by tests)."""
    store = current_app.extensions["doudi_store"]
    keys: KeySet = current_app.extensions["doudi_jwt_keys"]
    secret, headers = keys.signing, {"kid": keys.current}
    now = utcnow()
    access_ttl, refresh_ttl = _cfg("ACCESS_TTL", 900), _cfg("REFRESH_TTL", 28800)
    claims = {"sub": user["username"], "uid": user["id"], "role": user["role"],
              "jur": user["jurisdiction"], "inst": user["institution_id"],
              "epoch": user["token_epoch"], "typ": "access", "iat": now,
              "exp": now + timedelta(seconds=access_ttl), "jti": uuid.uuid4().hex}
    jti = uuid.uuid4().hex
    refresh_exp = now + timedelta(seconds=refresh_ttl)
    store.add_refresh(jti, user["id"], refresh_exp)
    refresh = {"sub": user["username"], "uid": user["id"], "typ": "refresh", "iat": now,
               "exp": refresh_exp, "jti": jti, "epoch": user["token_epoch"]}
    return {"access_token": jwt.encode(claims, secret, algorithm=ALGORITHM, headers=headers),
            "token_type": "Bearer", "expires_in": access_ttl,
            "refresh_token": jwt.encode(refresh, secret, algorithm=ALGORITHM, headers=headers),
            "refresh_expires_in": refresh_ttl, "role": user["role"],
            "jurisdiction": user["jurisdiction"], "institution_id": user["institution_id"]}


_DECODED: dict[str, tuple[KeySet, dict]] = {}
_DECODED_MAX = 20000


def _decode(token: str, typ: str) -> dict | None:
    """The token's claims, or None. A token that verified once is remembered
    (with the key set that verified it) until its ``exp``: the signature and
    claims cannot change, so only the expiry is checked again — not even its
    header is read again; a new key set (rotation) verifies afresh. Whether the
    user is still allowed in is checked on every request by the caller."""
    keys: KeySet = current_app.extensions["doudi_jwt_keys"]
    hit = _DECODED.get(token)
    if hit is not None and hit[0] is keys and time.time() < hit[1]["exp"]:
        return dict(hit[1]) if hit[1].get("typ") == typ else None
    secret = keys.verifying(token)
    if secret is None:
        return None
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM],
                            options={"require": ["exp", "iat", "sub", "uid", "typ"]})
    except jwt.PyJWTError:
        return None
    if isinstance(claims.get("exp"), int | float):
        if len(_DECODED) >= _DECODED_MAX:
            _DECODED.clear()
        _DECODED[token] = (keys, dict(claims))
    return claims if claims.get("typ") == typ else None


def _client_addr() -> str:
    return request.remote_addr or "unknown"


@blp.route("/token", methods=["POST"])
@blp.arguments(TokenSchema)
@blp.response(200, TokenReplySchema)
@blp.alt_response(401, description="用户名或密码错误")
@blp.alt_response(423, description="账户已锁定 (Retry-After)")
@blp.alt_response(429, description="请求过于频繁 (Retry-After)")
def token(body):
    """Log in with username and password; returns a bearer token."""
    g.audit = {"action": "auth.token", "username": body["username"]}
    limiter: RateLimiter = current_app.extensions["doudi_login_limiter"]
    wait = limiter.hit(_client_addr())
    if wait is not None:
        g.audit["outcome"] = "rate_limited"
        return problem(429, "登录尝试过于频繁，请稍后再试",
                       headers={"Retry-After": str(max(1, int(wait + 0.999)))},
                       code="rate_limited")
    store = current_app.extensions["doudi_store"]
    status, user, until = store.authenticate(
        body["username"], body["password"], _cfg("LOCKOUT_FAILURES", 5),
        timedelta(seconds=_cfg("LOCKOUT_SECONDS", 900)))
    if status == "locked":
        retry = max(1, int((until - utcnow()).total_seconds() + 0.999))
        return problem(423, "连续登录失败次数过多，账户已暂时锁定", title="账户已锁定",
                       headers={"Retry-After": str(retry)}, code="locked")
    if status != "ok":
        return problem(401, "用户名或密码错误", code="bad_credentials",
                       headers={"WWW-Authenticate": 'Bearer realm="doudi"'})
    g.audit.update(role=user["role"])
    return issue_tokens(user)


@blp.route("/refresh", methods=["POST"])
@blp.arguments(RefreshSchema)
@blp.response(200, TokenReplySchema)
@blp.alt_response(401, description="刷新令牌无效或已使用")
def refresh(body):
    """Exchange a refresh token (once) for a new access and refresh token."""
    g.audit = {"action": "auth.refresh"}
    claims = _decode(body["refresh_token"], "refresh")
    store = current_app.extensions["doudi_store"]
    user_id = store.use_refresh(claims["jti"]) if claims else None
    user = store.get_user_by_id(user_id) if user_id is not None else None
    if user is None or user["disabled"] or user["token_epoch"] != claims.get("epoch"):
        return problem(401, "刷新令牌无效、已过期或已使用", code="bad_refresh_token",
                       headers={"WWW-Authenticate": 'Bearer realm="doudi"'})
    g.audit.update(username=user["username"], role=user["role"])
    return issue_tokens(user)


def _unauthorized(detail: str):
    return problem(401, detail, code="unauthenticated",
                   headers={"WWW-Authenticate": 'Bearer realm="doudi"'})


def authenticate_request():
    """before_request: 401 without a valid token, 403 without the permission."""
    g.principal = None
    if request.method == "OPTIONS":
        return None
    endpoint = request.endpoint
    if endpoint is None or endpoint in PUBLIC_ENDPOINTS or \
            not request.path.startswith("/api/v1/"):
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _unauthorized("需要登录 (Authorization: Bearer <token>)")
    claims = _decode(token.strip(), "access")
    if claims is None:
        return _unauthorized("令牌无效或已过期")
    user = current_app.extensions["doudi_store"].cached_user(
        claims["uid"], float(current_app.config["DOUDI"].get("USER_CACHE_TTL", 2)))
    if user is None or user["disabled"] or user["token_epoch"] != claims.get("epoch") \
            or user["username"] != claims["sub"]:
        return _unauthorized("令牌已失效，请重新登录")
    g.principal = Principal(user["id"], user["username"], user["role"],
                            user["jurisdiction"], user["institution_id"])
    view = current_app.view_functions.get(endpoint)
    permission = getattr(view, "_doudi_permission", None)
    if permission is None or not allowed(user["role"], permission):
        return problem(403, "当前角色无权执行此操作", code="forbidden_role",
                       permission=permission, role=user["role"])
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        refused = body_problem()  # hostile input is a 4xx, not an audit outage
        if refused is not None:
            return refused
        # the trail is written before the write happens: no audit, no write
        from doudi_gateway.observe import begin_audit

        try:
            begin_audit()
        except Exception:  # noqa: BLE001 - the audit store is down
            from doudi_common.logs import get_logger

            get_logger(__name__).exception("audit store unavailable; write refused")
            return problem(503, "审计记录暂不可用，写操作已拒绝", code="audit_unavailable",
                           headers={"Retry-After": "5"})
    return None
