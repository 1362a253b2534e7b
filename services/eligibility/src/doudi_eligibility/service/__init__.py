"""eligibility: persons and their dated facts, policy packs, decisions,
applications through each pack's review chain, enrolments over time.

One nameko service, its entrypoints grouped by area (one module each):
department events, persons, decisions, applications, the public notice,
enrolments, the calendar. Entrypoints only load their arguments, call
``domain`` (every rule) and ``store`` (every statement), add events to the
outbox and answer. The RPC surface is documented in ``RPC.md``.
"""

from __future__ import annotations

from doudi_common.clock import Clock
from doudi_common.db import Database
from doudi_common.service_base import ServiceBase

from doudi_eligibility.models import FIGURE_TABLES, figure_versions, metadata
from doudi_eligibility.policy import default_registry
from doudi_eligibility.service.applications import Applications
from doudi_eligibility.service.calendar import Calendar
from doudi_eligibility.service.decisions import Decisions
from doudi_eligibility.service.departments import DepartmentEvents
from doudi_eligibility.service.enrolments import Enrolments
from doudi_eligibility.service.notices import Notices
from doudi_eligibility.service.persons import Persons
from doudi_eligibility.service.statistics import Statistics

REGISTRY = default_registry()


class EligibilityService(ServiceBase, DepartmentEvents, Persons, Decisions, Applications,
                         Notices, Enrolments, Calendar, Statistics):
    name = "eligibility"

    db = Database(metadata, figures=(figure_versions, FIGURE_TABLES))
    clock = Clock()
    registry = REGISTRY
