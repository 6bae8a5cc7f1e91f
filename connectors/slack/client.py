"""The Slack Web API over HTTP: one method call, one place that maps Slack's answers to errors.

Slack answers almost everything with HTTP 200 and `{"ok": false, "error": "..."}`; a rate limit is
HTTP 429 with `Retry-After`. `_raise_for` turns those into Engage's error tree, so a delivery job
retries what is worth retrying (rate limits, 5xx, network) and dead-letters the rest with Slack's
own error code in the reason.
"""

from __future__ import annotations

from typing import Any

import httpx

from agent.errors import ConfigError, PermanentError, TransientError

DEFAULT_BASE_URL = "https://slack.com/api"
AUTH_ERRORS = frozenset(
    {
        "not_authed",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "not_allowed_token_type",
        "no_permission",
    }
)
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
READ_METHODS = frozenset({"users.info", "users.lookupByEmail", "auth.test"})
"""Slack documents these as GET with query parameters (they refuse a JSON body)."""


class SlackApiError(PermanentError):
    def __init__(self, method: str, code: str) -> None:
        super().__init__(f"Slack {method} failed: {code}")
        self.method = method
        self.code = code


class SlackClient:
    def __init__(
        self,
        *,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            headers={"Authorization": f"Bearer {token}"},
            transport=transport,
            timeout=timeout,
        )

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Call one Web API method; returns Slack's JSON answer when it says `ok`."""
        try:
            if method in READ_METHODS:
                response = self._http.get(method, params=params)
            else:
                response = self._http.post(method, json=params)
        except httpx.TransportError as exc:
            raise TransientError(f"Slack {method}: {type(exc).__name__}") from None
        return _raise_for(method, response)

    def close(self) -> None:
        self._http.close()


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(float(response.headers.get("Retry-After", "1")), 0.0)
    except ValueError:
        return 1.0


def _raise_for(method: str, response: httpx.Response) -> dict[str, Any]:
    if response.status_code == 429:
        raise TransientError(f"Slack {method}: rate limited", retry_after=_retry_after(response))
    if response.status_code >= 500:
        raise TransientError(f"Slack {method}: HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError:
        raise PermanentError(f"Slack {method}: HTTP {response.status_code}, not JSON") from None
    if not isinstance(data, dict):
        raise PermanentError(f"Slack {method}: unexpected answer")
    if data.get("ok") is True:
        return data
    code = str(data.get("error") or f"http_{response.status_code}")
    if code in AUTH_ERRORS:
        raise ConfigError(f"Slack {method} failed: {code} (check SLACK_BOT_TOKEN and its scopes)")
    if code in TRANSIENT_ERRORS:
        raise TransientError(f"Slack {method} failed: {code}", retry_after=_retry_after(response))
    raise SlackApiError(method, code)
