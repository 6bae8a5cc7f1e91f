"""HubSpot's wire details: error bodies to `agent.errors`, `X-HubSpot-RateLimit-*` usage, and the
OAuth v1 refresh (tokens last `expires_in` seconds, so expiry is tracked, not guessed from 401s)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

import httpx

from agent.errors import CrmError, NotFound
from connectors.common.errors import CrmTransientError
from connectors.common.tokens import Fetch, OAuthToken
from connectors.common.usage import ApiUsage

SYSTEM: Final = "hubspot"


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def error_for(status: int, body: dict[str, Any], *, wait: float | None = None) -> Exception:
    category = body.get("category") or body.get("errorType")
    message = str(body.get("message") or f"HTTP {status}")
    if status == 429:
        policy = body.get("policyName")
        return CrmTransientError(
            f"HubSpot rate limit ({policy or category}): {message}",
            system=SYSTEM,
            status=status,
            code=str(policy or category or "RATE_LIMIT"),
            retry_after=wait,
        )
    if status >= 500:
        return CrmTransientError(
            f"HubSpot server error: {message}", system=SYSTEM, status=status, code=category
        )
    if status == 404 or category == "OBJECT_NOT_FOUND":
        return NotFound(f"HubSpot: {message}")
    return CrmError(f"HubSpot refused: {message}", system=SYSTEM, status=status, code=category)


def raise_for_status(response: httpx.Response) -> None:
    """Every error answer, and a batch's 207 whose errors are all 'not found'."""
    status = response.status_code
    if status == 207:
        errors = _body(response).get("errors") or []
        if errors:
            raise error_for(
                404 if errors[0].get("category") == "OBJECT_NOT_FOUND" else 400, errors[0]
            )
        return
    if status < 300:
        return
    wait = response.headers.get("Retry-After")
    try:
        seconds = float(wait) if wait is not None else None
    except ValueError:
        seconds = None
    raise error_for(status, _body(response), wait=seconds)


def parse_usage(headers: httpx.Headers, now: datetime) -> list[ApiUsage]:
    found = []
    for name, limit_header, remaining_header in (
        ("daily", "X-HubSpot-RateLimit-Daily", "X-HubSpot-RateLimit-Daily-Remaining"),
        ("interval", "X-HubSpot-RateLimit-Max", "X-HubSpot-RateLimit-Remaining"),
    ):
        limit, remaining = headers.get(limit_header), headers.get(remaining_header)
        if limit and remaining and limit.isdigit() and remaining.isdigit():
            found.append(
                ApiUsage(name=name, used=int(limit) - int(remaining), limit=int(limit), at=now)
            )
    return found


def oauth_fetcher(
    *,
    http: httpx.Client,
    base_url: str,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    now: Callable[[], datetime],
) -> Fetch:
    def fetch(last: OAuthToken | None) -> OAuthToken:
        form = {
            "grant_type": "refresh_token",
            "client_id": client_id,
            "client_secret": client_secret,
            "refresh_token": (last.refresh_token if last else None) or refresh_token,
        }
        try:
            response = http.post(f"{base_url}/oauth/v1/token", data=form)
        except httpx.TransportError as exc:
            raise CrmTransientError(f"HubSpot token refresh: {exc!r}", system=SYSTEM) from exc
        body = _body(response)
        if response.status_code >= 500:
            raise CrmTransientError(
                "HubSpot token refresh failed", system=SYSTEM, status=response.status_code
            )
        if response.status_code != 200 or "access_token" not in body:
            code = str(body.get("status") or f"HTTP {response.status_code}")
            raise CrmError(
                f"HubSpot token refresh refused: {code}: {body.get('message', '')}",
                system=SYSTEM,
                status=response.status_code,
                code=code,
            )
        return OAuthToken(
            access_token=str(body["access_token"]),
            refresh_token=str(body.get("refresh_token") or form["refresh_token"]),
            expires_at=now() + timedelta(seconds=int(body.get("expires_in", 1800))),
        )

    return fetch
