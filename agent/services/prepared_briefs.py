"""Briefs made ahead of time: before each scheduled meeting, kept until the CRM changes.

The brief is built through the read-only CRM view (prep never writes) and stored with a
fingerprint of its content; a later pass rebuilds it and replaces it only when the fingerprint
moved, i.e. when something the rep would see changed in the CRM. Signals about the deal's
account are part of it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.db.tables import Meeting, MeetingLink, PreparedBrief
from agent.errors import NotFound
from agent.services import signals as signal_service
from agent.services.brief import ReadOnlyCrm, build_brief
from agent.services.meetings import load_meeting
from agent.services.users import Actor

UPCOMING = ("scheduled", "brief_ready")


def due(session: Session, *, now: datetime, lead: timedelta) -> list[str]:
    """Meetings with a deal that start within the lead time and are not yet held."""
    return list(
        session.scalars(
            select(Meeting.id).where(
                Meeting.status.in_(UPCOMING),
                Meeting.deal_id != "",
                Meeting.start_at > now,
                Meeting.start_at <= now + lead,
            )
        )
    )


def _fingerprint(content: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


def prepare(session: Session, *, crm: ReadOnlyCrm, meeting_id: str, now: datetime) -> bool:
    """Build the meeting's brief; True when it is new or the CRM changed since the last one."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(f"no meeting {meeting_id}")
    brief = build_brief(
        crm=crm,
        meeting_id=meeting.id,
        meeting_title=meeting.title,
        meeting_start=meeting.start_at,
        deal_id=meeting.deal_id,
        attendees=tuple(meeting.attendees),
    )
    link = session.get(MeetingLink, meeting_id)
    signals = signal_service.for_deal(
        session, deal_id=meeting.deal_id, account_id=link.account_id if link else None
    )
    content = json.loads(
        json.dumps({**asdict(brief), "signals": [asdict(s) for s in signals]}, default=str)
    )
    fingerprint = _fingerprint(content)
    row = session.get(PreparedBrief, meeting_id)
    if row is not None and row.fingerprint == fingerprint:
        return False
    if row is None:
        row = PreparedBrief(meeting_id=meeting_id)
        session.add(row)
    row.fingerprint, row.content, row.prepared_at = fingerprint, content, now
    if meeting.status == "scheduled":
        meeting.status, meeting.updated_at = "brief_ready", now
    return True


def prepared(session: Session, *, meeting_id: str, actor: Actor) -> dict[str, Any]:
    load_meeting(session, meeting_id, actor)
    row = session.get(PreparedBrief, meeting_id)
    if row is None:
        raise NotFound(f"no brief prepared yet for meeting {meeting_id}")
    return {"prepared_at": row.prepared_at, "brief": row.content}
