"""The gateway's own database: users, refresh tokens, audit trail, idempotency keys.

SQLite under ``var/gateway.db`` by default (``DOUDI_GATEWAY_DB_URL`` overrides,
``postgresql://…`` in compose/Kubernetes); migrations are applied at start.
"""

from __future__ import annotations

import os
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from doudi_common.config import resolve_db_url
from doudi_common.db import make_engine, migrate
from doudi_common.errors import Conflict, Invalid, NotFound
from doudi_common.ids import validate_division_code
from doudi_common.logs import get_logger

from doudi_gateway.models import (
    audit_log,
    divisions,
    idempotency_keys,
    refresh_tokens,
    users,
)
from doudi_gateway.permissions import ROLES

log = get_logger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:  # SQLite drops the zone
        return value.replace(tzinfo=UTC)
    return value


def normalise_jurisdiction(value: str | None) -> str:
    """'' (or 'all') means everything; otherwise a valid 6/9/12-digit code."""
    if value is None or value.strip().lower() in ("", "all", "*"):
        return ""
    return validate_division_code(value.strip())


class Store:
    def __init__(self, url: str, argon2_time_cost: int = 3, argon2_memory_cost: int = 65536):
        url = resolve_db_url(url, "gateway")
        self.url = url
        if url in ("sqlite://", "sqlite:///:memory:"):
            self.engine = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool,
                                           connect_args={"check_same_thread": False})
        elif url.startswith("sqlite"):
            self.engine = _sqlite_engine(url)
        else:
            self.engine = make_engine(url)
        self._users: dict[int, tuple[float, dict | None]] = {}
        self.hasher = PasswordHasher(time_cost=argon2_time_cost,
                                     memory_cost=argon2_memory_cost)
        self._dummy_hash = self.hasher.hash("dummy password for timing")

    # -- schema ------------------------------------------------------------------
    def migrate(self) -> None:
        if self.engine.url.database in (None, "", ":memory:"):
            from doudi_gateway.models import metadata  # in-memory: no alembic needed

            metadata.create_all(self.engine)
            return
        migrate("doudi_gateway", self.url)

    def health(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            return True
        except sa.exc.SQLAlchemyError:
            return False

    # -- users -------------------------------------------------------------------
    def hash_password(self, password: str) -> str:
        if not isinstance(password, str) or len(password) < 8:
            raise Invalid("密码至少 8 位", field="password", reason="too_short")
        return self.hasher.hash(password)

    def add_user(self, username: str, password: str, role: str, jurisdiction: str = "",
                 institution_id: str | None = None, display_name: str | None = None) -> dict:
        if role not in ROLES:
            raise Invalid(f"未知角色 {role}", field="role", reason="unknown_role")
        if not username or len(username) > 64:
            raise Invalid("用户名不合法", field="username", reason="bad_format")
        if role == "institution_staff" and not institution_id:
            raise Invalid("机构工作人员必须指定机构", field="institution_id", reason="required")
        jurisdiction = normalise_jurisdiction(jurisdiction)
        now = utcnow()
        with self.engine.begin() as conn:
            exists = conn.execute(sa.select(users.c.id).where(users.c.username == username))
            if exists.first() is not None:
                raise Conflict("用户名已存在", username=username)
            conn.execute(sa.insert(users).values(
                username=username, password_hash=self.hash_password(password), role=role,
                jurisdiction=jurisdiction, institution_id=institution_id,
                display_name=display_name, created_at=now, updated_at=now))
        return self.get_user(username)

    def get_user(self, username: str) -> dict:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.username == username)).first()
        if row is None:
            raise NotFound("用户不存在", username=username)
        user = dict(row._mapping)
        user["locked_until"] = _aware(user["locked_until"])
        return user

    def cached_user(self, user_id: int, ttl: float) -> dict | None:
        """The user row, remembered for ``ttl`` seconds (every request needs it;
        changes made through this store are seen at once, from elsewhere within ttl)."""
        if ttl <= 0:
            return self.get_user_by_id(user_id)
        hit = self._users.get(user_id)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        user = self.get_user_by_id(user_id)
        if len(self._users) > 10000:
            self._users.clear()
        self._users[user_id] = (now + ttl, user)
        return user

    def get_user_by_id(self, user_id: int) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.id == user_id)).first()
        return dict(row._mapping) if row is not None else None

    def list_users(self) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(users).order_by(users.c.username)).all()
        return [dict(r._mapping) for r in rows]

    def count_users(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(users)).scalar_one()

    def _update_user(self, username: str, **values: Any) -> dict:
        self._users.clear()
        values["updated_at"] = utcnow()
        with self.engine.begin() as conn:
            result = conn.execute(sa.update(users).where(users.c.username == username)
                                  .values(**values))
            if result.rowcount == 0:
                raise NotFound("用户不存在", username=username)
        return self.get_user(username)

    def reset_password(self, username: str, password: str) -> dict:
        return self._update_user(username, password_hash=self.hash_password(password),
                                 failed_attempts=0, locked_until=None,
                                 token_epoch=users.c.token_epoch + 1)

    def set_disabled(self, username: str, disabled: bool = True) -> dict:
        return self._update_user(username, disabled=disabled,
                                 token_epoch=users.c.token_epoch + 1)

    def unlock(self, username: str) -> dict:
        return self._update_user(username, failed_attempts=0, locked_until=None)

    def ensure_admin(self, password: str | None) -> bool:
        """First start: an empty user store and ``DOUDI_ADMIN_PASSWORD`` set →
        an ``admin`` user with jurisdiction all. Returns True if created."""
        if not password or self.count_users() > 0:
            return False
        try:
            self.add_user("admin", password, "admin", "")
        except (Conflict, sa.exc.IntegrityError):  # another worker won the race
            return False
        log.info("first start: admin user created")
        return True

    # -- login ---------------------------------------------------------------------
    def authenticate(self, username: str, password: str, max_failures: int,
                     lockout: timedelta) -> tuple[str, dict | None, datetime | None]:
        """('ok', user, None) | ('bad', None, None) | ('locked', None, until) |
        ('disabled', None, None). Failures count towards a lockout."""
        try:
            user = self.get_user(username)
        except NotFound:
            self._verify(self._dummy_hash, password)  # same time as a real miss
            return "bad", None, None
        now = utcnow()
        if user["locked_until"] is not None and user["locked_until"] > now:
            return "locked", None, user["locked_until"]
        if not self._verify(user["password_hash"], password):
            failures = user["failed_attempts"] + 1
            values: dict[str, Any] = {"failed_attempts": failures}
            if failures >= max_failures:
                values.update(locked_until=now + lockout, failed_attempts=0)
            with self.engine.begin() as conn:
                conn.execute(sa.update(users).where(users.c.id == user["id"]).values(**values))
            if "locked_until" in values:
                return "locked", None, values["locked_until"]
            return "bad", None, None
        if user["disabled"]:
            return "disabled", None, None
        if user["failed_attempts"] or user["locked_until"] is not None:
            with self.engine.begin() as conn:
                conn.execute(sa.update(users).where(users.c.id == user["id"])
                             .values(failed_attempts=0, locked_until=None))
        if self.hasher.check_needs_rehash(user["password_hash"]):
            with self.engine.begin() as conn:
                conn.execute(sa.update(users).where(users.c.id == user["id"])
                             .values(password_hash=self.hasher.hash(password)))
        return "ok", user, None

    def _verify(self, hashed: str, password: str) -> bool:
        try:
            return self.hasher.verify(hashed, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    # -- refresh tokens --------------------------------------------------------------
    def add_refresh(self, jti: str, user_id: int, expires_at: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.insert(refresh_tokens).values(
                jti=jti, user_id=user_id, expires_at=expires_at, created_at=utcnow()))

    def use_refresh(self, jti: str) -> int | None:
        """Mark a refresh token used (one use each); its user id, or None."""
        now = utcnow()
        with self.engine.begin() as conn:
            result = conn.execute(
                sa.update(refresh_tokens)
                .where(refresh_tokens.c.jti == jti, refresh_tokens.c.used_at.is_(None))
                .values(used_at=now))
            if result.rowcount != 1:
                return None
            row = conn.execute(sa.select(refresh_tokens)
                               .where(refresh_tokens.c.jti == jti)).first()
        if _aware(row.expires_at) <= now:
            return None
        return row.user_id

    # -- audit -----------------------------------------------------------------------
    def audit(self, **entry: Any) -> int:
        entry.setdefault("at", utcnow())
        with self.engine.begin() as conn:
            return conn.execute(sa.insert(audit_log).values(**entry)
                                .returning(audit_log.c.id)).scalar_one()

    def audit_finish(self, entry_id: int, **values: Any) -> None:
        """Complete an entry written before the action (``outcome="pending"``)."""
        with self.engine.begin() as conn:
            conn.execute(sa.update(audit_log).where(audit_log.c.id == entry_id,
                                                    audit_log.c.outcome == "pending")
                         .values(**values))

    def audit_query(self, username: str | None = None, action: str | None = None,
                    since: datetime | None = None, until: datetime | None = None,
                    outcome: str | None = None, offset: int = 0, limit: int = 20,
                    subject: str | None = None) -> tuple[list[dict], int]:
        where = []
        if subject:
            where.append(audit_log.c.subject == subject)
        if username:
            where.append(audit_log.c.username == username)
        if action:
            where.append(audit_log.c.action == action)
        if outcome:
            where.append(audit_log.c.outcome == outcome)
        if since:
            where.append(audit_log.c.at >= since)
        if until:
            where.append(audit_log.c.at < until)
        with self.engine.connect() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(audit_log)
                                 .where(*where)).scalar_one()
            rows = conn.execute(sa.select(audit_log).where(*where)
                                .order_by(audit_log.c.id.desc())
                                .offset(offset).limit(limit)).all()
        out = []
        for r in rows:
            item = dict(r._mapping)
            item["at"] = _aware(item["at"])
            out.append(item)
        return out, total

    # -- idempotency -----------------------------------------------------------------
    # -- divisions (townships, villages) ------------------------------------------

    def save_division(self, code: str, name: str, parent_code: str, by: str) -> dict:
        """Register or rename a township or village."""
        now = utcnow()
        with self.engine.begin() as conn:
            found = conn.execute(sa.select(divisions.c.code).where(
                divisions.c.code == code)).first()
            if found is None:
                conn.execute(sa.insert(divisions).values(
                    code=code, name=name, parent_code=parent_code, created_by=by,
                    created_at=now, updated_at=now))
            else:
                conn.execute(sa.update(divisions).where(divisions.c.code == code)
                             .values(name=name, updated_at=now))
        return {"code": code, "name": name, "parent_code": parent_code}

    def division(self, code: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(divisions).where(divisions.c.code == code)).first()
        return dict(row._mapping) if row is not None else None

    def division_children(self, code: str) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(divisions.c.code, divisions.c.name)
                                .where(divisions.c.parent_code == code)
                                .order_by(divisions.c.code)).all()
        return [dict(r._mapping) for r in rows]

    def idem_get(self, username: str, key: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(idempotency_keys).where(
                idempotency_keys.c.username == username, idempotency_keys.c.key == key)).first()
        return dict(row._mapping) if row is not None else None

    def idem_claim(self, username: str, key: str, method: str, path: str,
                   body_hash: str, keep: timedelta = timedelta(hours=24)) -> bool:
        """Claim a key; keys older than ``keep`` are forgotten (their stored
        answers hold personal data, so they do not stay longer than needed)."""
        if secrets.randbelow(100) == 0:
            with self.engine.begin() as conn:
                conn.execute(sa.delete(idempotency_keys)
                             .where(idempotency_keys.c.created_at < utcnow() - keep))
        try:
            with self.engine.begin() as conn:
                conn.execute(sa.insert(idempotency_keys).values(
                    username=username, key=key, method=method, path=path,
                    body_hash=body_hash, created_at=utcnow()))
            return True
        except sa.exc.IntegrityError:
            return False

    def idem_store(self, username: str, key: str, status: int, response: str,
                   headers: dict) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.update(idempotency_keys).where(
                idempotency_keys.c.username == username, idempotency_keys.c.key == key)
                .values(status=status, response=response, headers=headers))

    def idem_release(self, username: str, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.delete(idempotency_keys).where(
                idempotency_keys.c.username == username, idempotency_keys.c.key == key))


def _sqlite_engine(url: str) -> sa.Engine:
    """SQLite for the gateway: WAL, a busy timeout, and ordinary (deferred)
    transactions — every request reads the user table, and reads must not take
    the write lock (doudi_common's engine begins IMMEDIATE for the services)."""
    engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                              pool_size=20, max_overflow=20)

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    return engine


def store_from_config(config: dict) -> Store:
    return Store(config.get("GATEWAY_DB_URL") or "sqlite:///var/gateway.db",
                 argon2_time_cost=int(config.get("ARGON2_TIME_COST", 3)),
                 argon2_memory_cost=int(config.get("ARGON2_MEMORY_COST", 65536)))


def admin_password_from_env() -> str | None:
    return os.environ.get("DOUDI_ADMIN_PASSWORD") or None
