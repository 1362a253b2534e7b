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
