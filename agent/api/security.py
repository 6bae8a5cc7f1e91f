"""HTTP hygiene in one ASGI middleware: body size limits, rate limits, security headers, and the
access log of every refused request.

It sits outside the routes (and the session cookie), so an oversized or over-quota request is
answered before any of Engage's code reads it:

- **Body size**: a declared `Content-Length` above the limit is refused at once, and a body that
  streams past it is cut off; both answer 413 with the limit in the reason. Transcript uploads
  get `ENGAGE_MAX_UPLOAD_BYTES`, everything else `ENGAGE_MAX_BODY_BYTES`.
- **Rate limits**: a token bucket per bearer token (per client address without one) on the API,
  the login form and the sign-in callback; an empty bucket answers 429 with `Retry-After`.
  Every 401 also spends from a bucket of the client address, so inventing a new token for
  each request does not get around the limit. In memory: each process counts its own.
- **Headers**: CSP (strict for JSON, `'self'` for pages, the CDN for `/docs`), `X-Frame-Options`,
  `X-Content-Type-Options`, `Referrer-Policy`, no caching of API answers, HSTS behind HTTPS.
- **Denials**: every 401, 403 and 429 goes to `engage.audit_access` with the actor that the auth
  dependency recorded in the request state (`actor`), the method, the path and the reason.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent.services import access
from agent.settings import Settings

UPLOAD_PATHS = re.compile(r"^/api/v1/(transcripts|meetings/[^/]+/transcript)$")
DENIALS = (401, 403, 429)

API_CSP = "default-src 'none'; frame-ancestors 'none'"
PAGE_CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
COMMON_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


@dataclass
class TokenBuckets:
    """Token buckets by key: `burst` requests at once, refilled at `per_minute`.

    The number of keys is bounded: the least recently seen bucket is dropped first (a dropped
    bucket comes back full, which only ever errs towards letting a request through).
    """

    per_minute: int
    burst: int
    clock: Callable[[], float] = time.monotonic
    max_keys: int = 10_000
    _buckets: OrderedDict[str, tuple[float, float]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0

    def take(self, key: str, *, spend: bool = True) -> float:
        """Spend one token (or, with `spend=False`, only look); 0.0 when one is there, else the
        seconds until one will be."""
        rate = self.per_minute / 60.0
        with self._lock:
            now = self.clock()
            level, stamp = self._buckets.pop(key, (float(self.burst), now))
            level = min(float(self.burst), level + (now - stamp) * rate)
            wait = 0.0 if level >= 1.0 else (1.0 - level) / rate
            self._buckets[key] = (level - 1.0 if wait == 0.0 and spend else level, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return wait


@dataclass(frozen=True)
class Limits:
    max_body: int
    max_upload: int
    secure: bool

    def body_limit(self, path: str) -> int:
        return self.max_upload if UPLOAD_PATHS.match(path) else self.max_body


def _rate_limited(method: str, path: str) -> bool:
    if path.startswith("/api/"):
        return True
    return (method == "POST" and path == "/login") or path.startswith("/auth/")


def address(scope: Scope) -> str:
    client = scope.get("client")
    return "address:" + (str(client[0]) if client else "unknown")


def rate_key(scope: Scope) -> str:
    """The bucket: a digest of the bearer token, else the client address."""
    auth = Headers(scope=scope).get("authorization", "")
    scheme, _, credentials = auth.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return "bearer:" + hashlib.sha256(credentials.strip().encode()).hexdigest()[:16]
    return address(scope)


def _csp(path: str, content_type: str) -> str:
    if path == "/docs" or path.startswith(("/docs/", "/redoc")):
        return DOCS_CSP
    return PAGE_CSP if content_type.startswith("text/html") else API_CSP


def _detail(body: bytes) -> str:
    try:
        data: Any = json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")[:300]
    if isinstance(data, dict) and "detail" in data:
        return str(data["detail"])
    return str(data)[:300]


class _Exchange:
    """One request in flight: its byte count, and what the response said so far."""

    def __init__(self, scope: Scope, receive: Receive, send: Send, limits: Limits) -> None:
        self.scope, self._receive, self._send = scope, receive, send
        self.limits = limits
        self.limit = limits.body_limit(scope["path"])
        self.received = 0
        self.status: int | None = None
        self.denial_body = bytearray()

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                raise HTTPException(413, detail=too_large(self.limit))
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            headers = MutableHeaders(scope=message)
            self._decorate(headers)
        elif (
            message["type"] == "http.response.body"
            and self.status in DENIALS
            and len(self.denial_body) < 2048
        ):
            self.denial_body.extend(message.get("body", b""))
        await self._send(message)

    def _decorate(self, headers: MutableHeaders) -> None:
        path = self.scope["path"]
        for name, value in COMMON_HEADERS.items():
            headers[name] = value
        headers["content-security-policy"] = _csp(path, headers.get("content-type", ""))
        if path.startswith("/api/") or headers.get("content-type", "").startswith("text/html"):
            headers.setdefault("cache-control", "no-store")
        if self.limits.secure:
            headers["strict-transport-security"] = "max-age=31536000; includeSubDomains"

    def log_denial(self) -> None:
        if self.status not in DENIALS:
            return
        state = self.scope.get("state") or {}
        actor = state.get("actor") or state.get("rate_key")
        access.denied(
            actor=str(actor) if actor else None,
            action=self.scope["method"],
            target=self.scope["path"],
            status=self.status or 0,
            reason=_detail(bytes(self.denial_body)),
        )


def too_large(limit: int) -> str:
    return f"request body larger than {limit} bytes"


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, *, limits: Limits, buckets: TokenBuckets) -> None:
        self.app = app
        self.limits = limits
        self.buckets = buckets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = _Exchange(scope, receive, send, self.limits)
        refusal = self._refusal(scope, exchange.limit)
        try:
            if refusal is not None:
                await _answer(exchange.send, *refusal)
                return
            try:
                await self.app(scope, exchange.receive, exchange.send)
            except HTTPException as exc:
                if exc.status_code != 413 or exchange.status is not None:
                    raise
                await _answer(exchange.send, 413, str(exc.detail), {"connection": "close"})
        finally:
            exchange.log_denial()
            if exchange.status == 401 and self.buckets.enabled:
                self.buckets.take("failed-" + address(scope))

    def _refusal(self, scope: Scope, limit: int) -> tuple[int, str, dict[str, str]] | None:
        """A 429 or a 413 decided from the headers alone, before the app sees the request."""
        if self.buckets.enabled and _rate_limited(scope["method"], scope["path"]):
            key = rate_key(scope)
            failed = self.buckets.take("failed-" + address(scope), spend=False)
            if (wait := failed or self.buckets.take(key)) > 0:
                scope.setdefault("state", {})["rate_key"] = key
                seconds = max(1, math.ceil(wait))
                reason = (
                    f"rate limit exceeded ({self.buckets.per_minute} requests a minute, bursts "
                    f"of {self.buckets.burst}); retry after {seconds} s"
                )
                return 429, reason, {"retry-after": str(seconds)}
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return 413, too_large(limit), {"connection": "close"}
        return None


async def _answer(send: Send, status: int, detail: str, extra: dict[str, str]) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((k.encode(), v.encode()) for k, v in extra.items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def install(
    app: Starlette, settings: Settings, *, clock: Callable[[], float] | None = None
) -> None:
    """Add the middleware outermost; its buckets stay reachable as `app.state.rate_buckets`."""
    buckets = TokenBuckets(
        per_minute=settings.engage_rate_limit_per_minute,
        burst=settings.engage_rate_limit_burst,
        clock=clock or time.monotonic,
    )
    limits = Limits(
        max_body=settings.engage_max_body_bytes,
        max_upload=settings.engage_max_upload_bytes,
        secure=settings.engage_secure_cookies,
    )
    app.state.rate_buckets = buckets
    app.add_middleware(SecurityMiddleware, limits=limits, buckets=buckets)
