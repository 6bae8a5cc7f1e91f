"""Pre-call briefs, built through a read-only view of the CRM.

Prep never writes: the brief path is handed a `ReadOnlyCrm`, which has no write methods at all,
so a write from here is an AttributeError in development rather than a change in production.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from agent.domain.models import (
    Contact,
    CrmContext,
    CurrentValue,
    FieldRef,
    FieldValueT,
    IdentityMatch,
    ObjectType,
)
from agent.domain.ports import CrmReader
from agent.services.meetings import MeetingView

NOTE_LIMIT = 5
NOTE_CHARS = 280


class ReadOnlyCrm:
    """Exposes only the reading half of a CRM adapter."""

    def __init__(self, crm: CrmReader) -> None:
        self._crm = crm

    @property
    def system(self) -> str:
        return self._crm.system

    def read_context(self, deal_id: str) -> CrmContext:
        return self._crm.read_context(deal_id)

    def read_values(self, refs: Sequence[FieldRef]) -> list[CurrentValue]:
        return self._crm.read_values(refs)

    def get_record(self, object_type: ObjectType, object_id: str) -> dict[str, FieldValueT]:
        return self._crm.get_record(object_type, object_id)

    def match_identities(self, *, emails: Sequence[str], domains: Sequence[str]) -> IdentityMatch:
        return self._crm.match_identities(emails=emails, domains=domains)


@dataclass(frozen=True, kw_only=True)
class BriefNote:
    created_at: datetime
    author: str | None
    text: str


@dataclass(frozen=True, kw_only=True)
class BriefStep:
    subject: str
    due: date | None
    owner: str | None


@dataclass(frozen=True, kw_only=True)
class Brief:
    meeting_id: str
    meeting_title: str
    meeting_start: datetime
    crm_system: str
    account_name: str
    account_domain: str | None
    deal_id: str
    deal_name: str
    stage: str
    amount: float | None
    currency: str
    close_date: date | None
    next_step: str | None
    competitors: tuple[str, ...]
    last_touch: datetime | None
    contacts: tuple[Contact, ...]
    notes: tuple[BriefNote, ...]
    open_next_steps: tuple[BriefStep, ...]
    stages: tuple[str, ...]


def _trim(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= NOTE_CHARS else flat[: NOTE_CHARS - 1].rstrip() + "…"


def build_brief(
    *,
    crm: ReadOnlyCrm,
    meeting_id: str,
    meeting_title: str,
    meeting_start: datetime,
    deal_id: str,
    attendees: Sequence[str] = (),
) -> Brief:
    """What the rep needs before the call; attendees who are contacts come first."""
    context = crm.read_context(deal_id)
    wanted = {a.lower() for a in attendees}
    contacts = sorted(context.contacts, key=lambda c: (c.email.lower() not in wanted, c.name))
    notes = sorted(context.notes, key=lambda n: n.created_at, reverse=True)[:NOTE_LIMIT]
    tasks = sorted(
        (t for t in context.open_tasks if not t.done),
        key=lambda t: (t.due is None, t.due or date.max),
    )
    deal = context.deal
    return Brief(
        meeting_id=meeting_id,
        meeting_title=meeting_title,
        meeting_start=meeting_start,
        crm_system=crm.system,
        account_name=context.account.name,
        account_domain=context.account.domain,
        deal_id=deal.id,
        deal_name=deal.name,
        stage=deal.stage,
        amount=deal.amount,
        currency=deal.currency,
        close_date=deal.close_date,
        next_step=deal.next_step,
        competitors=deal.competitors,
        last_touch=context.last_touch,
        contacts=tuple(contacts),
        notes=tuple(
            BriefNote(created_at=n.created_at, author=n.author, text=_trim(n.body)) for n in notes
        ),
        open_next_steps=tuple(
            BriefStep(subject=t.subject, due=t.due, owner=t.owner) for t in tasks
        ),
        stages=context.stages,
    )


def brief_for(crm: ReadOnlyCrm, meeting: MeetingView) -> Brief:
    """The brief of a meeting the caller may already see (the API, the page and the CLI)."""
    return build_brief(
        crm=crm,
        meeting_id=meeting.id,
        meeting_title=meeting.title,
        meeting_start=meeting.start,
        deal_id=meeting.deal_id,
        attendees=meeting.attendees,
    )
