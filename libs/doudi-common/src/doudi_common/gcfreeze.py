"""Keep the garbage collector off what a process builds at start-up.

A service or gateway worker holds hundreds of thousands of long-lived objects
once started (SQLAlchemy and marshmallow machinery, the OpenAPI document, the
policy packs, ...). Each full collection walks all of them: about 100-170 ms
in a gateway worker, a pause in which none of its threads answers — the
slowest requests under load. ``freeze_startup_objects()``, called once the
process is up, moves everything alive then into the permanent generation
(``gc.freeze()``), so later collections only walk what came after. Called from
the process entry points only (``doudi-service run``, the gateway's gunicorn
workers), never in tests, which start many containers in one process.
"""

from __future__ import annotations

import gc


def freeze_startup_objects() -> int:
    """Collect once, then freeze what is left; returns the frozen count."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
