"""The Alembic environment of the ledger's migrations: where they run and against which metadata.

What this module owns: running `versions/*` online against a connection the caller hands over in
`config.attributes["connection"]` (what `incentives.time.ledger.Ledger` does, inside its own
transaction), or against `sqlalchemy.url` from an alembic.ini (a service running `alembic upgrade
head` itself), or offline (`alembic upgrade head --sql`).  `target_metadata` is the ledger model's
`Base.metadata`, so autogenerate compares against the same tables `Ledger` uses; SQLite runs in
batch mode so that later revisions can alter its tables.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, engine_from_config, pool

from incentives.time.ledger_model import Base

config = context.config
target_metadata = Base.metadata

if config.config_file_name is not None and config.attributes.get("connection") is None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def run_migrations_offline() -> None:
    """Write the migrations' SQL for `sqlalchemy.url`'s dialect instead of running it."""
    url = config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                      dialect_opts={"paramstyle": "named"}, render_as_batch=str(url).startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    """Run the migrations on `connection` (in its transaction when it is already in one)."""
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the caller's connection, or on a new one to `sqlalchemy.url`."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.",
                                poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
