"""Jobs of the ingestion side: recordings in, transcripts stored once, extraction queued once.

Webhook routes only record an event and enqueue one of these; everything slow (downloads,
transcription, CRM lookups) happens here, where failures retry with backoff and end as dead
letters with a reason. Each job is idempotent: a re-run after a crash, a duplicate delivery or an
out-of-order event finds the work done and does nothing.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.domain.ingestion import RecordingEvent, recording_from_json
from agent.domain.models import Transcript
from agent.domain.transcripts import parse_transcript
from agent.errors import ConfigError, PermanentError, TransientError
from agent.services import recordings

if TYPE_CHECKING:
    from agent.runtime import Runtime

log = logging.getLogger("engage.ingest")

TRANSCRIPT_TYPES = ("TRANSCRIPT",)
AUDIO_TYPES = ("M4A", "MP4")


def zoom_dedupe_key(event: RecordingEvent) -> str:
    """One job per recording and path: every delivery of the same transcript is the same job."""
    if event.kind == "meeting.ended":
        return f"zoom:ended:{event.instance_id}"
    path = "transcript" if event.file_of(*TRANSCRIPT_TYPES) else "audio"
    return f"zoom:{path}:{event.instance_id}"


def extract_once(rt: Runtime, meeting_id: str) -> None:
    """Queue extraction for a meeting with a transcript and a deal, once per meeting."""
    with rt.db.session() as session:
        ready = recordings.has_transcript(session, meeting_id) and bool(
            recordings.deal_of(session, meeting_id)
        )
    if ready:
        rt.submit("process_meeting", {"meeting_id": meeting_id}, dedupe_key=f"extract:{meeting_id}")


class IngestJobs:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def handlers(self) -> dict[str, Any]:
        from agent.worker.calendar_jobs import CalendarJobs
        from agent.worker.periodic import PeriodicJobs

        return {
            "zoom_event": self.zoom_event,
            "teams_transcript": self.teams_transcript,
            **CalendarJobs(self.rt).handlers(),
            **PeriodicJobs(self.rt).handlers(),
        }

    # -- Zoom -----------------------------------------------------------------------------------

    def _participants(self, event: RecordingEvent) -> list[str]:
        source = self.rt.ingest.recordings
        if source is None:
            return []
        try:
            return source.participants(event.instance_id)
        except ConfigError:
            return []

    def zoom_event(self, payload: Mapping[str, Any]) -> None:
        rt = self.rt
        event = recording_from_json(dict(payload["event"]))
        spec = recordings.MeetingSpec(
            system="zoom",
            external_id=event.instance_id,
            conference_key=f"zoom:{event.meeting_number}" if event.meeting_number else None,
            host_email=event.host_email,
            title=event.topic,
            start=event.start,
            end=event.end,
        )
        with rt.db.session() as session:
            meeting_id = recordings.find_or_create_meeting(
                session,
                spec=spec,
                crm=rt.crm,
                team_domains=rt.settings.team_domains,
                attendees=lambda: self._participants(event),
                now=rt.clock.now(),
            )
            if event.kind == "meeting.ended":
                recordings.note_ended(session, meeting_id, event.end, rt.clock.now())
                return
            done = recordings.has_transcript(session, meeting_id)
        if not done:
            transcript = self._zoom_transcript(event)
            with rt.db.session() as session:
                recordings.store_transcript_once(
                    session, meeting_id=meeting_id, transcript=transcript, now=rt.clock.now()
                )
        extract_once(rt, meeting_id)

    def _zoom_transcript(self, event: RecordingEvent) -> Transcript:
        source = self.rt.ingest.recordings
        if source is None:
            raise ConfigError("no Zoom client configured")
        if vtt := event.file_of(*TRANSCRIPT_TYPES):
            raw = source.download(vtt, token=event.download_token, instance_id=event.instance_id)
            return parse_transcript(raw, fmt="vtt")
        audio = event.file_of(*AUDIO_TYPES)
        if audio is None:
            raise PermanentError(
                f"Zoom recording {event.instance_id} has neither a transcript nor an audio file"
            )
        transcriber = self.rt.ingest.transcriber
        if transcriber is None:
            raise PermanentError("no transcriber configured: audio-only recordings cannot be read")
        data = source.download(audio, token=event.download_token, instance_id=event.instance_id)
        suffix = "." + (audio.extension or audio.file_type).lower()
        with tempfile.TemporaryDirectory(prefix="engage-audio-") as folder:
            path = Path(folder) / f"recording{suffix}"
            path.write_bytes(data)
            return transcriber.transcribe(path)

    # -- Teams ----------------------------------------------------------------------------------

    def teams_transcript(self, payload: Mapping[str, Any]) -> None:
        """A Teams meeting that ended: its VTT transcript through Graph, when Teams has made it."""
        rt = self.rt
        meeting_id = str(payload["meeting_id"])
        cloud = rt.ingest.cloud
        if cloud is None:
            raise ConfigError("Microsoft Graph is not configured")
        with rt.db.session() as session:
            done = recordings.has_transcript(session, meeting_id)
        if not done:
            vtt = cloud.transcript_vtt(str(payload["organizer"]), str(payload["join_url"]))
            if vtt is None:
                raise TransientError("the Teams transcript is not ready yet", retry_after=60.0)
            transcript = parse_transcript(vtt, fmt="vtt")
            with rt.db.session() as session:
                recordings.store_transcript_once(
                    session, meeting_id=meeting_id, transcript=transcript, now=rt.clock.now()
                )
        extract_once(rt, meeting_id)
