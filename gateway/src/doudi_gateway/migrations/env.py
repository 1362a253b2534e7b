from doudi_common.migrations_env import run_migrations
from doudi_gateway.models import metadata

run_migrations(metadata)
