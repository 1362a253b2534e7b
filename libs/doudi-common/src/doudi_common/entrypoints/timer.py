"""Timers: nameko's, with the worker's unit of work committed before the result
is handled; ``config_timer(KEY, default)`` takes its interval (seconds) from
the service config, so tests and deployments can tune it."""

from __future__ import annotations

from typing import Any

from nameko.timer import Timer as NamekoTimer

from doudi_common.db import finish_units_of_work
from doudi_common.entrypoints.outcomes import ExcInfo


class Timer(NamekoTimer):  # type: ignore[misc]  # nameko is untyped
    def handle_result(self, worker_ctx: Any, result: Any,
                      exc_info: ExcInfo | None) -> tuple[Any, ExcInfo | None]:
        exc_info = finish_units_of_work(worker_ctx, exc_info)
        return super().handle_result(worker_ctx, result, exc_info)  # type: ignore[no-any-return]


class ConfigTimer(Timer):
    """A timer whose interval (seconds) is the service config's ``config_key``
    (``default`` when the config has none)."""

    def __init__(self, config_key: str, default: float, **kwargs: Any):
        self.config_key = config_key
        self.default = default
        super().__init__(interval=default, **kwargs)

    def setup(self) -> None:
        self.interval = float(self.container.config.get(self.config_key, self.default))
        super().setup()


timer = Timer.decorator
config_timer = ConfigTimer.decorator
