"""Structured logs: one JSON object per line, each naming its request, job and meeting.

`configure_logging` routes both structlog and the standard library's `logging` (which most of
Engage and its libraries use) through one JSON renderer. The ids live in context variables:
`RequestIdMiddleware` binds `request_id` for an HTTP request, the job queue binds `job_id` (and
the payload's `meeting_id`) for a job, and services bind `meeting_id` once they know it. Every
line carries all three keys, `null` where the line belongs to no such thing, so a log search by
any id finds every line of that request, job or meeting.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import MutableMapping
from typing import Any, Final, TextIO

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.contextvars import bind_contextvars, bound_contextvars

IDS: Final = ("request_id", "job_id", "meeting_id")
_HANDLER_NAME: Final = "engage-json"
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

log = logging.getLogger("engage.http")


def _with_ids(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in IDS:
        event.setdefault(key, None)
    return event


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        _with_ids,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def configure_logging(level: str = "INFO", *, stream: TextIO | None = None) -> logging.Handler:
    """JSON lines on `stream` (stderr by default) for every logger; calling it again replaces the
    handler it installed before. Returns the handler, so a caller can remove it."""
    shared = _shared_processors()
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(sort_keys=False, default=str),
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    return handler


def bind_meeting(meeting_id: str | None) -> None:
    """From here to the end of the current request or job, lines name this meeting."""
    if meeting_id:
        bind_contextvars(meeting_id=meeting_id)


def job_context(job_id: str, meeting_id: object) -> Any:
    """The ids of one job attempt, restored to the caller's when the attempt ends."""
    meeting = str(meeting_id) if meeting_id else None
    return bound_contextvars(job_id=job_id, meeting_id=meeting)


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    """The caller's `X-Request-ID` when it is a plain token, else a fresh one."""
    for name, value in headers:
        if name.lower() == b"x-request-id":
            sent = value.decode("latin-1").strip()
            if _SAFE_REQUEST_ID.fullmatch(sent):
                return sent
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Binds a request id for everything the request logs, echoes it as `X-Request-ID`, and logs
    one line per request with its status and duration."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope.get("headers", []))
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        with bound_contextvars(request_id=request_id, job_id=None, meeting_id=None):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                log.info(
                    "request",
                    extra={
                        "method": scope.get("method"),
                        "path": scope.get("path"),
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    },
                )
