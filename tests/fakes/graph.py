"""A fake Microsoft Graph v1.0 at the HTTP transport: client-credentials tokens, mailbox events,
subscriptions (create, renew), online meetings by join URL, and Teams transcripts as WebVTT."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

import httpx

TENANT, CLIENT_ID, CLIENT_SECRET = "tenant-1", "graph-client", "graph-secret"


@dataclass
class FakeGraph:
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    online_meetings: dict[str, str] = field(default_factory=dict)
    """join URL → online meeting id."""
    transcripts: dict[str, str] = field(default_factory=dict)
    """online meeting id → VTT text."""
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    renewals: list[str] = field(default_factory=list)
    access_tokens: set[str] = field(default_factory=set)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        host, path = request.url.host, request.url.path
        if host == "login.microsoftonline.com" and path == f"/{TENANT}/oauth2/v2.0/token":
            form = dict(x.split("=", 1) for x in request.content.decode().split("&"))
            if form.get("client_secret") != CLIENT_SECRET:
                return httpx.Response(401, json={"error": "invalid_client"})
            token = secrets.token_hex(8)
            self.access_tokens.add(token)
            return httpx.Response(
                200, json={"token_type": "Bearer", "expires_in": 3599, "access_token": token}
            )
        if host != "graph.microsoft.com":
            return httpx.Response(404)
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in (
            self.access_tokens
        ):
            return _error(401, "InvalidAuthenticationToken", "Access token is empty.")
        parts = [unquote(p) for p in path.removeprefix("/v1.0/").split("/")]
        if parts[0] == "subscriptions":
            return self._subscriptions(request, parts)
        if parts[0] == "users" and parts[2] == "events":
            found = self.events.get(parts[3])
            if found is None:
                return _error(404, "ErrorItemNotFound", "The specified object was not found.")
            return httpx.Response(200, json=found)
        if parts[0] == "users" and parts[2] == "onlineMeetings":
            return self._meetings(request, parts)
        return _error(404, "ResourceNotFound", "not in the fake")

    def _subscriptions(self, request: httpx.Request, parts: list[str]) -> httpx.Response:
        body = json.loads(request.content) if request.content else {}
        if request.method == "POST":
            sub_id = secrets.token_hex(8)
            self.subscriptions[sub_id] = {**body, "id": sub_id}
            return httpx.Response(201, json=self.subscriptions[sub_id])
        if request.method == "PATCH" and parts[1] in self.subscriptions:
            self.subscriptions[parts[1]]["expirationDateTime"] = body["expirationDateTime"]
            self.renewals.append(parts[1])
            return httpx.Response(200, json=self.subscriptions[parts[1]])
        return _error(404, "ResourceNotFound", "no such subscription")

    def _meetings(self, request: httpx.Request, parts: list[str]) -> httpx.Response:
        if len(parts) == 3:
            wanted = request.url.params.get("$filter", "").split("'", 1)[1].rsplit("'", 1)[0]
            found = self.online_meetings.get(wanted.replace("''", "'"))
            value = [{"id": found, "joinWebUrl": wanted}] if found else []
            return httpx.Response(200, json={"value": value})
        meeting_id = parts[3]
        if len(parts) == 5:
            value = (
                [{"id": "t1", "meetingId": meeting_id, "createdDateTime": "2026-11-20T15:31:00Z"}]
                if meeting_id in self.transcripts
                else []
            )
            return httpx.Response(200, json={"value": value})
        if request.url.params.get("$format") != "text/vtt":
            return _error(400, "BadRequest", "format")
        return httpx.Response(
            200, text=self.transcripts[meeting_id], headers={"Content-Type": "text/vtt"}
        )


def _error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message}})


def teams_event(
    event_id: str, *, start: datetime, attendees: tuple[str, ...], join_url: str | None
) -> dict[str, Any]:
    fmt = "%Y-%m-%dT%H:%M:%S.0000000"
    return {
        "id": event_id,
        "subject": "Teams call",
        "isCancelled": False,
        "start": {"dateTime": start.strftime(fmt), "timeZone": "UTC"},
        "end": {"dateTime": (start + timedelta(minutes=30)).strftime(fmt), "timeZone": "UTC"},
        "organizer": {"emailAddress": {"name": "Rep", "address": attendees[0]}},
        "attendees": [
            {"type": "required", "emailAddress": {"name": a, "address": a}} for a in attendees
        ],
        "isOnlineMeeting": join_url is not None,
        "onlineMeeting": {"joinUrl": join_url} if join_url else None,
    }


def notification(
    subscription_id: str, *, change: str, event_id: str, user: str, client_state: str
) -> dict[str, Any]:
    return {
        "subscriptionId": subscription_id,
        "subscriptionExpirationDateTime": "2026-11-23T10:00:00.0000000Z",
        "changeType": change,
        "resource": f"Users/{user}/Events/{event_id}",
        "resourceData": {
            "@odata.type": "#Microsoft.Graph.Event",
            "@odata.id": f"Users/{user}/Events/{event_id}",
            "@odata.etag": 'W/"' + secrets.token_hex(4) + '"',
            "id": event_id,
        },
        "clientState": client_state,
        "tenantId": TENANT,
    }
