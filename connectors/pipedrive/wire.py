"""Pipedrive's wire details: the `{success, data}` envelope's errors to `agent.errors`,
`x-ratelimit-*` usage, API-token and OAuth headers, the OAuth refresh (Basic client auth; the
answer's `api_domain` is the company's API host)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

import httpx

from agent.errors import CrmError, NotFound
from connectors.common.errors import CrmTransientError
from connectors.common.tokens import Fetch, OAuthToken
from connectors.common.usage import ApiUsage

SYSTEM: Final = "pipedrive"


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if status < 300:
        return
    body = _body(response)
    message = str(body.get("error") or body.get("message") or f"HTTP {status}")
    code = body.get("code")
    if status == 429 or status >= 500:
        wait = response.headers.get("Retry-After") or response.headers.get("x-ratelimit-reset")
        try:
            seconds = float(wait) if wait else None
        except ValueError:
            seconds = None
        raise CrmTransientError(
            f"Pipedrive {'rate limit' if status == 429 else 'server error'}: {message}",
            system=SYSTEM,
            status=status,
            code=code,
            retry_after=seconds if status == 429 else None,
        )
    if status == 404:
        raise NotFound(f"Pipedrive: {message}")
    raise CrmError(f"Pipedrive refused: {message}", system=SYSTEM, status=status, code=code)


def parse_usage(headers: httpx.Headers, now: datetime) -> list[ApiUsage]:
    limit, remaining = headers.get("x-ratelimit-limit"), headers.get("x-ratelimit-remaining")
    if not (limit and remaining and limit.isdigit() and remaining.isdigit()):
        return []
    return [ApiUsage(name="2s-window", used=int(limit) - int(remaining), limit=int(limit), at=now)]


def api_token_header(token: str) -> dict[str, str]:
    return {"x-api-token": token}


def oauth_fetcher(
    *,
    http: httpx.Client,
    oauth_url: str,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    now: Callable[[], datetime],
) -> Fetch:
    basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()

    def fetch(last: OAuthToken | None) -> OAuthToken:
        refresh = (last.refresh_token if last else None) or refresh_token
        try:
            response = http.post(
                f"{oauth_url}/oauth/token",
                data={"grant_type": "refresh_token", "refresh_token": refresh},
                headers={"Authorization": f"Basic {basic}"},
            )
        except httpx.TransportError as exc:
            raise CrmTransientError(f"Pipedrive token refresh: {exc!r}", system=SYSTEM) from exc
        body = _body(response)
        if response.status_code >= 500:
            raise CrmTransientError(
                "Pipedrive token refresh failed", system=SYSTEM, status=response.status_code
            )
        if response.status_code != 200 or "access_token" not in body:
            raise CrmError(
                f"Pipedrive token refresh refused: {body.get('message', response.status_code)}",
                system=SYSTEM,
                status=response.status_code,
                code="invalid_grant",
            )
        return OAuthToken(
            access_token=str(body["access_token"]),
            refresh_token=str(body.get("refresh_token") or refresh),
            expires_at=now() + timedelta(seconds=int(body.get("expires_in", 3599))),
            instance_url=str(body["api_domain"]) if body.get("api_domain") else None,
        )

    return fetch
