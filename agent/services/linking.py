"""Meeting linking: external attendees → CRM contacts, their account, and the one open deal.

Only attendees outside the team's domains count (the rep and colleagues are the team). Emails and
domains go through the identity backbone's normal form; free-mail domains never stand for a
company. When the attendees point at two or more open deals, the meeting asks the rep to choose
(`ambiguous`, with the candidates) instead of guessing: a wrong deal would put one customer's call
into another's record.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from agent.db.tables import Meeting, MeetingLink
from agent.domain.identity import normalize_domain, normalize_email
from agent.domain.ports import CrmReader
from agent.errors import InputError, NotFound
from agent.services import meetings as meeting_service
from agent.services.users import Actor

FREE_MAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
    }
)

LINKED, AMBIGUOUS, UNMATCHED, INTERNAL = "linked", "ambiguous", "unmatched", "internal"


@dataclass(frozen=True, kw_only=True)
class DealCandidate:
    id: str
    name: str
    stage: str


@dataclass(frozen=True, kw_only=True)
class LinkResult:
    status: str
    deal_id: str | None = None
    account_id: str | None = None
    contact_ids: tuple[str, ...] = ()
    candidates: tuple[DealCandidate, ...] = ()


def external_emails(attendees: Iterable[str], team_domains: frozenset[str]) -> list[str]:
    """Normalized, de-duplicated emails of attendees outside the team, in their given order."""
    seen: dict[str, None] = {}
    for raw in attendees:
        try:
            email = normalize_email(raw)
        except ValueError:
            continue
        if email.rsplit("@", 1)[1] not in team_domains:
            seen.setdefault(email, None)
    return list(seen)


def resolve(
    *, crm: CrmReader, attendees: Sequence[str], team_domains: frozenset[str]
) -> LinkResult:
    emails = external_emails(attendees, team_domains)
    if not emails:
        return LinkResult(status=INTERNAL)
    domains = sorted({normalize_domain(e) for e in emails} - FREE_MAIL)
    match = crm.match_identities(emails=emails, domains=domains)
    contact_ids = tuple(c.id for c in match.contacts)
    account_id = match.accounts[0].id if len(match.accounts) == 1 else None
    deals = match.open_deals
    if len(deals) == 1:
        deal = deals[0]
        return LinkResult(
            status=LINKED, deal_id=deal.id, account_id=deal.account_id, contact_ids=contact_ids
        )
    candidates = tuple(DealCandidate(id=d.id, name=d.name, stage=d.stage) for d in deals)
    return LinkResult(
        status=AMBIGUOUS if deals else UNMATCHED,
        account_id=account_id,
        contact_ids=contact_ids,
        candidates=candidates,
    )


def save_link(
    session: Session,
    *,
    meeting_id: str,
    result: LinkResult,
    conference_key: str | None,
    now: datetime,
) -> None:
    """Record the link and, when it is certain, the meeting's deal."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(f"no meeting {meeting_id}")
    if result.deal_id is not None:
        meeting.deal_id = result.deal_id
    row = session.get(MeetingLink, meeting_id)
    if row is None:
        row = MeetingLink(meeting_id=meeting_id)
        session.add(row)
    row.status = result.status if not meeting.deal_id else LINKED
    row.account_id = result.account_id
    row.contact_ids = list(result.contact_ids)
    row.candidates = [{"id": c.id, "name": c.name, "stage": c.stage} for c in result.candidates]
    row.conference_key = conference_key or row.conference_key
    row.updated_at = now
    session.flush()


def link_view(session: Session, meeting_id: str, actor: Actor) -> dict[str, Any]:
    meeting = meeting_service.load_meeting(session, meeting_id, actor)
    row = session.get(MeetingLink, meeting_id)
    return {
        "meeting_id": meeting.id,
        "status": row.status if row else (LINKED if meeting.deal_id else UNMATCHED),
        "deal_id": meeting.deal_id or None,
        "account_id": row.account_id if row else None,
        "contact_ids": list(row.contact_ids) if row else [],
        "candidates": list(row.candidates) if row else [],
    }


def choose_deal(
    session: Session, *, crm: CrmReader, meeting_id: str, deal_id: str, actor: Actor, now: datetime
) -> bool:
    """The rep's answer to an ambiguous or unmatched link; True when the meeting gained a deal.

    A deal outside the candidates is accepted only if it is an open deal of the CRM, so a typo
    cannot attach the call to a closed or missing record.
    """
    meeting = meeting_service.load_meeting(session, meeting_id, actor)
    row = session.get(MeetingLink, meeting_id)
    known = {c["id"] for c in row.candidates} if row else set()
    if deal_id not in known:
        deal = crm.read_context(deal_id).deal
        if deal.is_closed:
            raise InputError(f"deal {deal_id} is closed; pick an open deal")
    gained = meeting.deal_id != deal_id
    meeting.deal_id = deal_id
    meeting.updated_at = now
    if row is None:
        row = MeetingLink(meeting_id=meeting_id, contact_ids=[], candidates=[], account_id=None)
        session.add(row)
    row.status = LINKED
    row.updated_at = now
    session.flush()
    return gained
