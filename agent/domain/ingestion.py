"""What the ingestion side needs from conferencing and calendar systems, as small ports.

Zoom, Google Calendar and Microsoft Graph each have an adapter in `connectors/` and a fake in
`tests/fakes/`; the services that turn their events into meetings speak only these types.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any, Protocol

from agent.domain.ports import Transcriber


class SyncTokenExpired(Exception):
    """The calendar no longer accepts the stored sync token (HTTP 410): resync from scratch."""


@dataclass(frozen=True, kw_only=True)
class RecordingFile:
    id: str
    file_type: str
    """`TRANSCRIPT`, `M4A`, `MP4`, `CHAT`, … as the provider names it."""
    extension: str
    size: int | None
    download_url: str
    status: str = "completed"


@dataclass(frozen=True, kw_only=True)
class RecordingEvent:
    """One conferencing event about one meeting instance (a recording, a transcript, an end)."""

    provider: str
    kind: str
    instance_id: str
    meeting_number: str
    host_email: str | None
    topic: str
    start: datetime | None
    end: datetime | None
    files: tuple[RecordingFile, ...] = ()
    download_token: str | None = None

    def file_of(self, *types: str) -> RecordingFile | None:
        wanted = {t.upper() for t in types}
        return next(
            (f for f in self.files if f.file_type.upper() in wanted and f.download_url), None
        )


@dataclass(frozen=True, kw_only=True)
class CalendarEvent:
    """A calendar entry as Engage needs it: who, when, and which online meeting it is."""

    provider: str
    id: str
    title: str
    start: datetime | None
    end: datetime | None
    attendees: tuple[str, ...]
    organizer: str | None
    cancelled: bool = False
    conference_key: str | None = None
    """`zoom:{meeting number}` or `teams:{join url}`: how a recording finds its calendar entry."""
    join_url: str | None = None


@dataclass(frozen=True, kw_only=True)
class CalendarPage:
    events: tuple[CalendarEvent, ...]
    next_sync_token: str | None


class RecordingSource(Protocol):
    """Zoom's side: files of a recording, who attended, and recent recordings for reconcile."""

    def download(self, file: RecordingFile, *, token: str | None, instance_id: str) -> bytes: ...

    def participants(self, instance_id: str) -> list[str]: ...

    def recent_recordings(self, *, since: date, until: date) -> list[RecordingEvent]: ...


class CalendarSource(Protocol):
    """Google Calendar's side: incremental changes of one calendar and its push channel."""

    def changes(self, calendar_id: str, *, sync_token: str | None) -> CalendarPage: ...

    def watch(
        self, calendar_id: str, *, channel_id: str, address: str, token: str, ttl_s: int
    ) -> tuple[str, datetime]:
        """Open a push channel; returns its resource id and expiry."""
        ...

    def stop(self, *, channel_id: str, resource_id: str) -> None: ...


class MeetingCloud(Protocol):
    """Microsoft Graph's side: events of a mailbox, subscriptions, and Teams transcripts."""

    def get_event(self, user_id: str, event_id: str) -> CalendarEvent | None: ...

    def transcript_vtt(self, organizer_id: str, join_url: str) -> str | None: ...

    def subscribe(
        self, *, resource: str, notification_url: str, client_state: str, expires: datetime
    ) -> str: ...

    def renew(self, subscription_id: str, *, expires: datetime) -> None: ...


@dataclass(kw_only=True)
class IngestKit:
    """The outside systems the ingestion jobs use; None where a system is not configured."""

    recordings: RecordingSource | None = None
    calendar: CalendarSource | None = None
    cloud: MeetingCloud | None = None
    transcriber: Transcriber | None = None


def recording_to_json(event: RecordingEvent) -> dict[str, Any]:
    """A job payload: plain JSON, datetimes as ISO strings."""
    data = asdict(event)
    for key in ("start", "end"):
        value = data[key]
        data[key] = value.isoformat() if value is not None else None
    return data


def recording_from_json(data: dict[str, Any]) -> RecordingEvent:
    files = tuple(RecordingFile(**f) for f in data.get("files", ()))
    return RecordingEvent(
        provider=str(data["provider"]),
        kind=str(data["kind"]),
        instance_id=str(data["instance_id"]),
        meeting_number=str(data["meeting_number"]),
        host_email=data.get("host_email"),
        topic=str(data.get("topic", "")),
        start=datetime.fromisoformat(data["start"]) if data.get("start") else None,
        end=datetime.fromisoformat(data["end"]) if data.get("end") else None,
        files=files,
        download_token=data.get("download_token"),
    )


_ZOOM_JOIN = re.compile(r"https://[\w.-]*zoom(?:gov)?\.(?:us|com)/(?:j|my|w)/(\d{9,12})")
_TEAMS_JOIN = re.compile(r"https://teams\.microsoft\.com/l/meetup-join/[^\s\"'<>]+")


def conference_key(*texts: str | None) -> str | None:
    """`zoom:{meeting number}` or `teams:{join url}` from a calendar entry's links and text."""
    for text in texts:
        if not text:
            continue
        if zoom := _ZOOM_JOIN.search(text):
            return f"zoom:{zoom.group(1)}"
        if teams := _TEAMS_JOIN.search(text):
            return f"teams:{teams.group(0)}"
    return None
