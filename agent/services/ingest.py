"""Transcripts in: attach one to a meeting, or create an ad-hoc meeting for a deal."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy.orm import Session

from agent.domain.models import Transcript
from agent.domain.ports import CrmReader
from agent.domain.transcripts import parse_transcript
from agent.services import meetings as meeting_service
from agent.services.users import Actor


def attach_transcript(
    session: Session,
    *,
    meeting_id: str,
    actor: Actor | None,
    raw: str | bytes,
    fmt: str | None,
    now: datetime,
) -> str:
    """Parse first (a bad file is a 4xx, not a dead job), then store and mark transcribed."""
    if actor is not None:
        meeting_service.load_meeting(session, meeting_id, actor)
    transcript = parse_transcript(raw, fmt=fmt)
    return meeting_service.store_transcript(
        session, meeting_id=meeting_id, transcript=transcript, now=now
    )


def create_call_from_transcript(
    session: Session,
    *,
    crm: CrmReader,
    deal_id: str,
    rep: Actor,
    raw: str | bytes,
    fmt: str | None,
    meeting_date: date | None,
    now: datetime,
) -> str:
    """A finished call that no calendar told us about: one meeting, its transcript, its deal."""
    transcript = parse_transcript(raw, fmt=fmt)
    return create_call(
        session,
        crm=crm,
        deal_id=deal_id,
        rep=rep,
        transcript=transcript,
        meeting_date=meeting_date,
        now=now,
    )


def create_call(
    session: Session,
    *,
    crm: CrmReader,
    deal_id: str,
    rep: Actor,
    transcript: Transcript,
    meeting_date: date | None,
    now: datetime,
) -> str:
    """As `create_call_from_transcript`, for a transcript already made (e.g. heard from audio)."""
    context = crm.read_context(deal_id)
    day = meeting_date or now.date()
    start = datetime.combine(day, time(12, 0), tzinfo=UTC)
    meeting = meeting_service.create_meeting(
        session,
        title=f"Call with {context.account.name}",
        rep=rep,
        crm_system=crm.system,
        deal_id=deal_id,
        start=start,
        end=start,
        source="upload",
        now=now,
    )
    meeting_service.set_status(session, meeting.id, "recorded", now=now)
    meeting_service.store_transcript(session, meeting_id=meeting.id, transcript=transcript, now=now)
    return meeting.id
