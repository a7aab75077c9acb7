"""API tokens and roles.  A token is sent as `Authorization: Bearer ...`; only its SHA-256 is stored.

admin: plans, data, runs, finalize, adjustments, webhooks, the audit log; payroll: reads runs,
payouts and exports, and calculates; manager: the statements of the people below them in the org chart; rep: their own
statements.  A statement that is not theirs answers 404, never data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Callable

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer


@dataclass(frozen=True)
class Actor:
    id: int
    role: str
    person: str

    @property
    def name(self) -> str:
        return f"token {self.id} ({self.role}{', ' + self.person if self.person else ''})"


BEARER = HTTPBearer(auto_error=False, description="An API token from `incentives token create`.")


def actor(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)] = None
          ) -> Actor:
    if credentials is None or not credentials.credentials:
        raise HTTPException(401, "give an API token: Authorization: Bearer TOKEN",
                            headers={"WWW-Authenticate": "Bearer"})
    row = request.app.state.store.token(credentials.credentials.strip())
    if row is None:
        raise HTTPException(401, "unknown or revoked token", headers={"WWW-Authenticate": "Bearer"})
    return Actor(row.id, row.role, row.person)


def require(*roles: str) -> Callable[..., Actor]:
    def check(who: Annotated[Actor, Depends(actor)]) -> Actor:
        if who.role not in roles:
            raise HTTPException(403, f"a {who.role} token may not do this (it needs {' or '.join(roles)})")
        return who
    return check


AnyActor = Annotated[Actor, Depends(actor)]
Admin = Annotated[Actor, Depends(require("admin"))]
Payroll = Annotated[Actor, Depends(require("admin", "payroll"))]
