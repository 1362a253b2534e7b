"""The REST resources under /api/v1, one module per service, plus the audit trail."""

from __future__ import annotations

from flask_smorest import Api


def register_all(api: Api) -> None:
    from doudi_gateway.resources import (
        applications,
        audit,
        funding,
        institutions,
        persons,
        services_log,
    )

    for module in (persons, applications, institutions, funding, services_log, audit):
        api.register_blueprint(module.blp)
