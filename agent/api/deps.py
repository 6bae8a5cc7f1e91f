"""Request dependencies as `Annotated` aliases, so a route's signature reads as a sentence."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from agent.db.tables import User
from agent.runtime import Runtime
from agent.services.users import Actor, authenticate

bearer = HTTPBearer(auto_error=False, description="An Engage API token (`engage users add`)")


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def _from_session(session: Session, request: Request) -> Actor | None:
    user_id = request.session.get("user_id") if "session" in request.scope else None
    if not user_id:
        return None
    user = session.get(User, user_id)
    if user is None or user.revoked_at is not None:
        return None
    return Actor(id=user.id, email=user.email, role=user.role)


def get_optional_user(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor | None:
    with runtime.db.session() as session:
        if credentials is not None:
            return authenticate(session, token=credentials.credentials, now=runtime.clock.now())
        return _from_session(session, request)


def get_current_user(actor: Annotated[Actor | None, Depends(get_optional_user)]) -> Actor:
    if actor is None:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="missing or invalid credentials: send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return actor


CurrentUser = Annotated[Actor, Depends(get_current_user)]
OptionalUser = Annotated[Actor | None, Depends(get_optional_user)]
