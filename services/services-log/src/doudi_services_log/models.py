"""Tables owned by services_log. Nobody else reads them."""

from __future__ import annotations

import sqlalchemy as sa

from doudi_common.persons import add_person_directory
from doudi_common.tables import add_common_tables

metadata = sa.MetaData()
outbox, inbox = add_common_tables(metadata)
person_directory = add_person_directory(metadata)
