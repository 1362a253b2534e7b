"""A clock tests can move, as a nameko dependency (the calendar rules — Asia/Shanghai
dates, ``YYYY-MM`` months — are in ``doudi_common.dates``).

``clock = Clock()`` on a service gives workers ``self.clock.now()`` /
``self.clock.today()``. In tests, move it for a running container::

    provider = clock_of(container)      # doudi_common.clock.clock_of
    provider.set(date(2026, 3, 14))      # frozen at that day, 09:00 local
    provider.advance(days=1)
    provider.reset()                     # real time again

``CLOCK_FIXED`` in the config (ISO date or datetime) freezes it from the start,
for demos and end-to-end runs across processes.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from nameko.extensions import DependencyProvider

# the pure helpers live in doudi_common.dates (domain code imports them there)
from doudi_common.dates import SHANGHAI, month_of, parse_month, to_shanghai

__all__ = ["SHANGHAI", "Clock", "ClockValue", "clock_of", "month_of", "parse_month",
           "to_shanghai"]


class ClockValue:
    """What a worker holds: the time at the moment of asking."""

    def __init__(self, provider: Clock):
        self._provider = provider

    def now(self) -> datetime:
        return self._provider.current()

    def today(self) -> date:
        return self.now().date()

    def month(self) -> str:
        return month_of(self.today())


class Clock(DependencyProvider):  # type: ignore[misc]  # nameko is untyped
    def __init__(self) -> None:
        self._fixed: datetime | None = None

    def setup(self) -> None:
        fixed = self.container.config.get("CLOCK_FIXED")
        if fixed:
            self.set(fixed if not isinstance(fixed, str) else _parse(fixed))

    def current(self) -> datetime:
        return self._fixed if self._fixed is not None else datetime.now(SHANGHAI)

    def set(self, moment: date | datetime) -> None:
        if not isinstance(moment, datetime):
            moment = datetime.combine(moment, time(9, 0), SHANGHAI)
        self._fixed = to_shanghai(moment)

    def advance(self, **delta: float) -> None:
        self.set(self.current() + timedelta(**delta))

    def reset(self) -> None:
        self._fixed = None

    def get_dependency(self, worker_ctx: Any) -> ClockValue:
        return ClockValue(self)


def _parse(text: str) -> datetime | date:
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"CLOCK_FIXED must be an ISO date or datetime: {text!r}") from exc


def clock_of(container: Any) -> Clock:
    for provider in container.dependencies:
        if isinstance(provider, Clock):
            return provider
    raise LookupError("the service has no Clock dependency")
