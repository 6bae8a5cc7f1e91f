"""Serving a fake over a real loopback socket, and injecting faults into its traffic.

`serve(app)` runs an ASGI app with uvicorn on 127.0.0.1 in a thread and yields its base URL, so
connectors and vendor clients talk to the fake as they would to the vendor. `FaultPlan` decides,
per request, whether a fake answers with an injected failure instead of doing the work, and
`FlakyTransport` loses requests on the client side: before they leave (a connect timeout) or after
the fake has already applied them (a read timeout), the case that tempts a client to write twice.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn


@contextmanager
def serve(app: Any, *, name: str = "fake") -> Iterator[str]:
    """Serve `app` on a free port of 127.0.0.1; yields `http://127.0.0.1:PORT`."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        http="h11",
        ws="none",
        lifespan="off",
        log_config=None,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the {name} server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@dataclass
class FaultPlan:
    """Fails a share of requests with a seeded choice of injected errors.

    `kinds` name what the fake answers instead of doing the work: `rate_limit` (the vendor's
    rate-limit answer with Retry-After), `server_error` (500) or `unavailable` (503).
    """

    rate: float = 0.0
    kinds: tuple[str, ...] = ("rate_limit", "server_error", "unavailable")
    seed: int = 7
    script: list[str] = field(default_factory=list)
    """Faults for the next requests, in order, before any random ones."""
    injected: dict[str, int] = field(default_factory=dict)
    _rng: random.Random = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def next_fault(self) -> str | None:
        with self._lock:
            if self.script:
                kind = self.script.pop(0)
            elif self.rate <= 0 or self._rng.random() >= self.rate:
                return None
            else:
                kind = self._rng.choice(self.kinds)
            self.injected[kind] = self.injected.get(kind, 0) + 1
            return kind


class FlakyTransport(httpx.BaseTransport):
    """Loses a share of requests: half before sending, half after the server applied them."""

    def __init__(self, *, rate: float, seed: int = 11) -> None:
        self._inner = httpx.HTTPTransport()
        self._rate = rate
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.lost_before = 0
        self.lost_after = 0

    def _roll(self) -> str | None:
        with self._lock:
            if self._rng.random() >= self._rate:
                return None
            return "before" if self._rng.random() < 0.5 else "after"

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        loss = self._roll()
        if loss == "before":
            self.lost_before += 1
            raise httpx.ConnectTimeout("injected: connect timed out", request=request)
        response = self._inner.handle_request(request)
        if loss == "after":
            response.read()
            response.close()
            self.lost_after += 1
            raise httpx.ReadTimeout("injected: the answer was lost", request=request)
        return response

    def close(self) -> None:
        self._inner.close()
