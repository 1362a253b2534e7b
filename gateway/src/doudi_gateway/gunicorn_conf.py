"""gunicorn settings of ``doudi-gateway`` (``--config python:doudi_gateway.gunicorn_conf``);
the benchmark runs its baseline app with the same file."""

from __future__ import annotations


def post_worker_init(worker) -> None:
    """The worker has loaded the app: keep the garbage collector off what it
    built (``doudi_common.gcfreeze``)."""
    from doudi_common.gcfreeze import freeze_startup_objects

    worker.log.info("gc: %d start-up objects frozen", freeze_startup_objects())

