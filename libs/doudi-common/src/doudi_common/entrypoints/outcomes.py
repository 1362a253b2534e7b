"""How an entrypoint's failure is classed: transient (retry later: database or
broker down) or final (the caller's error, or a bug)."""

from __future__ import annotations

import socket
import sys
from types import TracebackType

import sqlalchemy.exc

from doudi_common.errors import TransientError

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


def as_transient(exc_info: ExcInfo | None) -> ExcInfo | None:
    """Database outages become ``TransientError`` for RPC callers (503 at the gateway)."""
    if exc_info is not None and is_transient(exc_info[1]) \
            and not isinstance(exc_info[1], TransientError):
        try:
            raise TransientError("数据库暂不可用，请稍后重试", cause=type(exc_info[1]).__name__)
        except TransientError:
            return sys.exc_info()  # type: ignore[return-value]  # inside except: set
    return exc_info
