"""The FastAPI application: `create_app(where)` opens (and migrates) the store, marks runs a stopped
server left unfinished as failed, starts the run worker, and mounts one router per resource."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator

from fastapi import FastAPI

from . import errors
from .schemas import ErrorPublic
from .routes import audit, calculate, changes, datasets, exports, periods, plans, runs, statements
from .routes import webhooks as webhook_routes
from .store import Store
from .webhooks import make_hook
from .worker import Worker

DESCRIPTION = """Incentive plans as checked text, run by payroll over HTTP: stored plan versions and
datasets, idempotent period runs through the ledger, payouts and payroll exports, statements with
their line-by-line breakdowns, finalized periods and corrections.  Every error is JSON with the
engine's located problems.  Send `Authorization: Bearer TOKEN` (`incentives token create`)."""


def create_app(where: str | Path, engine_options: dict[str, Any] | None = None, threads: int = 2) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = Store(where, engine_options)
        store.interrupted()
        worker = Worker(store, threads)
        app.state.store, app.state.worker = store, worker
        for hook in getattr(app.state, "hooks", []):
            worker.hooks.append(hook(store))
        try:
            yield
        finally:
            worker.shutdown()
            for hook in worker.hooks:  # webhook retries still waiting end as failed, not hold the exit
                getattr(hook, "shutdown", lambda: None)()
            store.close()

    app = FastAPI(title="incentives", version="1", description=DESCRIPTION, lifespan=lifespan)
    errors.install(app)
    denied = {401: {"model": ErrorPublic, "description": "No token, or an unknown one"},
              403: {"model": ErrorPublic, "description": "The token's role may not do this"}}
    for module in (plans, datasets, runs, statements, changes, exports, calculate, periods, audit, webhook_routes):
        app.include_router(module.router, responses=denied)
    app.state.hooks = [make_hook]

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
