"""Recording consent: was every party told the call was recorded? Without it, nothing is processed.

Each meeting records a verdict before its transcript goes to the engine:

- `notified` — a source or a person said so (the uploader's or the rep's declaration, or a
  source listed in `ENGAGE_CONSENT_SOURCES` whose recordings announce themselves to everyone), or
  the attendee policy covers everyone: team members (`ENGAGE_TEAM_DOMAINS`) and people at
  companies with a standing recording agreement (`ENGAGE_CONSENT_DOMAINS`);
- `not_notified` — a declaration says somebody was not told: never processed;
- `unknown` — nothing covers some attendee: processed under `ENGAGE_CONSENT_MODE=record` (the
  default; the gap is shown), held under `require`.

A held meeting gets status `consent_missing` with the reason, and its rep is told (page, API,
Slack/email). A later declaration (`POST /api/v1/meetings/{id}/consent`) releases it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from agent.db.tables import Meeting
from agent.errors import InputError, NotFound
from agent.services import linking
from agent.services import meetings as meeting_service
from agent.services.users import Actor

NOTIFIED, NOT_NOTIFIED, UNKNOWN = "notified", "not_notified", "unknown"
HELD = "consent_missing"
DECLARED_PREFIXES = ("rep:", "uploader:")


@dataclass(frozen=True, kw_only=True)
class ConsentPolicy:
    mode: str = "record"
    team_domains: frozenset[str] = frozenset()
    agreed_domains: frozenset[str] = frozenset()
    announcing_sources: frozenset[str] = frozenset()


@dataclass(frozen=True, kw_only=True)
class Verdict:
    status: str
    source: str
    reason: str
    proceed: bool


def assess(
    *, policy: ConsentPolicy, source: str, attendees: Sequence[str], declared: str | None = None
) -> Verdict:
    """The verdict for one meeting; `declared` is a person's explicit `notified`/`not_notified`."""
    if declared is not None:
        status, by, why = declared, "declaration", "declared"
    elif source.lower() in policy.announcing_sources:
        status, by = NOTIFIED, f"source:{source}"
        why = f"{source} announces its recordings to every participant"
    else:
        status, by, why = _by_attendees(policy, attendees)
    proceed = status == NOTIFIED or (status == UNKNOWN and policy.mode == "record")
    return Verdict(status=status, source=by, reason=why, proceed=proceed)


def _by_attendees(policy: ConsentPolicy, attendees: Sequence[str]) -> tuple[str, str, str]:
    if not attendees:
        return UNKNOWN, "attendee policy", "no attendee list to check consent against"
    outside = linking.external_emails(attendees, policy.team_domains)
    uncovered = [e for e in outside if e.rsplit("@", 1)[1] not in policy.agreed_domains]
    if not uncovered:
        return (
            NOTIFIED,
            "attendee policy",
            "every attendee is on the team or at a company with a recording agreement",
        )
    return (
        UNKNOWN,
        "attendee policy",
        "no record that these attendees were told: " + ", ".join(uncovered),
    )


def admit(session: Session, *, meeting_id: str, policy: ConsentPolicy, now: datetime) -> Verdict:
    """Assess the meeting, record the verdict, and hold the meeting when it may not go on."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(f"no meeting {meeting_id}")
    declared = _declaration(meeting)
    verdict = assess(
        policy=policy,
        source=meeting.source,
        attendees=list(meeting.attendees or ()),
        declared=declared,
    )
    if declared is None:
        meeting.consent, meeting.consent_source = verdict.status, verdict.source
        meeting.consent_reason = verdict.reason
    if not verdict.proceed:
        reason = _held_reason(meeting)
        meeting_service.set_status(session, meeting_id, HELD, now=now, reason=reason)
    return verdict


def _declaration(meeting: Meeting) -> str | None:
    source = meeting.consent_source or ""
    if source.startswith(DECLARED_PREFIXES) and meeting.consent in (NOTIFIED, NOT_NOTIFIED):
        return meeting.consent
    return None


def _held_reason(meeting: Meeting) -> str:
    if meeting.consent == NOT_NOTIFIED:
        return f"not processed: not every party was told the call was recorded ({_why(meeting)})"
    return (
        f"not processed: recording consent unknown ({_why(meeting)}); if everyone was told, "
        "confirm it with POST /api/v1/meetings/{id}/consent"
    ).replace("{id}", meeting.id)


def _why(meeting: Meeting) -> str:
    return meeting.consent_reason or meeting.consent_source or "no reason given"


def declare(meeting: Meeting, *, notified: bool, by: str, note: str | None, now: datetime) -> None:
    """A person's statement on consent, kept as said (`by` is `rep:EMAIL` or `uploader:EMAIL`)."""
    if not by.startswith(DECLARED_PREFIXES):
        raise InputError("a consent declaration names who made it")
    meeting.consent = NOTIFIED if notified else NOT_NOTIFIED
    meeting.consent_source = by[:64]
    default = "everyone was told the call was recorded" if notified else "somebody was not told"
    meeting.consent_reason = (note or default)[:2000]
    meeting.updated_at = now


def declare_for_rep(
    session: Session,
    *,
    meeting_id: str,
    actor: Actor,
    notified: bool,
    note: str | None,
    now: datetime,
) -> bool:
    """The meeting's rep (or an admin) states consent; True when a held meeting may now go on."""
    meeting = meeting_service.load_meeting(session, meeting_id, actor)
    declare(meeting, notified=notified, by=f"rep:{actor.email}", note=note, now=now)
    if meeting.status == HELD and notified:
        meeting.status, meeting.failure_reason = "transcribed", None
        return True
    if not notified and meeting.status not in ("proposed", "reviewed", "applied"):
        reason = f"not processed: {actor.email} declared that not every party was told"
        meeting_service.set_status(session, meeting_id, HELD, now=now, reason=reason)
    return False


def declare_upload(
    session: Session, *, meeting_id: str, by: str, status: str, now: datetime
) -> None:
    """The uploader's statement that came with a transcript (`notified` or `not_notified`)."""
    if status not in (NOTIFIED, NOT_NOTIFIED):
        raise InputError(f"consent must be {NOTIFIED} or {NOT_NOTIFIED}, not {status!r}")
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(f"no meeting {meeting_id}")
    declare(meeting, notified=status == NOTIFIED, by=f"uploader:{by}", note=None, now=now)
