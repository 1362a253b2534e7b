"""The suite's typed errors cross nameko RPC as themselves: registered with
nameko's ``deserialize_to_instance`` when this module is imported (by the
services' RPC entrypoint and the gateway's RPC client), so a caller catches
``Invalid`` rather than nameko's ``RemoteError``. ``TransientError`` stays
unregistered on purpose: the gateway words its own 503 for it."""

from __future__ import annotations

from nameko.exceptions import deserialize_to_instance

from doudi_common.errors import Conflict, Forbidden, Invalid, NotFound

REGISTERED = tuple(deserialize_to_instance(cls) for cls in (NotFound, Invalid, Conflict, Forbidden))
