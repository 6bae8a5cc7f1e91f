"""Meetings: creation, listing, access checks, and transcripts attached to them.

States: scheduled → brief_ready → recorded → transcribed → proposed → reviewed → applied, or
failed with a reason; `consent_missing` (held, with the reason) and `merged` (the same call is
another meeting) stop before extraction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.db.tables import Meeting, Proposal, TranscriptRow, User
from agent.domain.models import Segment, Transcript
from agent.errors import Forbidden, NotFound
from agent.ids import new_id
from agent.services.users import Actor

STATUSES = (
    "scheduled",
    "brief_ready",
    "recorded",
    "transcribed",
    "proposed",
    "reviewed",
    "applied",
    "failed",
    "consent_missing",
    "merged",
)


@dataclass(frozen=True, kw_only=True)
class MeetingView:
    id: str
    title: str
    rep_email: str
    crm_system: str
    deal_id: str
    status: str
    start: datetime
    end: datetime | None
    attendees: tuple[str, ...]
    source: str
    proposal_id: str | None
    failure_reason: str | None
    consent: str | None = None
    consent_reason: str | None = None
    merged_into: str | None = None


def _view(session: Session, meeting: Meeting) -> MeetingView:
    rep = session.get(User, meeting.rep_id)
    proposal_id = session.scalar(
        select(Proposal.id)
        .where(Proposal.meeting_id == meeting.id)
        .order_by(Proposal.created_at.desc())
        .limit(1)
    )
    return MeetingView(
        id=meeting.id,
        title=meeting.title,
        rep_email=rep.email if rep else "",
        crm_system=meeting.crm_system,
        deal_id=meeting.deal_id,
        status=meeting.status,
        start=meeting.start_at,
        end=meeting.end_at,
        attendees=tuple(meeting.attendees),
        source=meeting.source,
        proposal_id=proposal_id,
        failure_reason=meeting.failure_reason,
        consent=meeting.consent,
        consent_reason=meeting.consent_reason,
        merged_into=meeting.merged_into,
    )


def create_meeting(
    session: Session,
    *,
    title: str,
    rep: Actor,
    crm_system: str,
    deal_id: str,
    start: datetime,
    end: datetime | None,
    attendees: tuple[str, ...] = (),
    source: str = "manual",
    external_id: str | None = None,
    now: datetime,
) -> MeetingView:
    meeting = Meeting(
        id=new_id("mtg"),
        title=title,
        rep_id=rep.id,
        crm_system=crm_system,
        deal_id=deal_id,
        status="scheduled",
        start_at=start,
        end_at=end,
        attendees=list(attendees),
        source=source,
        external_id=external_id,
        failure_reason=None,
        created_at=now,
        updated_at=now,
    )
    session.add(meeting)
    session.flush()
    return _view(session, meeting)


def load_meeting(session: Session, meeting_id: str, actor: Actor) -> Meeting:
    """The meeting, if this actor may see it: its rep, or an admin."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(f"no meeting {meeting_id}")
    if meeting.rep_id != actor.id and not actor.is_admin:
        raise Forbidden(f"meeting {meeting_id} belongs to another rep")
    return meeting


def get_meeting(session: Session, meeting_id: str, actor: Actor) -> MeetingView:
    return _view(session, load_meeting(session, meeting_id, actor))


def list_meetings(session: Session, actor: Actor | None) -> list[MeetingView]:
    """A rep's own meetings; all meetings for an admin or for the local CLI (actor None)."""
    query = select(Meeting).order_by(Meeting.start_at.desc())
    if actor is not None and not actor.is_admin:
        query = query.where(Meeting.rep_id == actor.id)
    return [_view(session, m) for m in session.scalars(query)]


def set_status(
    session: Session, meeting_id: str, status: str, *, now: datetime, reason: str | None = None
) -> None:
    if status not in STATUSES:
        raise ValueError(f"unknown meeting status {status}")
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(f"no meeting {meeting_id}")
    meeting.status = status
    meeting.failure_reason = reason
    meeting.updated_at = now


def store_transcript(
    session: Session, *, meeting_id: str, transcript: Transcript, now: datetime
) -> str:
    row = TranscriptRow(
        id=new_id("trn"),
        meeting_id=meeting_id,
        source_format=transcript.source_format,
        segments=[_segment_json(s) for s in transcript.segments],
        created_at=now,
    )
    session.add(row)
    set_status(session, meeting_id, "transcribed", now=now)
    session.flush()
    return row.id


def latest_transcript(session: Session, meeting_id: str) -> Transcript | None:
    row = session.scalar(
        select(TranscriptRow)
        .where(TranscriptRow.meeting_id == meeting_id)
        .order_by(TranscriptRow.created_at.desc())
        .limit(1)
    )
    if row is None:
        return None
    segments = tuple(
        Segment(
            index=int(s["index"]),
            speaker=str(s["speaker"]),
            text=str(s["text"]),
            start=float(s.get("start") or 0.0),
            end=None if s.get("end") is None else float(s["end"]),
        )
        for s in row.segments
    )
    return Transcript(segments=segments, source_format=row.source_format)


def _segment_json(segment: Segment) -> dict[str, Any]:
    return {
        "index": segment.index,
        "speaker": segment.speaker,
        "text": segment.text,
        "start": segment.start,
        "end": segment.end,
    }


def get_meeting_rep_email(session: Session, meeting: Meeting) -> str:
    rep = session.get(User, meeting.rep_id)
    return rep.email if rep else ""


def list_meeting_by_id(session: Session, meeting_id: str) -> MeetingView:
    """A meeting for the local operator (the CLI), who may see every meeting."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(f"no meeting {meeting_id}")
    return _view(session, meeting)
