"""Zoom webhook bodies: the raw shapes as TypedDicts, parsed into `RecordingEvent`.

`download_token` is read from the top level (current payloads) or from `payload` (the legacy
reference), since Zoom's documentation shows both.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NotRequired, TypedDict

from agent.domain.ingestion import RecordingEvent, RecordingFile
from agent.errors import InputError

RECORDING_EVENTS = frozenset({"recording.completed", "recording.transcript_completed"})
HANDLED_EVENTS = RECORDING_EVENTS | {"meeting.ended"}


class RawRecordingFile(TypedDict):
    id: str
    file_type: str
    file_extension: NotRequired[str]
    file_size: NotRequired[int]
    download_url: str
    status: NotRequired[str]
    recording_type: NotRequired[str]


class RawObject(TypedDict):
    uuid: str
    id: int | str
    host_email: NotRequired[str]
    topic: NotRequired[str]
    start_time: NotRequired[str]
    end_time: NotRequired[str]
    duration: NotRequired[int]
    recording_files: NotRequired[list[RawRecordingFile]]


class RawEvent(TypedDict):
    event: str
    event_ts: int
    payload: dict[str, Any]
    download_token: NotRequired[str]


def _when(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _file(raw: dict[str, Any]) -> RecordingFile:
    size = raw.get("file_size")
    return RecordingFile(
        id=str(raw.get("id", "")),
        file_type=str(raw.get("file_type", "")),
        extension=str(raw.get("file_extension", "")),
        size=size if isinstance(size, int) else None,
        download_url=str(raw.get("download_url", "")),
        status=str(raw.get("status", "completed")),
    )


def event_key(body: dict[str, Any]) -> str:
    """What makes a delivery the same event: its name, meeting instance and Zoom's timestamp."""
    obj = body.get("payload", {}).get("object", {}) if isinstance(body.get("payload"), dict) else {}
    uuid = obj.get("uuid", "") if isinstance(obj, dict) else ""
    return f"{body.get('event', '')}:{uuid}:{body.get('event_ts', '')}"


def parse_event(body: dict[str, Any]) -> RecordingEvent:
    """A handled Zoom event as a `RecordingEvent`; InputError names what is missing."""
    name = body.get("event")
    payload = body.get("payload")
    if name not in HANDLED_EVENTS or not isinstance(payload, dict):
        raise InputError(f"not a handled Zoom event: {name!r}")
    obj = payload.get("object")
    if not isinstance(obj, dict) or not obj.get("uuid"):
        raise InputError(f"{name}: payload.object.uuid is missing")
    start = _when(obj.get("start_time"))
    end = _when(obj.get("end_time"))
    duration = obj.get("duration")
    if end is None and start is not None and isinstance(duration, int):
        end = start + timedelta(minutes=duration)
    files = obj.get("recording_files") or []
    token = body.get("download_token") or payload.get("download_token")
    host = obj.get("host_email")
    return RecordingEvent(
        provider="zoom",
        kind=str(name),
        instance_id=str(obj["uuid"]),
        meeting_number=str(obj.get("id", "")),
        host_email=str(host) if host else None,
        topic=str(obj.get("topic") or "Zoom meeting"),
        start=start,
        end=end,
        files=tuple(_file(f) for f in files if isinstance(f, dict)),
        download_token=str(token) if token else None,
    )
