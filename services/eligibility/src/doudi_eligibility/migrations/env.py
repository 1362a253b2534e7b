from doudi_common.migrations_env import run_migrations
from doudi_eligibility.models import metadata

run_migrations(metadata)
