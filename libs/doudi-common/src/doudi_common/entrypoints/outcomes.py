"""How an entrypoint's failure is classed: transient (retry later: database or
broker down) or final (the caller's error, or a bug)."""

from __future__ import annotations

import socket
import sys
from types import TracebackType

import sqlalchemy.exc

from doudi_common.errors import Conflict, TransientError

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def is_transient(exc: BaseException | None) -> bool:
    """Worth retrying later: our ``TransientError``, a lost database connection
    or a socket failure."""
    if exc is None:
        return False
    if isinstance(exc, TransientError):
        return True
    if isinstance(exc, (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError,
                        sqlalchemy.exc.DisconnectionError, sqlalchemy.exc.TimeoutError)):
        return True
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, (ConnectionError, socket.timeout))


def is_contention(exc: BaseException | None) -> bool:
    """A write that lost a race with another transaction: a unique violation
    (SQLSTATE 23505; SQLite's ``UNIQUE constraint failed``) — two handlers, in
    one process or in two replicas, both saw no row and both inserted it. Done
    again, the work sees the winner's row. (Deadlocks and serialisation
    failures are ``OperationalError``: transient.)"""
    if not isinstance(exc, sqlalchemy.exc.IntegrityError):
        return False
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state is not None:
        return state == "23505"
    return "UNIQUE constraint failed" in str(orig)


def as_reply_error(exc_info: ExcInfo | None) -> ExcInfo | None:
    """What an RPC caller is told: database outages become ``TransientError``
    (503 at the gateway); a write that lost a race with another transaction
    (``is_contention``) a ``Conflict`` ``concurrent_write`` (409: nothing was
    written, the request may be sent again) instead of an unexpected error."""
    if exc_info is None or isinstance(exc_info[1], TransientError):
        return exc_info
    try:
        if is_transient(exc_info[1]):
            raise TransientError("数据库暂不可用，请稍后重试", cause=type(exc_info[1]).__name__)
        if is_contention(exc_info[1]):
            raise Conflict("另一操作同时写入了同一记录，本次未保存，请重试",
                           code="concurrent_write")
    except (TransientError, Conflict):
        return sys.exc_info()  # type: ignore[return-value]  # inside except: set
    return exc_info
