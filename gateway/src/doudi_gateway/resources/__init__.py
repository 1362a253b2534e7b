"""The REST resources under /api/v1, one module per service, plus the audit trail."""

from __future__ import annotations

from flask_smorest import Api


def register_all(api: Api) -> None:
    from doudi_gateway.resources import (
        applications,
        audit,
        care_watch,
        divisions,
        exports,
        funding,
        inspections,
        institutions,
        jobs,
        persons,
        placements,
        services_log,
        time_bank,
        users,
        vocabularies,
    )

    for module in (persons, applications, institutions, placements, inspections, funding,
                   services_log, care_watch, time_bank, audit, vocabularies, divisions, jobs,
                   exports, users):
        api.register_blueprint(module.blp)
