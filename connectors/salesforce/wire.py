"""Salesforce's wire details in one place: error arrays to `agent.errors`, `Sforce-Limit-Info`,
SOQL literals and the record stamp format."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, Final

import httpx

from agent.errors import CrmError, NotFound
from connectors.common.errors import CrmTransientError
from connectors.common.usage import ApiUsage

SYSTEM: Final = "salesforce"

_NOT_FOUND: Final = frozenset({"NOT_FOUND", "ENTITY_IS_DELETED", "INVALID_CROSS_REFERENCE_KEY"})
_RATE_LIMITED: Final = frozenset({"REQUEST_LIMIT_EXCEEDED", "CONCURRENT_REQUEST_LIMIT_EXCEEDED"})
_USAGE: Final = re.compile(
    r"(?P<name>[\w-]*api-usage)=(?P<used>\d+)/(?P<limit>\d+)(?:\(appName=(?P<app>[^)]*)\))?"
)


def first_error(body: Any, status: int) -> tuple[str | None, str, list[str]]:
    """(errorCode, message, fields) of Salesforce's error array, or of a bare status."""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        error = body[0]
        code = error.get("errorCode") or error.get("statusCode")
        return code, str(error.get("message") or f"HTTP {status}"), list(error.get("fields") or [])
    return None, f"HTTP {status}", []


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def error_for(status: int, body: Any, *, wait: float | None = None) -> Exception:
    """The one mapping from a Salesforce error answer to the `agent.errors` tree."""
    code, message, fields = first_error(body, status)
    where = f" ({', '.join(fields)})" if fields else ""
    if status == 429 or code in _RATE_LIMITED:
        return CrmTransientError(
            f"Salesforce rate limit: {message}",
            system=SYSTEM,
            status=status,
            code=code,
            retry_after=wait,
        )
    if status >= 500:
        return CrmTransientError(
            f"Salesforce server error: {message}",
            system=SYSTEM,
            status=status,
            code=code,
            retry_after=wait,
        )
    if status == 404 or code in _NOT_FOUND:
        return NotFound(f"Salesforce: {message}")
    return CrmError(
        f"Salesforce refused: {message}{where}", system=SYSTEM, status=status, code=code
    )


def raise_for_status(response: httpx.Response) -> None:
    if response.status_code < 300:
        return
    try:
        body = response.json()
    except ValueError:
        body = None
    raise error_for(response.status_code, body, wait=retry_after(response))


def parse_usage(headers: httpx.Headers, now: datetime) -> list[ApiUsage]:
    found = []
    for match in _USAGE.finditer(headers.get("Sforce-Limit-Info", "")):
        name = match["name"] + (f":{match['app']}" if match["app"] else "")
        found.append(
            ApiUsage(name=name, used=int(match["used"]), limit=int(match["limit"]), at=now)
        )
    return found


def soql_literal(value: str) -> str:
    """A quoted SOQL string literal; backslashes and quotes escaped."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def parse_stamp(text: str) -> datetime:
    """`2026-11-20T09:00:01.000+0000` as an aware datetime."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")


def http_date(stamp: str) -> str:
    """The `If-Unmodified-Since` form of a record stamp."""
    return format_datetime(parse_stamp(stamp).astimezone(UTC), usegmt=True)
