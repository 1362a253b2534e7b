"""institutions: the institution registry, licences and grades, priced service
catalogue, beds and placements, inspections and regional consolidation.

One nameko service, its entrypoints grouped by area (one module each). They
load their arguments, call ``domain`` (the rules) and ``store`` (every
statement), add events to the outbox and answer. The RPC surface is described
in ``RPC.md``.
"""

from __future__ import annotations

from doudi_common.clock import Clock
from doudi_common.db import Database
from doudi_common.known_persons import KnownPersonRpc
from doudi_common.service_base import ServiceBase

from doudi_institutions.models import metadata, person_directory
from doudi_institutions.service.beds import RoomsAndBeds
from doudi_institutions.service.catalogue import Catalogue
from doudi_institutions.service.consolidation import Consolidation
from doudi_institutions.service.events import SuiteAndDepartmentEvents
from doudi_institutions.service.inspections import Inspections
from doudi_institutions.service.licences import LicencesGradesStaff
from doudi_institutions.service.placements import Placements
from doudi_institutions.service.registry import Registry
from doudi_institutions.service.shared import Shared


class InstitutionsService(ServiceBase, KnownPersonRpc, Shared, SuiteAndDepartmentEvents,
                          Registry, LicencesGradesStaff, Catalogue, RoomsAndBeds, Placements,
                          Inspections, Consolidation):
    name = "institutions"

    db = Database(metadata)
    clock = Clock()
    person_directory = person_directory
