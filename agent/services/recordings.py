"""Meetings from conferencing and calendar systems: found or created once, linked, transcribed once.

A recording finds its meeting by the provider's instance id (`meeting_refs`), else by the calendar
entry that carries the same online-meeting key for the same rep around the same time, else a new
meeting is created and linked through its participants. Concurrent workers race on unique keys,
and the loser re-reads the winner's row, so one recording never makes two meetings. A meeting keeps
the first transcript it gets (a second delivery or a second path is a no-op).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agent.db.tables import Meeting, MeetingLink, MeetingRef, TranscriptRow
from agent.domain.ingestion import CalendarEvent
from agent.domain.models import Transcript
from agent.domain.ports import CrmReader
from agent.errors import NotFound, PermanentError
from agent.ids import new_id
from agent.services import linking
from agent.services import meetings as meeting_service
from agent.services.users import Actor, find_user

CALENDAR_MATCH_WINDOW = timedelta(hours=12)
EARLY_STATUSES = ("scheduled", "brief_ready")


@dataclass(frozen=True, kw_only=True)
class MeetingSpec:
    """What a conferencing system says about one meeting instance."""

    system: str
    external_id: str
    conference_key: str | None
    host_email: str | None
    title: str
    start: datetime | None
    end: datetime | None


def rep_for(session: Session, email: str | None, system: str) -> Actor:
    """The Engage user who hosted the meeting; without one there is nobody to review it."""
    if not email:
        raise PermanentError(f"{system} event names no host email")
    try:
        return find_user(session, email=email)
    except (NotFound, ValueError, PermanentError):
        raise PermanentError(
            f"no Engage user for {system} host {email}: add them (engage users add) and retry"
        ) from None


def _by_ref(session: Session, system: str, external_id: str) -> str | None:
    ref = session.get(MeetingRef, (system, external_id))
    return ref.meeting_id if ref else None


def _calendar_match(session: Session, spec: MeetingSpec, rep: Actor) -> str | None:
    if spec.conference_key is None:
        return None
    taken = select(MeetingRef.meeting_id).where(MeetingRef.system == spec.system)
    rows = session.scalars(
        select(Meeting)
        .join(MeetingLink, MeetingLink.meeting_id == Meeting.id)
        .where(
            MeetingLink.conference_key == spec.conference_key,
            Meeting.rep_id == rep.id,
            Meeting.id.not_in(taken),
        )
    ).all()
    anchor = spec.start
    near = [m for m in rows if anchor is None or abs(m.start_at - anchor) <= CALENDAR_MATCH_WINDOW]
    if not near:
        return None
    return min(near, key=lambda m: abs(m.start_at - anchor) if anchor else timedelta()).id


def find_or_create_meeting(
    session: Session,
    *,
    spec: MeetingSpec,
    crm: CrmReader,
    team_domains: frozenset[str],
    attendees: Callable[[], Sequence[str]],
    now: datetime,
) -> str:
    """The meeting for this instance, creating and linking it the first time it is seen."""
    if (found := _by_ref(session, spec.system, spec.external_id)) is not None:
        return found
    rep = rep_for(session, spec.host_email, spec.system)
    meeting_id = _calendar_match(session, spec, rep)
    try:
        with session.begin_nested():
            if meeting_id is None:
                meeting_id = _create(session, spec=spec, rep=rep, crm=crm, now=now)
                people = [rep.email, *attendees()]
                meeting = session.get(Meeting, meeting_id)
                assert meeting is not None
                meeting.attendees = people
                result = linking.resolve(crm=crm, attendees=people, team_domains=team_domains)
                linking.save_link(
                    session,
                    meeting_id=meeting_id,
                    result=result,
                    conference_key=spec.conference_key,
                    now=now,
                )
            session.add(
                MeetingRef(
                    system=spec.system,
                    external_id=spec.external_id,
                    meeting_id=meeting_id,
                    created_at=now,
                )
            )
    except IntegrityError:
        winner = _by_ref(session, spec.system, spec.external_id)
        if winner is None:
            raise
        return winner
    return meeting_id


def _create(
    session: Session, *, spec: MeetingSpec, rep: Actor, crm: CrmReader, now: datetime
) -> str:
    start = spec.start or now
    view = meeting_service.create_meeting(
        session,
        title=spec.title,
        rep=rep,
        crm_system=crm.system,
        deal_id="",
        start=start,
        end=spec.end,
        source=spec.system,
        external_id=spec.external_id,
        now=now,
    )
    return view.id


def note_ended(session: Session, meeting_id: str, end: datetime | None, now: datetime) -> None:
    """A meeting that ended is waiting for its recording; its status never goes backwards."""
    meeting = session.get(Meeting, meeting_id)
    assert meeting is not None
    if end is not None and meeting.end_at is None:
        meeting.end_at = end
    if meeting.status in EARLY_STATUSES:
        meeting.status = "recorded"
    meeting.updated_at = now


def has_transcript(session: Session, meeting_id: str) -> bool:
    return (
        session.scalar(
            select(TranscriptRow.id).where(TranscriptRow.meeting_id == meeting_id).limit(1)
        )
        is not None
    )


def store_transcript_once(
    session: Session, *, meeting_id: str, transcript: Transcript, now: datetime
) -> bool:
    """Store the meeting's first transcript; False when it already had one.

    The meeting row is locked first, so two workers with two paths to a transcript (the VTT and
    the audio) serialize here on PostgreSQL; SQLite serializes writers anyway.
    """
    meeting = session.get(Meeting, meeting_id, with_for_update=True)
    if meeting is None:
        raise NotFound(f"no meeting {meeting_id}")
    if has_transcript(session, meeting_id):
        return False
    meeting_service.store_transcript(session, meeting_id=meeting_id, transcript=transcript, now=now)
    return True


def deal_of(session: Session, meeting_id: str) -> str:
    meeting = session.get(Meeting, meeting_id)
    assert meeting is not None
    return meeting.deal_id


def upsert_calendar_meeting(
    session: Session,
    *,
    event: CalendarEvent,
    rep: Actor,
    crm: CrmReader,
    team_domains: frozenset[str],
    now: datetime,
) -> str | None:
    """Create or update the scheduled meeting of a calendar entry; cancelled ones are flagged.

    Nothing is deleted: a cancelled entry leaves its meeting `failed` with the reason, for a person
    to see. Once a meeting has moved past `brief_ready` its deal and attendees stay as they were.
    """
    meeting = session.scalar(
        select(Meeting).where(Meeting.source == event.provider, Meeting.external_id == event.id)
    )
    if event.cancelled:
        if meeting is not None and meeting.status in EARLY_STATUSES:
            meeting_service.set_status(
                session, meeting.id, "failed", now=now, reason="cancelled in the calendar"
            )
        return meeting.id if meeting else None
    if event.start is None:
        return None
    if meeting is None:
        meeting_id = meeting_service.create_meeting(
            session,
            title=event.title,
            rep=rep,
            crm_system=crm.system,
            deal_id="",
            start=event.start,
            end=event.end,
            attendees=event.attendees,
            source=event.provider,
            external_id=event.id,
            now=now,
        ).id
        meeting = session.get(Meeting, meeting_id)
        assert meeting is not None
    elif meeting.status not in EARLY_STATUSES:
        return meeting.id
    meeting.title, meeting.start_at, meeting.end_at = event.title, event.start, event.end
    meeting.attendees = list(event.attendees)
    meeting.updated_at = now
    result = linking.resolve(crm=crm, attendees=event.attendees, team_domains=team_domains)
    linking.save_link(
        session,
        meeting_id=meeting.id,
        result=result,
        conference_key=event.conference_key,
        now=now,
    )
    return meeting.id


def new_ref(system: str, external_id: str) -> str:
    """A readable key for logs and job dedupe."""
    return f"{system}:{external_id}" if external_id else new_id(system)
