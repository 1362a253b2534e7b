from doudi_common.migrations_env import run_migrations
from doudi_services_log.models import metadata

run_migrations(metadata)
