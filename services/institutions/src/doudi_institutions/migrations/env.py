from doudi_common.migrations_env import run_migrations
from doudi_institutions.models import metadata

run_migrations(metadata)
