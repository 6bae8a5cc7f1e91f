"""Microsoft Graph v1.0 with app-only (client-credentials) tokens.

Change notifications are basic (no resource data, no HMAC): they only say that an event changed,
so the event is fetched again here with our own token. A Teams transcript is found through the
online meeting whose join URL the calendar event carries, then downloaded as WebVTT.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from agent.domain.ingestion import CalendarEvent, conference_key
from agent.errors import ConfigError, PermanentError, TransientError

API_BASE = "https://graph.microsoft.com/v1.0"
LOGIN_BASE = "https://login.microsoftonline.com"


@dataclass(frozen=True, kw_only=True)
class GraphCredentials:
    tenant_id: str
    client_id: str
    client_secret: str


def _raise_for_status(response: httpx.Response, what: str) -> None:
    status = response.status_code
    if status < 400:
        return
    if status in (429, 500, 502, 503, 504):
        retry_after = response.headers.get("Retry-After")
        delay = float(retry_after) if retry_after and retry_after.isdigit() else None
        raise TransientError(f"Microsoft Graph {what}: HTTP {status}", retry_after=delay)
    raise PermanentError(f"Microsoft Graph {what}: HTTP {status}")


def _when(raw: object) -> datetime | None:
    """Graph sends local wall time plus a zone name; we ask for UTC (`Prefer` header)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("dateTime"), str):
        return None
    text = str(raw["dateTime"])[:26]
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_event(raw: dict[str, Any]) -> CalendarEvent:
    attendees = tuple(
        str(a["emailAddress"]["address"])
        for a in raw.get("attendees", [])
        if isinstance(a, dict)
        and a.get("type") != "resource"
        and isinstance(a.get("emailAddress"), dict)
        and a["emailAddress"].get("address")
    )
    online = raw.get("onlineMeeting") or {}
    join_url = online.get("joinUrl") if isinstance(online, dict) else None
    body = raw.get("body", {})
    body_text = body.get("content") if isinstance(body, dict) else None
    location = raw.get("location", {})
    where = location.get("displayName") if isinstance(location, dict) else None
    organizer = raw.get("organizer", {}).get("emailAddress", {})
    return CalendarEvent(
        provider="microsoft_graph",
        id=str(raw["id"]),
        title=str(raw.get("subject") or "Meeting"),
        start=_when(raw.get("start")),
        end=_when(raw.get("end")),
        attendees=attendees,
        organizer=str(organizer["address"]) if organizer.get("address") else None,
        cancelled=bool(raw.get("isCancelled")),
        conference_key=conference_key(join_url, where, body_text),
        join_url=str(join_url) if join_url else None,
    )


class GraphClient:
    def __init__(
        self, *, credentials: GraphCredentials | None, transport: httpx.BaseTransport | None = None
    ) -> None:
        self._credentials = credentials
        self._http = httpx.Client(transport=transport, timeout=30.0)
        self._token: tuple[str, float] | None = None

    def close(self) -> None:
        self._http.close()

    def _headers(self) -> dict[str, str]:
        creds = self._credentials
        if creds is None:
            raise ConfigError(
                "Microsoft Graph needs GRAPH_TENANT_ID, GRAPH_CLIENT_ID and GRAPH_CLIENT_SECRET"
            )
        if self._token is None or self._token[1] < time.monotonic() + 60:
            response = self._http.post(
                f"{LOGIN_BASE}/{quote(creds.tenant_id, safe='')}/oauth2/v2.0/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": creds.client_id,
                    "client_secret": creds.client_secret,
                    "scope": "https://graph.microsoft.com/.default",
                },
            )
            _raise_for_status(response, "token")
            data = response.json()
            self._token = (str(data["access_token"]), time.monotonic() + float(data["expires_in"]))
        return {"Authorization": f"Bearer {self._token[0]}", "Prefer": 'outlook.timezone="UTC"'}

    def _get(self, path: str, params: dict[str, str] | None = None) -> httpx.Response:
        return self._http.get(f"{API_BASE}{path}", params=params, headers=self._headers())

    def get_event(self, user_id: str, event_id: str) -> CalendarEvent | None:
        """The event as it is now; None when it no longer exists."""
        response = self._get(f"/users/{quote(user_id, safe='')}/events/{quote(event_id, safe='')}")
        if response.status_code == 404:
            return None
        _raise_for_status(response, "get event")
        return parse_event(response.json())

    def transcript_vtt(self, organizer_id: str, join_url: str) -> str | None:
        """The latest transcript of the online meeting with this join URL; None if none yet."""
        user = quote(organizer_id, safe="")
        escaped = join_url.replace("'", "''")
        found = self._get(
            f"/users/{user}/onlineMeetings", {"$filter": f"JoinWebUrl eq '{escaped}'"}
        )
        _raise_for_status(found, "find online meeting")
        meetings = found.json().get("value", [])
        if not meetings:
            return None
        base = f"/users/{user}/onlineMeetings/{quote(str(meetings[0]['id']), safe='')}/transcripts"
        listed = self._get(base)
        _raise_for_status(listed, "list transcripts")
        items = sorted(listed.json().get("value", []), key=lambda t: str(t.get("createdDateTime")))
        if not items:
            return None
        content = self._get(
            f"{base}/{quote(str(items[-1]['id']), safe='')}/content", {"$format": "text/vtt"}
        )
        _raise_for_status(content, "transcript content")
        return content.text

    def subscribe(
        self, *, resource: str, notification_url: str, client_state: str, expires: datetime
    ) -> str:
        response = self._http.post(
            f"{API_BASE}/subscriptions",
            json={
                "changeType": "created,updated,deleted",
                "notificationUrl": notification_url,
                "lifecycleNotificationUrl": notification_url,
                "resource": resource,
                "expirationDateTime": expires.astimezone(UTC).isoformat(),
                "clientState": client_state,
            },
            headers=self._headers(),
        )
        _raise_for_status(response, "create subscription")
        return str(response.json()["id"])

    def renew(self, subscription_id: str, *, expires: datetime) -> None:
        response = self._http.patch(
            f"{API_BASE}/subscriptions/{quote(subscription_id, safe='')}",
            json={"expirationDateTime": expires.astimezone(UTC).isoformat()},
            headers=self._headers(),
        )
        _raise_for_status(response, "renew subscription")
