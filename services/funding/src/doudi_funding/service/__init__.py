"""funding: the ledger and monthly settlement (issue 6).

One nameko service, its entrypoints grouped by area (one module each): events
in, the settlement, statements and reports, inputs no event carries, and
accounts (donations, department funds, spending). They load their arguments,
call ``domain`` (the rules) and ``store`` (every statement), add events to the
outbox and answer. The RPC surface is listed in ``services/funding/RPC.md``.
"""

from __future__ import annotations

from doudi_common.clock import Clock
from doudi_common.db import Database
from doudi_common.known_persons import KnownPersonRpc
from doudi_common.service_base import ServiceBase
from nameko.dependency_providers import Config

from doudi_funding.models import metadata, person_directory
from doudi_funding.service.accounts import Accounts
from doudi_funding.service.events import SuiteAndDepartmentEvents
from doudi_funding.service.inputs import Inputs
from doudi_funding.service.jobs import Jobs
from doudi_funding.service.settlement import Settlement
from doudi_funding.service.statements import Statements


class FundingService(ServiceBase, KnownPersonRpc, SuiteAndDepartmentEvents, Settlement,
                     Statements, Inputs, Accounts, Jobs):
    name = "funding"

    db = Database(metadata)
    clock = Clock()
    config = Config()
    person_directory = person_directory
