"""`incentives serve` (the HTTP service), `incentives db upgrade` (migrate its database) and
`incentives token create` (an API token for a role)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from incentives.errors import IncentivesError
from .common import EXIT_USAGE, fail, problems, say

DEFAULT_DB = "incentives.db"
db_app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                     help="The service's database.")
token_app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                        help="API tokens for the service.")
DbOption = Annotated[str, typer.Option("--db", help="An SQLite file (made if missing) or a postgresql:// URL.")]


def _store(db: str):
    from incentives.service.store import Store
    try:
        return Store(db)
    except IncentivesError as e:
        problems(e.problems, EXIT_USAGE)


def serve(db: DbOption = DEFAULT_DB,
          host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="The port to listen on.")] = 8000,
          demo: Annotated[bool, typer.Option(help="Load the bundled FY2027 plan and data, and print an admin "
                                                  "token, to try every route at once.")] = False,
          threads: Annotated[int, typer.Option(help="Worker threads for runs.")] = 2) -> None:
    """Run the HTTP service (OpenAPI at /docs), migrating its database first."""
    import uvicorn

    from incentives.service.app import create_app
    store = _store(db)
    if demo:
        from incentives.service.demo import load_demo
        ids = load_demo(store)
        token = store.create_token("admin", actor="demo")
        say(f"demo: plan \"Account Executive FY2027\" and datasets {ids} loaded")
        say(f"demo: admin token {token}")
    store.close()
    uvicorn.run(create_app(db, threads=threads), host=host, port=port, log_level="info")


@db_app.command("upgrade")
def upgrade(db: DbOption = DEFAULT_DB) -> None:
    """Bring the database's schema (ledger and service) up to date."""
    _store(db).close()
    say(f"{db}: up to date")


@token_app.command("create")
def create(role: Annotated[str, typer.Option(help="admin, payroll, manager or rep")],
           db: DbOption = DEFAULT_DB,
           person: Annotated[Optional[str], typer.Option(help="The person a manager or rep token is for.")] = None
           ) -> None:
    """Make a token and print it (it is shown once: only its hash is kept)."""
    if role in ("manager", "rep") and not person:
        fail(f"a {role} token is for a person: give --person ID")
    store = _store(db)
    try:
        print(store.create_token(role, person or ""))
    except ValueError as e:
        fail(str(e))
    finally:
        store.close()
