"""A fake Zoom at the HTTP transport: S2S OAuth, recordings, participants and file downloads.

It speaks Zoom's wire format (paths, JSON keys, a 302 from the download URL to storage, bearer
download tokens) and records every request, so a test can prove that nothing was asked of a host
outside Zoom. Webhook bodies are built here too, as compact JSON signed the way Zoom signs them.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

import httpx

from connectors.zoom import sign

ACCOUNT_ID, CLIENT_ID, CLIENT_SECRET = "acct_fake", "client_fake", "secret_fake"


@dataclass
class FakeZoom:
    files: dict[str, bytes] = field(default_factory=dict)
    """Download path (`/rec/webhook_download/...`) → file content."""
    download_tokens: set[str] = field(default_factory=set)
    participants: dict[str, list[str]] = field(default_factory=dict)
    recordings: list[dict[str, Any]] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    access_tokens: set[str] = field(default_factory=set)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def hosts(self) -> set[str]:
        return {r.url.host for r in self.requests}

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        host, path = request.url.host, request.url.path
        if host == "zoom.us" and path == "/oauth/token":
            return self._token(request)
        if host == "api.zoom.us":
            if request.headers.get("Authorization", "").removeprefix("Bearer ") not in (
                self.access_tokens
            ):
                return httpx.Response(401, json={"code": 124, "message": "Invalid access token."})
            return self._api(request)
        if path.startswith("/rec/webhook_download/"):
            token = request.headers.get("Authorization", "").removeprefix("Bearer ")
            token = token or request.url.params.get("access_token", "")
            if token not in self.download_tokens:
                return httpx.Response(401, json={"code": 124, "message": "Invalid access token."})
            target = f"https://ssrweb.zoom.us/file{path.removeprefix('/rec/webhook_download')}"
            return httpx.Response(302, headers={"Location": target})
        if host == "ssrweb.zoom.us" and path.startswith("/file/"):
            key = "/rec/webhook_download" + path.removeprefix("/file")
            if key not in self.files:
                return httpx.Response(404, json={"code": 3301, "message": "No recording."})
            return httpx.Response(200, content=self.files[key])
        return httpx.Response(404, json={"message": f"fake Zoom has no {host}{path}"})

    def _token(self, request: httpx.Request) -> httpx.Response:
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        params = request.url.params
        if (
            request.headers.get("Authorization") != f"Basic {basic}"
            or params.get("grant_type") != "account_credentials"
            or params.get("account_id") != ACCOUNT_ID
        ):
            return httpx.Response(400, json={"reason": "Invalid client_id or client_secret"})
        token = secrets.token_hex(8)
        self.access_tokens.add(token)
        return httpx.Response(
            200,
            json={
                "access_token": token,
                "token_type": "bearer",
                "expires_in": 3599,
                "scope": "recording:read:admin",
            },
        )

    def _api(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.raw_path.decode().split("?")[0].split("/")
        if parts[2:3] == ["past_meetings"] and parts[-1] == "participants":
            uuid = unquote(unquote(parts[3]))
            people = [
                {"id": f"p{i}", "name": email.split("@")[0], "user_email": email}
                for i, email in enumerate(self.participants.get(uuid, []))
            ]
            return httpx.Response(200, json={"participants": people, "next_page_token": ""})
        if parts[2:3] == ["meetings"] and parts[-1] == "recordings":
            token = secrets.token_hex(8)
            self.download_tokens.add(token)
            return httpx.Response(200, json={"download_access_token": token})
        if parts[2:5] == ["accounts", "me", "recordings"]:
            return httpx.Response(200, json={"meetings": self.recordings, "next_page_token": ""})
        return httpx.Response(404, json={"code": 404, "message": "not in the fake"})

    # -- building events ------------------------------------------------------------------------

    def add_file(self, content: bytes, *, name: str | None = None) -> str:
        """Store a file; returns its webhook download URL."""
        path = f"/rec/webhook_download/{name or secrets.token_hex(6)}"
        self.files[path] = content
        return f"https://acme.zoom.us{path}"

    def new_download_token(self) -> str:
        token = "dl_" + secrets.token_hex(6)
        self.download_tokens.add(token)
        return token


def recording_file(url: str, *, file_type: str, size: int) -> dict[str, Any]:
    extension = {"TRANSCRIPT": "VTT", "M4A": "M4A", "MP4": "MP4"}[file_type]
    return {
        "id": secrets.token_hex(8),
        "file_type": file_type,
        "file_extension": extension,
        "file_size": size,
        "download_url": url,
        "status": "completed",
        "recording_type": "audio_transcript" if file_type == "TRANSCRIPT" else "audio_only",
    }


def event_body(
    event: str,
    *,
    uuid: str,
    meeting_number: int,
    host_email: str,
    start: datetime,
    files: list[dict[str, Any]] = (),  # type: ignore[assignment]
    download_token: str | None = None,
    event_ts: int | None = None,
    topic: str = "Calder Robotics: discovery follow-up",
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "uuid": uuid,
        "id": meeting_number,
        "host_id": "h_" + uuid[:6],
        "host_email": host_email,
        "topic": topic,
        "start_time": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration": 30,
    }
    if event == "meeting.ended":
        obj["end_time"] = (start + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    else:
        obj["recording_files"] = list(files)
    body: dict[str, Any] = {
        "event": event,
        "event_ts": event_ts if event_ts is not None else int(start.timestamp() * 1000),
        "payload": {"account_id": ACCOUNT_ID, "object": obj},
    }
    if download_token:
        body["download_token"] = download_token
    return body


def signed(secret: str, body: dict[str, Any] | bytes, at: datetime) -> tuple[bytes, dict[str, str]]:
    """Compact JSON bytes (as Zoom sends them) and the headers Zoom would put on them."""
    raw = body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":")).encode()
    timestamp = str(int(at.timestamp()))
    return raw, {
        "Content-Type": "application/json; charset=utf-8",
        "x-zm-request-timestamp": timestamp,
        "x-zm-signature": sign(secret, timestamp, raw),
        "User-Agent": "Zoom Marketplace/1.0a",
    }
