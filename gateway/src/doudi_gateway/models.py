"""The tables the gateway owns: users, refresh tokens, audit trail, idempotency keys.

No service reads these; the gateway's own alembic migrations create them.
"""

from __future__ import annotations

import sqlalchemy as sa
from doudi_common.timestamps import MOMENT

metadata = sa.MetaData()

TS = MOMENT

users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    # division code; "" = everything (national / admin)
    sa.Column("jurisdiction", sa.String(12), nullable=False, server_default=""),
    # institution staff only see this institution
    sa.Column("institution_id", sa.String(64), nullable=True),
    sa.Column("display_name", sa.String(128), nullable=True),
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("failed_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", TS, nullable=True),
    # tokens issued before this instant are void (password reset, disable)
    sa.Column("token_epoch", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)

refresh_tokens = sa.Table(
    "refresh_tokens", metadata,
    sa.Column("jti", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("expires_at", TS, nullable=False),
    sa.Column("used_at", TS, nullable=True),
    sa.Column("created_at", TS, nullable=False),
)

audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", TS, nullable=False, index=True),
    sa.Column("request_id", sa.String(64), nullable=True),
    sa.Column("username", sa.String(64), nullable=True, index=True),
    sa.Column("role", sa.String(32), nullable=True),
    sa.Column("action", sa.String(64), nullable=False, index=True),
    sa.Column("method", sa.String(8), nullable=False),
    sa.Column("path", sa.String(512), nullable=False),
    sa.Column("resource_id", sa.String(64), nullable=True),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("remote_addr", sa.String(64), nullable=True),
    sa.Column("detail", sa.JSON, nullable=True),
    # HMAC of the person's ID number (see observe.subject_of); never the number itself
    sa.Column("subject", sa.String(64), nullable=True, index=True),
)

# townships (9 digits) and villages (12) by name — GB/T 2260 stops at the county
divisions = sa.Table(
    "divisions", metadata,
    sa.Column("code", sa.String(12), primary_key=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("parent_code", sa.String(12), nullable=False, index=True),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)

idempotency_keys = sa.Table(
    "idempotency_keys", metadata,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("key", sa.String(128), primary_key=True),
    sa.Column("method", sa.String(8), nullable=False),
    sa.Column("path", sa.String(512), nullable=False),
    sa.Column("body_hash", sa.String(64), nullable=False),
    sa.Column("status", sa.Integer, nullable=True),
    sa.Column("response", sa.Text, nullable=True),
    sa.Column("headers", sa.JSON, nullable=True),
    sa.Column("created_at", TS, nullable=False),
)

# reports too large for one request, rendered in the background (issue 15)
export_jobs = sa.Table(
    "export_jobs", metadata,
    sa.Column("job_id", sa.String(40), primary_key=True),
    sa.Column("report", sa.String(32), nullable=False),
    sa.Column("format", sa.String(8), nullable=False),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("division_code", sa.String(12), nullable=False),
    sa.Column("requested_by", sa.String(64), nullable=False, index=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("phase", sa.String(16), nullable=True),
    sa.Column("done", sa.Integer, nullable=False, server_default="0"),
    sa.Column("total", sa.Integer, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error", sa.JSON, nullable=True),
    sa.Column("filename", sa.String(128), nullable=True),
    sa.Column("content_type", sa.String(128), nullable=True),
    sa.Column("content", sa.LargeBinary, nullable=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("started_at", TS, nullable=True),
    sa.Column("heartbeat_at", TS, nullable=True),
    sa.Column("finished_at", TS, nullable=True),
)
