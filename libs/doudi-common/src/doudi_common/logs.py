"""structlog JSON logging with resident ID numbers masked everywhere.

Both our own structlog loggers and the standard-library loggers nameko and kombu
use go through the same processors, so a full ID number can't reach a log line
by accident: every string value is scanned and any 18-character ID number is
replaced by its mask (``3415**********1234``).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from doudi_common.ids import mask_in_text


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask_in_text(value)
    if isinstance(value, dict):
        return {k: _mask_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_mask_value(v) for v in value)
    return value


def mask_id_numbers(_logger: Any, _name: str, event_dict: dict) -> dict:
    return {key: _mask_value(value) for key, value in event_dict.items()}


class _CurrentStderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (test runners swap it;
    a handler holding the old one would write to a closed file)."""

    def __init__(self):
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def configure_logging(level: str = "INFO", fmt: str = "auto", service: str | None = None) -> None:
    """``fmt``: ``json`` (production), ``console`` (a person reading a terminal),
    or ``auto`` (console on a TTY, JSON otherwise)."""
    if fmt == "auto":
        fmt = "console" if sys.stderr.isatty() else "json"
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=False),
        structlog.processors.format_exc_info,
        mask_id_numbers,
    ]
    if service:
        structlog.contextvars.bind_contextvars(service=service)
    renderer = (structlog.dev.ConsoleRenderer(colors=False) if fmt == "console"
                else structlog.processors.JSONRenderer(ensure_ascii=False))
    structlog.configure(
        # drop below-level events first, before the (masking) processors run
        processors=[structlog.stdlib.filter_by_level, *shared,
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = _CurrentStderrHandler()
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    ))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # nameko is chatty at INFO about every worker; keep it to warnings
    for noisy in ("nameko", "kombu", "amqp", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    containers = logging.getLogger("nameko.containers")
    if not any(isinstance(f, ExpectedWithoutTraceback) for f in containers.filters):
        containers.addFilter(ExpectedWithoutTraceback())


class ExpectedWithoutTraceback(logging.Filter):
    """nameko logs a worker's *expected* error (a ``NotFound``, ``Invalid``,
    ``Conflict``, ``Forbidden`` the caller caused: a 4xx at the gateway) as a
    warning with its whole traceback — twenty lines for every "no such person"
    the gateway asks before a registration. The warning stays, with the error's
    type and text; the traceback goes. Unexpected errors keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.msg, str) \
                and record.msg.startswith("(expected)"):
            exc = record.exc_info[1]
            record.exc_info = None
            record.exc_text = None
            record.msg += " [%s]"
            record.args = (*(record.args or ()), type(exc).__name__)
        return True


def get_logger(name: str | None = None, **bind: Any) -> structlog.stdlib.BoundLogger:
    # A lazy proxy: a module-level logger made at import, before configure_logging,
    # must still go through the configured (masking) pipeline when it is used.
    # (``.bind()`` here would freeze structlog's default print-to-stdout logger.)
    return structlog.get_logger(name, **bind)


def _default_masking_pipeline() -> None:
    """Before anyone calls configure_logging (tests, scripts, in-process
    containers) structlog would print raw values: mask there too."""
    if not structlog.is_configured():
        structlog.configure(processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=False),
            structlog.processors.format_exc_info,
            mask_id_numbers,
            structlog.dev.ConsoleRenderer(colors=False),
        ])


_default_masking_pipeline()
