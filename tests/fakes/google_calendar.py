"""A fake Google Calendar API v3 at the HTTP transport: OAuth refresh, events.list with sync and
page tokens (410 when a sync token is expired), events.watch and channels.stop."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

import httpx

CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN = "gc_client", "gc_secret", "gc_refresh"
PAGE_SIZE = 2


@dataclass
class FakeGoogleCalendar:
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed_at: dict[str, int] = field(default_factory=dict)
    sync_tokens: dict[str, int] = field(default_factory=dict)
    expired: set[str] = field(default_factory=set)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    stopped: list[str] = field(default_factory=list)
    full_syncs: int = 0
    clock: int = 0
    access_tokens: set[str] = field(default_factory=set)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def put(self, event: dict[str, Any]) -> None:
        """Create or change an event, as a person would in the calendar."""
        self.clock += 1
        self.events[event["id"]] = {**event, "updated": f"2026-11-20T00:00:{self.clock:02d}Z"}
        self.changed_at[event["id"]] = self.clock

    def cancel(self, event_id: str) -> None:
        self.put({"id": event_id, "status": "cancelled"})

    def handle(self, request: httpx.Request) -> httpx.Response:
        host, path = request.url.host, request.url.path
        if host == "oauth2.googleapis.com" and path == "/token":
            form = dict(x.split("=", 1) for x in request.content.decode().split("&"))
            if form.get("refresh_token") != REFRESH_TOKEN or form.get("client_id") != CLIENT_ID:
                return httpx.Response(400, json={"error": "invalid_grant"})
            token = secrets.token_hex(8)
            self.access_tokens.add(token)
            return httpx.Response(
                200, json={"access_token": token, "expires_in": 3599, "token_type": "Bearer"}
            )
        if host != "www.googleapis.com":
            return httpx.Response(404)
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in (
            self.access_tokens
        ):
            return _error(401, "authError", "Invalid Credentials")
        if path == "/calendar/v3/channels/stop":
            self.stopped.append(json.loads(request.content)["id"])
            return httpx.Response(204)
        if path.endswith("/events/watch"):
            return self._watch(request, unquote(path.split("/")[4]))
        if path.endswith("/events"):
            return self._list(request)
        return _error(404, "notFound", "Not Found")

    def _list(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        token = params.get("syncToken")
        if token in self.expired:
            return _error(410, "fullSyncRequired", "Sync token is no longer valid")
        since = self.sync_tokens.get(token, 0) if token else 0
        if token is None and "pageToken" not in params:
            self.full_syncs += 1
        changed = sorted(
            (i for i, at in self.changed_at.items() if at > since), key=self.changed_at.get
        )
        if token is None:
            changed = [i for i in changed if self.events[i].get("status") != "cancelled"]
        offset = int(params.get("pageToken", "0"))
        page = changed[offset : offset + PAGE_SIZE]
        body: dict[str, Any] = {"kind": "calendar#events", "items": [self.events[i] for i in page]}
        if offset + PAGE_SIZE < len(changed):
            body["nextPageToken"] = str(offset + PAGE_SIZE)
        else:
            new_token = "sync_" + secrets.token_hex(6)
            self.sync_tokens[new_token] = self.clock
            body["nextSyncToken"] = new_token
        return httpx.Response(200, json=body)

    def _watch(self, request: httpx.Request, calendar_id: str) -> httpx.Response:
        body = json.loads(request.content)
        ttl_ms = int(body.get("params", {}).get("ttl", "604800")) * 1000
        expiration = 1_795_000_000_000 + ttl_ms
        channel = {
            "kind": "api#channel",
            "id": body["id"],
            "resourceId": "res_" + secrets.token_hex(6),
            "resourceUri": f"https://www.googleapis.com/calendar/v3/calendars/{calendar_id}/events",
            "token": body.get("token"),
            "expiration": str(expiration),
        }
        self.channels[body["id"]] = {**channel, "address": body["address"]}
        return httpx.Response(200, json=channel)


def _error(status: int, reason: str, message: str) -> httpx.Response:
    return httpx.Response(
        status,
        json={
            "error": {
                "errors": [{"domain": "global", "reason": reason, "message": message}],
                "code": status,
                "message": message,
            }
        },
    )


def event(
    event_id: str,
    *,
    start: datetime,
    minutes: int = 30,
    attendees: tuple[str, ...],
    summary: str = "Call",
    zoom_number: int | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": event_id,
        "status": "confirmed",
        "summary": summary,
        "start": {"dateTime": start.isoformat(), "timeZone": "UTC"},
        "end": {"dateTime": (start + timedelta(minutes=minutes)).isoformat(), "timeZone": "UTC"},
        "organizer": {"email": attendees[0], "self": True},
        "attendees": [{"email": a, "responseStatus": "accepted"} for a in attendees]
        + [{"email": "room-4@resource.calendar.google.com", "resource": True}],
    }
    if zoom_number is not None:
        body["conferenceData"] = {
            "entryPoints": [
                {"entryPointType": "video", "uri": f"https://acme.zoom.us/j/{zoom_number}"}
            ],
            "conferenceSolution": {"key": {"type": "addOn"}, "name": "Zoom Meeting"},
        }
    return body
