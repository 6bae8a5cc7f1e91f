"""Google Calendar API v3: changed events by sync token, full resync on 410, push channels.

A push notification carries no event data, only "something changed"; the changed events are
pulled with the stored sync token (`nextSyncToken` comes on the last page only). A 410 means the
token is no longer valid: `SyncTokenExpired` tells the caller to start again without one.
Access uses an OAuth refresh token (GOOGLE_OAUTH_*), exchanged for short-lived access tokens.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from agent.domain.ingestion import CalendarEvent, CalendarPage, SyncTokenExpired, conference_key
from agent.errors import ConfigError, PermanentError, TransientError

API_BASE = "https://www.googleapis.com/calendar/v3"
TOKEN_URL = "https://oauth2.googleapis.com/token"  # noqa: S105 (a URL, not a secret)
MAX_PAGES = 50


@dataclass(frozen=True, kw_only=True)
class GoogleOAuth:
    client_id: str
    client_secret: str
    refresh_token: str


def _raise_for_status(response: httpx.Response, what: str) -> None:
    status = response.status_code
    if status < 400:
        return
    if status == 410:
        raise SyncTokenExpired(f"Google Calendar {what}: sync token expired (410)")
    if status in (429, 500, 502, 503, 504) or (status == 403 and b"ateLimit" in response.content):
        retry_after = response.headers.get("Retry-After")
        delay = float(retry_after) if retry_after and retry_after.isdigit() else None
        raise TransientError(f"Google Calendar {what}: HTTP {status}", retry_after=delay)
    raise PermanentError(f"Google Calendar {what}: HTTP {status}")


def _when(raw: object) -> datetime | None:
    if not isinstance(raw, dict):
        return None
    text = raw.get("dateTime") or raw.get("date")
    if not isinstance(text, str):
        return None
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_event(raw: dict[str, Any]) -> CalendarEvent:
    """An events-resource item as a `CalendarEvent`; rooms and other resources are no attendees."""
    attendees = tuple(
        str(a["email"])
        for a in raw.get("attendees", [])
        if isinstance(a, dict) and a.get("email") and not a.get("resource")
    )
    entry_points = raw.get("conferenceData", {}).get("entryPoints", [])
    uris = [str(e.get("uri", "")) for e in entry_points if isinstance(e, dict)]
    texts = [*uris, raw.get("hangoutLink"), raw.get("location"), raw.get("description")]
    organizer = raw.get("organizer", {})
    return CalendarEvent(
        provider="google_calendar",
        id=str(raw["id"]),
        title=str(raw.get("summary") or "Meeting"),
        start=_when(raw.get("start")),
        end=_when(raw.get("end")),
        attendees=attendees,
        organizer=str(organizer["email"]) if organizer.get("email") else None,
        cancelled=raw.get("status") == "cancelled",
        conference_key=conference_key(*texts),
        join_url=next((u for u in uris if u.startswith("https://")), None),
    )


class GoogleCalendarClient:
    def __init__(
        self, *, oauth: GoogleOAuth | None, transport: httpx.BaseTransport | None = None
    ) -> None:
        self._oauth = oauth
        self._http = httpx.Client(transport=transport, timeout=30.0)
        self._token: tuple[str, float] | None = None

    def close(self) -> None:
        self._http.close()

    def _headers(self) -> dict[str, str]:
        if self._oauth is None:
            raise ConfigError(
                "Google Calendar needs GOOGLE_OAUTH_CLIENT_ID, GOOGLE_OAUTH_CLIENT_SECRET "
                "and GOOGLE_OAUTH_REFRESH_TOKEN"
            )
        if self._token is None or self._token[1] < time.monotonic() + 60:
            response = self._http.post(
                TOKEN_URL,
                data={
                    "grant_type": "refresh_token",
                    "client_id": self._oauth.client_id,
                    "client_secret": self._oauth.client_secret,
                    "refresh_token": self._oauth.refresh_token,
                },
            )
            _raise_for_status(response, "token refresh")
            data = response.json()
            self._token = (str(data["access_token"]), time.monotonic() + float(data["expires_in"]))
        return {"Authorization": f"Bearer {self._token[0]}"}

    def changes(self, calendar_id: str, *, sync_token: str | None) -> CalendarPage:
        """Every event changed since `sync_token` (all events when None), and the next token."""
        url = f"{API_BASE}/calendars/{quote(calendar_id, safe='')}/events"
        params: dict[str, str] = {"singleEvents": "true", "maxResults": "250"}
        if sync_token:
            params["syncToken"] = sync_token
        events: list[CalendarEvent] = []
        for _ in range(MAX_PAGES):
            response = self._http.get(url, params=params, headers=self._headers())
            _raise_for_status(response, "events.list")
            data = response.json()
            events += [parse_event(item) for item in data.get("items", [])]
            if data.get("nextPageToken"):
                params["pageToken"] = str(data["nextPageToken"])
                continue
            return CalendarPage(events=tuple(events), next_sync_token=data.get("nextSyncToken"))
        raise TransientError(f"Google Calendar events.list: more than {MAX_PAGES} pages")

    def watch(
        self, calendar_id: str, *, channel_id: str, address: str, token: str, ttl_s: int
    ) -> tuple[str, datetime]:
        response = self._http.post(
            f"{API_BASE}/calendars/{quote(calendar_id, safe='')}/events/watch",
            json={
                "id": channel_id,
                "type": "web_hook",
                "address": address,
                "token": token,
                "params": {"ttl": str(ttl_s)},
            },
            headers=self._headers(),
        )
        _raise_for_status(response, "events.watch")
        data = response.json()
        expires = datetime.fromtimestamp(int(data["expiration"]) / 1000, tz=UTC)
        return str(data["resourceId"]), expires

    def stop(self, *, channel_id: str, resource_id: str) -> None:
        response = self._http.post(
            f"{API_BASE}/channels/stop",
            json={"id": channel_id, "resourceId": resource_id},
            headers=self._headers(),
        )
        if response.status_code != 404:
            _raise_for_status(response, "channels.stop")
