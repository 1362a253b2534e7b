"""services_log: service items, service cards, service records with
verification, visits, alerts (爱心门铃), month close and the volunteer time bank
(issue 7).

One nameko service, its entrypoints grouped by area (one module each, the same
names as ``store``'s). They pass their arguments to ``store`` (every
statement, applying the rules of ``domain``), which adds events to the outbox.
RPC surface: ``RPC.md``.
"""

from __future__ import annotations

from doudi_common.clock import Clock
from doudi_common.db import Database
from doudi_common.known_persons import KnownPersonRpc
from doudi_common.service_base import ServiceBase
from nameko.dependency_providers import Config

from doudi_services_log.models import metadata, person_directory
from doudi_services_log.service.alerts import Alerts
from doudi_services_log.service.cards import Cards
from doudi_services_log.service.closes import MonthClose
from doudi_services_log.service.events import SuiteAndDepartmentEvents
from doudi_services_log.service.items import Items
from doudi_services_log.service.records import Records
from doudi_services_log.service.statistics import Statistics
from doudi_services_log.service.timebank import TimeBank
from doudi_services_log.service.visits import Visits


class ServicesLogService(ServiceBase, KnownPersonRpc, SuiteAndDepartmentEvents, Items, Cards,
                         Records, Visits, Alerts, MonthClose, TimeBank, Statistics):
    name = "services_log"

    db = Database(metadata)
    clock = Clock()
    config = Config()
    person_directory = person_directory
