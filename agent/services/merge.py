"""One activity per call: meetings that several sources reported for the same call become one.

Zoom and a calendar notetaker, or two hosts each with the call on their own calendar, each make a
meeting; were both extracted, the deal would get two summary notes for one conversation (the
note's idempotency key is per proposal). Before extraction, a meeting looks for its twins:
meetings that start within `ENGAGE_MERGE_WINDOW_MINUTES` of it, whose deals do not differ, and
that either share the online-meeting key (`zoom:…`, `teams:…`) or, where either has none, share an
attendee outside the team. The group's primary is the member that already has a proposal, else
one linked to a deal, else the one seen first; the others are marked `merged` into it, and a
transcript only a twin has is copied to the primary. Only the primary is extracted, once: a twin
arriving later finds the primary's proposal and stops, and so does a later transcript of the
primary itself once it has absorbed a twin. The primary's row is locked while this is decided, so
two workers with two twins serialize (PostgreSQL; SQLite serializes writers anyway).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.db.tables import Meeting, MeetingLink, Proposal, TranscriptRow
from agent.errors import NotFound
from agent.ids import new_id
from agent.services import linking

MERGED = "merged"
NOT_A_CALL = ("failed", MERGED)
RECORDINGS = frozenset({"zoom", "upload"})
"""Sources that report a call after the fact; a calendar entry is the call as planned."""


@dataclass(frozen=True, kw_only=True)
class CallFacts:
    """What decides whether two meetings are the same call."""

    id: str
    start: datetime
    deal_id: str
    conference_key: str | None
    external: frozenset[str]


def same_call(a: CallFacts, b: CallFacts, *, window: timedelta) -> bool:
    if abs(a.start - b.start) > window:
        return False
    if a.deal_id and b.deal_id and a.deal_id != b.deal_id:
        return False
    if a.conference_key and b.conference_key:
        return a.conference_key == b.conference_key
    return bool(a.external & b.external)


def _facts(session: Session, meeting: Meeting, team_domains: frozenset[str]) -> CallFacts:
    link = session.get(MeetingLink, meeting.id)
    return CallFacts(
        id=meeting.id,
        start=meeting.start_at,
        deal_id=meeting.deal_id,
        conference_key=link.conference_key if link else None,
        external=frozenset(linking.external_emails(meeting.attendees or (), team_domains)),
    )


def twins(
    session: Session, meeting: Meeting, *, window: timedelta, team_domains: frozenset[str]
) -> list[Meeting]:
    """Other meetings of the same call that are not merged into anything yet."""
    if window <= timedelta(0):
        return []
    me = _facts(session, meeting, team_domains)
    nearby = session.scalars(
        select(Meeting).where(
            Meeting.id != meeting.id,
            Meeting.start_at >= meeting.start_at - window,
            Meeting.start_at <= meeting.start_at + window,
            Meeting.status.not_in(NOT_A_CALL),
            Meeting.merged_into.is_(None),
        )
    )
    return [m for m in nearby if same_call(me, _facts(session, m, team_domains), window=window)]


def _has_proposal(session: Session, meeting_id: str) -> bool:
    found = session.scalar(select(Proposal.id).where(Proposal.meeting_id == meeting_id).limit(1))
    return found is not None


def _absorbed_any(session: Session, meeting_id: str) -> bool:
    found = session.scalar(select(Meeting.id).where(Meeting.merged_into == meeting_id).limit(1))
    return found is not None


def _settle_status(session: Session, meeting: Meeting) -> None:
    """A transcript from another source of a call that has its proposal changes nothing: the
    meeting keeps the status its proposal gives it."""
    status = session.scalar(
        select(Proposal.status)
        .where(Proposal.meeting_id == meeting.id)
        .order_by(Proposal.created_at.desc())
        .limit(1)
    )
    after_review = {"pending": "proposed", "reviewed": "reviewed", "rejected": "reviewed"}
    meeting.status = after_review.get(str(status), "applied")


def _primary(session: Session, group: Sequence[Meeting]) -> Meeting:
    """The member with a proposal, else one linked to a deal, else the one seen first; between
    equals, the calendar's entry (the planned meeting) before a recording's."""
    proposed = [m for m in group if _has_proposal(session, m.id)]
    return min(
        proposed or group,
        key=lambda m: (not m.deal_id, m.created_at, m.source in RECORDINGS, m.id),
    )


def claim(
    session: Session,
    *,
    meeting_id: str,
    window: timedelta,
    team_domains: frozenset[str],
    now: datetime,
) -> str | None:
    """The meeting to extract for this one (itself, or the primary of its call), or None when the
    call already has its proposal through another meeting."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(f"no meeting {meeting_id}")
    if meeting.merged_into is not None:
        meeting.status = MERGED
        primary = session.get(Meeting, meeting.merged_into, with_for_update=True)
        return None if primary is None or _has_proposal(session, primary.id) else primary.id
    if _has_proposal(session, meeting_id):
        if _absorbed_any(session, meeting_id):
            _settle_status(session, meeting)
            return None
        return meeting_id
    group = [meeting, *twins(session, meeting, window=window, team_domains=team_domains)]
    if len(group) == 1:
        return meeting_id
    primary = _primary(session, group)
    session.get(Meeting, primary.id, with_for_update=True)
    for other in group:
        if other.id != primary.id:
            _merge(session, other, primary, now)
    if _has_proposal(session, primary.id):
        if primary.id == meeting_id:
            _settle_status(session, primary)
        return None
    return primary.id


def _merge(session: Session, twin: Meeting, primary: Meeting, now: datetime) -> None:
    if not primary.deal_id and twin.deal_id:
        primary.deal_id = twin.deal_id
    primary.attendees = list(dict.fromkeys([*(primary.attendees or ()), *(twin.attendees or ())]))
    if primary.end_at is None and twin.end_at is not None:
        primary.end_at = twin.end_at
    _copy_transcript(session, twin.id, primary.id, now)
    twin.merged_into, twin.status, twin.updated_at = primary.id, MERGED, now
    primary.updated_at = now


def _copy_transcript(session: Session, source_id: str, target_id: str, now: datetime) -> None:
    """A transcript only the twin has goes to the primary; the primary's own one is kept."""

    def latest(meeting_id: str) -> TranscriptRow | None:
        return session.scalar(
            select(TranscriptRow)
            .where(TranscriptRow.meeting_id == meeting_id)
            .order_by(TranscriptRow.created_at.desc())
            .limit(1)
        )

    if latest(target_id) is not None:
        return
    source = latest(source_id)
    if source is None:
        return
    session.add(
        TranscriptRow(
            id=new_id("trn"),
            meeting_id=target_id,
            source_format=source.source_format,
            segments=list(source.segments),
            created_at=now,
        )
    )
    session.flush()
