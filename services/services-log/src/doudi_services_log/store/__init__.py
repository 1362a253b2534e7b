"""Storage of services_log, one module per aggregate: ``items`` (prices),
``cards``, ``records`` (and the month lock), ``closes`` (month close),
``timebank``, ``visits``, ``alerts``, ``statistics``; ``shared`` helpers.

Functions take the unit of work (session + outbox) or its session and the
clock's ``now`` and do one command in the caller's transaction; the rules they
apply are in ``doudi_services_log.domain``."""
