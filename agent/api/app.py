"""The FastAPI application: JSON API, review pages, health, and the error mapping."""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.middleware.sessions import SessionMiddleware

from agent import __version__
from agent.api import security
from agent.api.routes import (
    admin,
    api,
    consent,
    health,
    links,
    oidc,
    pages,
    reviews,
    signals,
    slack,
    webhooks,
)
from agent.errors import Forbidden, InputError, NotFound, TransientError
from agent.observability import metrics
from agent.observability.logging import RequestIdMiddleware
from agent.runtime import Runtime


def _session_secret(runtime: Runtime) -> str:
    """From ENGAGE_SESSION_SECRET, else a key kept in ENGAGE_HOME so logins survive restarts."""
    configured = runtime.settings.engage_session_secret
    if configured is not None:
        return configured.get_secret_value()
    path: Path = runtime.settings.engage_home / "session.key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="Engage",
        version=__version__,
        description="Meetings in, approved and audited CRM updates out.",
    )
    app.state.runtime = runtime
    app.state.session_secret = _session_secret(runtime)
    app.add_middleware(
        SessionMiddleware,
        secret_key=app.state.session_secret,
        session_cookie="engage_session",
        same_site="strict",
        https_only=runtime.settings.engage_secure_cookies,
        max_age=12 * 3600,
    )
    security.install(app, runtime.settings)
    app.add_middleware(RequestIdMiddleware)

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(Forbidden)
    async def forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=403)

    @app.exception_handler(InputError)
    async def bad_input(request: Request, exc: InputError) -> JSONResponse:
        if request.url.path.startswith("/webhooks/"):
            source = request.url.path.removeprefix("/webhooks/").replace("-", "_")
            metrics.webhook_rejected(source, "bad_request")
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(TransientError)
    async def unavailable(_: Request, exc: TransientError) -> JSONResponse:
        headers = {"Retry-After": str(int(exc.retry_after))} if exc.retry_after else None
        return JSONResponse({"detail": str(exc)}, status_code=503, headers=headers)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        return {
            "status": "ok",
            "version": __version__,
            "engine": runtime.engine.name,
            "crm": runtime.crm.system,
        }

    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(webhooks.router)
    app.include_router(signals.router)
    app.include_router(links.router)
    app.include_router(admin.router)
    app.include_router(oidc.router)
    app.include_router(health.router)
    app.include_router(reviews.router)
    app.include_router(consent.router)
    app.include_router(slack.router)
    return app
