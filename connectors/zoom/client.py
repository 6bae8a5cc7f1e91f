"""A client bound to Zoom's own hosts: recording downloads, S2S OAuth, participants, recordings.

Download URLs come from webhook payloads, which an attacker who guessed nothing but our URL could
forge only if the signature check failed; still, every URL and every redirect hop must be HTTPS on
a Zoom host before a byte is requested (no SSRF), and a download is bounded in size and time.
Tokens expire: when a download token is refused, the recordings API (server-to-server OAuth) gives
a fresh `download_access_token` for the same files.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote, urlparse

import httpx

from agent.domain.ingestion import RecordingEvent, RecordingFile
from agent.errors import ConfigError, InputError, PermanentError, TransientError
from connectors.zoom.payloads import parse_event

ALLOWED_SUFFIXES = ("zoom.us", "zoomgov.com")
API_BASE = "https://api.zoom.us/v2"
OAUTH_URL = "https://zoom.us/oauth/token"
MAX_REDIRECTS = 5


@dataclass(frozen=True, kw_only=True)
class ZoomCredentials:
    account_id: str
    client_id: str
    client_secret: str


def check_zoom_url(url: str) -> None:
    """Refuse anything but HTTPS on a Zoom host, before any request is made."""
    parsed = urlparse(url)
    host = (parsed.hostname or "").lower().rstrip(".")
    on_zoom = any(host == s or host.endswith("." + s) for s in ALLOWED_SUFFIXES)
    if parsed.scheme != "https" or not on_zoom or parsed.username or parsed.port not in (None, 443):
        raise InputError(f"refusing to download from {host or url!r}: not an https Zoom host")


def _raise_for_status(response: httpx.Response, what: str) -> None:
    """The one place Zoom's statuses become Engage errors."""
    status = response.status_code
    if status < 400:
        return
    if status == 429 or status >= 500:
        retry_after = response.headers.get("Retry-After")
        delay = float(retry_after) if retry_after and retry_after.isdigit() else None
        raise TransientError(f"Zoom {what}: HTTP {status}", retry_after=delay)
    raise PermanentError(f"Zoom {what}: HTTP {status}")


def double_encode(uuid: str) -> str:
    """Zoom's rule for instance UUIDs in paths: those with `/` or `//` are encoded twice."""
    once = quote(uuid, safe="")
    return quote(once, safe="") if "/" in uuid else once


class ZoomClient:
    def __init__(
        self,
        *,
        credentials: ZoomCredentials | None,
        transport: httpx.BaseTransport | None = None,
        max_bytes: int = 200 * 1024 * 1024,
        timeout_s: float = 120.0,
    ) -> None:
        self._credentials = credentials
        self._http = httpx.Client(transport=transport, timeout=30.0, follow_redirects=False)
        self._max_bytes = max_bytes
        self._timeout_s = timeout_s
        self._token: tuple[str, float] | None = None

    def close(self) -> None:
        self._http.close()

    # -- downloads ------------------------------------------------------------------------------

    def download(self, file: RecordingFile, *, token: str | None, instance_id: str) -> bytes:
        """The file's bytes, with the webhook's token, else a fresh one from the recordings API."""
        if file.size is not None and file.size > self._max_bytes:
            raise InputError(f"recording file {file.id} is {file.size} bytes, over the limit")
        if token:
            try:
                return self._fetch(file.download_url, token)
            except PermanentError:
                if self._credentials is None:
                    raise
        fresh = self._download_access_token(instance_id)
        return self._fetch(file.download_url, fresh)

    def _fetch(self, url: str, token: str) -> bytes:
        deadline = time.monotonic() + self._timeout_s
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(MAX_REDIRECTS + 1):
            check_zoom_url(url)
            with self._http.stream("GET", url, headers=headers) as response:
                if response.is_redirect:
                    url = str(response.url.join(response.headers.get("Location", "")))
                    continue
                _raise_for_status(response, "download")
                return self._bounded_body(response, deadline)
        raise PermanentError(f"Zoom download: more than {MAX_REDIRECTS} redirects")

    def _bounded_body(self, response: httpx.Response, deadline: float) -> bytes:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self._max_bytes:
            raise InputError(f"Zoom download of {declared} bytes is over the limit")
        body = bytearray()
        for chunk in response.iter_bytes():
            body.extend(chunk)
            if len(body) > self._max_bytes:
                raise InputError(f"Zoom download over the limit of {self._max_bytes} bytes")
            if time.monotonic() > deadline:
                raise TransientError(f"Zoom download took longer than {self._timeout_s} s")
        return bytes(body)

    # -- REST API (server-to-server OAuth) ------------------------------------------------------

    def _access_token(self) -> str:
        if self._credentials is None:
            raise ConfigError(
                "Zoom API needs ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET"
            )
        if self._token is not None and self._token[1] > time.monotonic() + 60:
            return self._token[0]
        creds = self._credentials
        basic = base64.b64encode(f"{creds.client_id}:{creds.client_secret}".encode()).decode()
        response = self._http.post(
            OAUTH_URL,
            params={"grant_type": "account_credentials", "account_id": creds.account_id},
            headers={"Authorization": f"Basic {basic}"},
        )
        _raise_for_status(response, "OAuth token")
        data = response.json()
        self._token = (str(data["access_token"]), time.monotonic() + float(data["expires_in"]))
        return self._token[0]

    def _get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self._http.get(
            f"{API_BASE}{path}",
            params=params,
            headers={"Authorization": f"Bearer {self._access_token()}"},
        )
        _raise_for_status(response, f"GET {path}")
        body: dict[str, Any] = response.json()
        return body

    def _download_access_token(self, instance_id: str) -> str:
        data = self._get(
            f"/meetings/{double_encode(instance_id)}/recordings",
            {"include_fields": "download_access_token"},
        )
        token = data.get("download_access_token")
        if not token:
            raise PermanentError(f"Zoom gave no download_access_token for {instance_id}")
        return str(token)

    def participants(self, instance_id: str) -> list[str]:
        """Emails of those who joined the meeting instance (guests without one are skipped)."""
        emails: list[str] = []
        params: dict[str, Any] = {"page_size": 300}
        while True:
            data = self._get(f"/past_meetings/{double_encode(instance_id)}/participants", params)
            emails += [
                str(p["user_email"]) for p in data.get("participants", []) if p.get("user_email")
            ]
            if not data.get("next_page_token"):
                return emails
            params["next_page_token"] = data["next_page_token"]

    def recent_recordings(self, *, since: date, until: date) -> list[RecordingEvent]:
        """The account's cloud recordings in a date range (at most a month), for reconcile."""
        found: list[RecordingEvent] = []
        params: dict[str, Any] = {
            "from": since.isoformat(),
            "to": until.isoformat(),
            "page_size": 300,
        }
        while True:
            data = self._get("/accounts/me/recordings", params)
            for meeting in data.get("meetings", []):
                body = {"event": "recording.completed", "payload": {"object": meeting}}
                found.append(parse_event(body))
            if not data.get("next_page_token"):
                return found
            params["next_page_token"] = data["next_page_token"]
