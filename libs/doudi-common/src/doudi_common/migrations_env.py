"""The body of every service's alembic ``env.py`` (each is three lines)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from doudi_common.db import make_engine


def run_migrations(target_metadata: sa.MetaData) -> None:
    config = context.config
    render_as_batch = True  # SQLite can only ALTER through batch mode

    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"),
                          target_metadata=target_metadata, literal_binds=True,
                          render_as_batch=render_as_batch)
        with context.begin_transaction():
            context.run_migrations()
        return

    connection = config.attributes.get("connection")
    if connection is not None:  # doudi_common.db.migrate passes its own
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=render_as_batch)
        with context.begin_transaction():
            context.run_migrations()
        return

    engine = make_engine(config.get_main_option("sqlalchemy.url"), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata,
                          render_as_batch=render_as_batch)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
