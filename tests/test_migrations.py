"""Every component's migrations build exactly its models (no drift), on the
PostgreSQL the deployment uses and on the SQLite ``make run`` uses, and run
down to the first revision again. Policy: docs/CONTRIBUTING.md (migrations are
frozen: they never import the live models)."""

from __future__ import annotations

import importlib

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from doudi_common.db import alembic_config, make_engine, migrate

PACKAGES = ["doudi_eligibility", "doudi_institutions", "doudi_funding", "doudi_services_log",
            "doudi_gateway"]


def _metadata(package: str) -> sa.MetaData:
    return importlib.import_module(f"{package}.models").metadata


def _drift(url: str, package: str) -> list:
    engine = make_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), _metadata(package))
    finally:
        engine.dispose()


@pytest.mark.parametrize("package", PACKAGES)
def test_migrations_build_the_models_on_postgresql(package, make_db):
    url = make_db(None)  # empty: every revision runs
    migrate(package, url)
    assert _drift(url, package) == []


@pytest.mark.parametrize("package", PACKAGES)
def test_migrations_build_the_models_on_sqlite_and_go_back_down(package, tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    migrate(package, url)
    assert _drift(url, package) == []
    cfg = alembic_config(package, url)
    engine = make_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()


def test_wait_migrated_waits_for_the_migrate_job_and_never_migrates(tmp_path, capsys):
    """The replicas' init container (`doudi-service wait-migrated`): not ready
    while the schema is behind the head, ready once the migrate Job ran."""
    import json

    from doudi_common.config import load_config
    from doudi_common.runner import cmd_migrate, cmd_wait_migrated

    config = load_config(service="funding", DB_URL=f"sqlite:///{tmp_path}/funding.db")
    assert cmd_wait_migrated("funding", config, timeout=0) == 1
    waited = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert waited["ok"] is False and waited["current"] is None and waited["head"]
    assert cmd_wait_migrated("funding", config, timeout=0) == 1  # still nothing created
    assert cmd_migrate("funding", config) == 0
    capsys.readouterr()
    assert cmd_wait_migrated("funding", config, timeout=0) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
