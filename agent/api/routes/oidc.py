"""Single sign-on: `/login/oidc` sends the browser to the identity provider, and
`/auth/oidc/callback` logs in the Engage user whose email the provider verified.

Only users an admin created can sign in this way (matched by normalized email, active, not
revoked or expired); an unknown email is refused, never enrolled. The sign-in in flight (state,
nonce, PKCE verifier) rides in its own short-lived signed cookie with `SameSite=Lax`: the
session cookie is `Strict`, so the browser would not send it on the provider's redirect back.
For the same reason the callback answers with a page that moves on to `/` by itself, so that the
first request carrying the new session is a same-site one.
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from agent.api.deps import RuntimeDep
from agent.api.routes.pages import login_page, start_session
from agent.errors import NotFound
from agent.runtime import Runtime
from agent.services.users import active_user
from connectors.oidc import OidcClient, OidcError

router = APIRouter(include_in_schema=False)

COOKIE = "engage_oidc"
COOKIE_PATH = "/auth/oidc"
FLIGHT_S = 600
CONTINUE_PAGE = (
    '<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=/">'
    '<title>Signed in · Engage</title><p>Signed in. <a href="/">Continue to Engage</a></p>'
)


def _client(request: Request, rt: Runtime) -> OidcClient:
    """One client per app (it caches the provider's endpoints and keys)."""
    settings = rt.settings
    if not settings.engage_oidc_issuer or not settings.engage_oidc_client_id:
        raise NotFound("single sign-on is not configured (ENGAGE_OIDC_ISSUER)")
    client: OidcClient | None = getattr(request.app.state, "oidc_client", None)
    if client is None:
        secret = settings.engage_oidc_client_secret
        client = OidcClient(
            issuer=settings.engage_oidc_issuer,
            client_id=settings.engage_oidc_client_id,
            client_secret=secret.get_secret_value() if secret else None,
        )
        request.app.state.oidc_client = client
    return client


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(request.app.state.session_secret, salt="engage-oidc-flight")


def _redirect_uri(request: Request, rt: Runtime) -> str:
    base = rt.settings.engage_public_url or str(request.base_url)
    return base.rstrip("/") + "/auth/oidc/callback"


@router.get("/login/oidc")
def start(request: Request, rt: RuntimeDep) -> Response:
    redirect_uri = _redirect_uri(request, rt)
    try:
        challenge = _client(request, rt).begin(redirect_uri=redirect_uri)
    except OidcError as exc:
        return login_page(
            request, rt, error=f"Single sign-on is unavailable: {exc}", status_code=502
        )
    flight = {
        "state": challenge.state,
        "nonce": challenge.nonce,
        "verifier": challenge.verifier,
        "redirect_uri": redirect_uri,
    }
    response = RedirectResponse(challenge.url, status_code=303)
    response.set_cookie(
        COOKIE,
        _serializer(request).dumps(flight),
        max_age=FLIGHT_S,
        path=COOKIE_PATH,
        httponly=True,
        secure=rt.settings.engage_secure_cookies,
        samesite="lax",
    )
    return response


def _flight(request: Request) -> dict[str, Any] | None:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = _serializer(request).loads(raw, max_age=FLIGHT_S)
    except BadSignature:
        return None
    return data if isinstance(data, dict) else None


def _refuse(request: Request, rt: Runtime, reason: str, status_code: int) -> Response:
    page = login_page(request, rt, error=reason, status_code=status_code)
    page.delete_cookie(COOKIE, path=COOKIE_PATH)
    return page


@router.get("/auth/oidc/callback")
def callback(request: Request, rt: RuntimeDep) -> Response:
    params = request.query_params
    flight = _flight(request)
    if flight is None:
        return _refuse(request, rt, "That sign-in expired or was not started here.", 400)
    if error := params.get("error"):
        return _refuse(request, rt, f"The identity provider refused: {error[:100]}", 401)
    if not hmac.compare_digest(str(flight.get("state", "")), params.get("state", "")):
        return _refuse(request, rt, "That sign-in does not match this browser (state).", 401)
    try:
        identity = _client(request, rt).finish(
            code=params.get("code", ""),
            redirect_uri=str(flight["redirect_uri"]),
            verifier=str(flight["verifier"]),
            nonce=str(flight["nonce"]),
            now=rt.clock.now(),
        )
    except OidcError as exc:
        return _refuse(request, rt, f"Sign-in refused: {exc}", 401)
    request.state.actor = f"oidc:{identity.email}"
    with rt.db.session() as session:
        actor = active_user(session, email=identity.email, now=rt.clock.now())
    if actor is None:
        reason = f"{identity.email} has no active Engage account; ask an admin to add it."
        return _refuse(request, rt, reason, 403)
    request.state.actor = actor.email
    start_session(request, rt, actor)
    page = HTMLResponse(CONTINUE_PAGE)
    page.delete_cookie(COOKIE, path=COOKIE_PATH)
    return page
