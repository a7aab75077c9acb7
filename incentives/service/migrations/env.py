"""The Alembic environment of the service's migrations: its tables (`incentives.service.models`)
in the same database as the ledger's, with their own version table (`service_alembic_version`), so
the two histories move on their own.  Runs on the connection `incentives.service.store` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from incentives.service.models import ServiceBase

VERSION_TABLE = "service_alembic_version"
config = context.config
target_metadata = ServiceBase.metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True,
                      version_table=VERSION_TABLE, render_as_batch=connection.dialect.name == "sqlite",
                      include_name=lambda name, type_, parent: type_ != "table" or name.startswith("svc_"))
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - the store always hands one over
    raise RuntimeError("the service's migrations run on the connection incentives.service.store gives them")
_run(connection)
