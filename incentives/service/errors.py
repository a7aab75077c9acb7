"""Errors as JSON: `{"detail": ..., "problems": [...]}` with the engine's located problems."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from incentives.errors import IncentivesError

from .store import Conflict


def problem_list(e: IncentivesError) -> list[dict]:
    return [{k: v for k, v in p.to_dict().items() if k not in ("end_line", "end_column", "severity")}
            for p in e.problems]


def install(app: FastAPI) -> None:
    @app.exception_handler(IncentivesError)
    async def _incentives(request: Request, e: IncentivesError) -> JSONResponse:
        return JSONResponse({"detail": str(e).splitlines()[0] if str(e) else type(e).__name__,
                             "problems": problem_list(e)}, status_code=422)

    @app.exception_handler(Conflict)
    async def _conflict(request: Request, e: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(e), "problems": []}, status_code=409)
