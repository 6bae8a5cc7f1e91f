"""Request dependencies as `Annotated` aliases, so a route's signature reads as a sentence.

A caller is known by a bearer token, or (for the pages) by the session cookie of a login. A
session is accepted on the JSON API too, but a write through it must also carry the session's
CSRF token in `X-CSRF-Token`: the cookie alone is what a forged cross-site request would have.
Whoever the request turned out to be is left in the request state (`actor`) for the access log.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from agent.errors import Forbidden
from agent.runtime import Runtime
from agent.services.users import Actor, authenticate, session_actor

bearer = HTTPBearer(auto_error=False, description="An Engage API token (`engage users add`)")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def _from_session(runtime: Runtime, request: Request) -> Actor | None:
    if "session" not in request.scope:
        return None
    user_id, stamp = request.session.get("user_id"), request.session.get("stamp")
    if not isinstance(user_id, str) or not isinstance(stamp, str):
        return None
    with runtime.db.session() as session:
        return session_actor(session, user_id=user_id, stamp=stamp, now=runtime.clock.now())


def _check_api_csrf(request: Request) -> None:
    """A cookie-authenticated write to the JSON API needs the session's CSRF token as a header."""
    if request.method in SAFE_METHODS or not request.url.path.startswith("/api/"):
        return
    expected = str(request.session.get("csrf", ""))
    sent = request.headers.get(CSRF_HEADER, "")
    if not expected or not hmac.compare_digest(expected, sent):
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN,
            detail=f"a write with the session cookie needs the {CSRF_HEADER} header; "
            "scripts send Authorization: Bearer <token>",
        )


def get_optional_user(
    request: Request,
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor | None:
    if credentials is not None:
        with runtime.db.session() as session:
            actor = authenticate(session, token=credentials.credentials, now=runtime.clock.now())
    else:
        actor = _from_session(runtime, request)
    request.state.actor = actor.email if actor else None
    if credentials is None and actor is not None:
        _check_api_csrf(request)
    return actor


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


def get_admin(actor: CurrentUser) -> Actor:
    if not actor.is_admin:
        raise Forbidden("this needs an admin")
    return actor


AdminUser = Annotated[Actor, Depends(get_admin)]
