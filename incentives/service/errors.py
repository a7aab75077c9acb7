"""Errors as JSON: `{"detail": ..., "problems": [...]}` with the engine's located problems."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
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

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, e: RequestValidationError) -> JSONResponse:
        problems = [{"code": "request", "message": f"{'.'.join(str(x) for x in err.get('loc', ()))}: "
                                                    f"{err.get('msg', 'invalid')}",
                     "field": ".".join(str(x) for x in err.get("loc", ())[1:]) or None} for err in e.errors()]
        return JSONResponse({"detail": "the request does not fit the API: " + "; ".join(p["message"] for p in problems),
                             "problems": problems}, status_code=422)

    @app.exception_handler(Conflict)
    async def _conflict(request: Request, e: Conflict) -> JSONResponse:
        return JSONResponse({"detail": str(e), "problems": []}, status_code=409)
