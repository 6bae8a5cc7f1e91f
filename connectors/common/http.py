"""One HTTP client for every CRM connector: auth header, one refresh on 401, the retry policy,
usage tracking and a count of requests sent.

A request is `safe` when repeating it cannot write twice (GET, or a POST that only reads, such as
a search); an unsafe request whose answer is lost (a read timeout, a 500/502/504) raises
`OutcomeUnknown` instead of being retried, so the caller re-reads before trying again.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from connectors.common.errors import CrmTransientError, OutcomeUnknown
from connectors.common.retry import RetryPolicy
from connectors.common.tokens import TokenSource
from connectors.common.usage import ApiUsage

ErrorMapper = Callable[[httpx.Response], None]
"""Raises the `agent.errors` error for a vendor's error response; returns for a success."""
UsageParser = Callable[[httpx.Headers, datetime], list[ApiUsage]]
AuthHeader = Callable[[str], dict[str, str]]

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_LOST_ANSWER = frozenset({500, 502, 504})
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class CallStats:
    """Requests sent to the vendor (every attempt counts), for benchmarks and tests."""

    requests: int = 0
    writes: int = 0
    routes: Counter[str] = field(default_factory=Counter)

    def reset(self) -> None:
        self.requests, self.writes = 0, 0
        self.routes.clear()


class ApiClient:
    def __init__(
        self,
        *,
        system: str,
        token: TokenSource,
        raise_for_status: ErrorMapper,
        base_url: str | None = None,
        usage_parser: UsageParser | None = None,
        retry: RetryPolicy | None = None,
        http: httpx.Client | None = None,
        auth_header: AuthHeader = bearer,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.system = system
        self.stats = CallStats()
        self._token = token
        self._raise_for_status = raise_for_status
        self._base_url = base_url.rstrip("/") if base_url else None
        self._usage_parser = usage_parser
        self._retry = retry or RetryPolicy()
        self._http = http or httpx.Client(timeout=30.0)
        self._auth_header = auth_header
        self._now = now
        self._usage: dict[str, ApiUsage] = {}
        self._lock = threading.Lock()

    @property
    def token(self) -> TokenSource:
        return self._token

    @property
    def usage(self) -> tuple[ApiUsage, ...]:
        with self._lock:
            return tuple(self._usage.values())

    def base_url(self) -> str:
        """The configured base URL, or the instance URL the token came with (Salesforce)."""
        found = self._base_url or self._token.current().instance_url
        if not found:
            raise CrmTransientError("no API base URL known yet", system=self.system)
        return found.rstrip("/")

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        safe: bool | None = None,
    ) -> httpx.Response:
        """One logical call, retried under the policy; `path` is relative to the base URL."""
        is_safe = method.upper() in _SAFE_METHODS if safe is None else safe
        return self._retry.call(
            lambda: self._attempt(method.upper(), path, params, json, headers, is_safe)
        )

    def _attempt(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: Any,
        headers: Mapping[str, str] | None,
        safe: bool,
    ) -> httpx.Response:
        for refreshed in (False, True):
            token = self._token.current()
            sent = {**self._auth_header(token.access_token), **(headers or {})}
            response = self._send(method, path, params, body, sent, safe)
            if response.status_code == 401 and self._token.can_refresh and not refreshed:
                self._token.invalidate()
                continue
            break
        try:
            self._raise_for_status(response)
        except CrmTransientError as exc:
            if not safe and response.status_code in _LOST_ANSWER:
                raise OutcomeUnknown(
                    f"{method} {path}: {exc}", system=self.system, status=exc.status, code=exc.code
                ) from exc
            raise
        return response

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: Any,
        headers: Mapping[str, str],
        safe: bool,
    ) -> httpx.Response:
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url()}{path}"
        with self._lock:
            self.stats.requests += 1
            self.stats.writes += 0 if safe else 1
            self.stats.routes[f"{method} {path.split('?', 1)[0]}"] += 1
        try:
            response = self._http.request(method, url, params=params, json=body, headers=headers)
        except _NOT_SENT as exc:
            raise CrmTransientError(f"{method} {path}: {exc!r}", system=self.system) from exc
        except httpx.TransportError as exc:
            error = CrmTransientError if safe else OutcomeUnknown
            raise error(f"{method} {path}: no answer ({exc!r})", system=self.system) from exc
        self._track(response)
        return response

    def _track(self, response: httpx.Response) -> None:
        if self._usage_parser is None:
            return
        found = self._usage_parser(response.headers, self._now())
        with self._lock:
            self._usage.update({u.name: u for u in found})

    def close(self) -> None:
        self._http.close()
