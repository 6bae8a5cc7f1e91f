"""Buying signals: kept in Engage, linked to the CRM by email or domain, never written to it.

A signal (an email reply, a pricing-page visit, a product-usage spike, an intent topic) is stored
with the contact, account and open deal it points to, shown in that deal's briefs, and carries a
suggested next step. Only when the rep accepts the suggestion does anything reach the CRM: a task
on the deal, created once (idempotency key), never the signal itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agent.db.tables import SignalRow
from agent.domain.identity import normalize_domain, normalize_email
from agent.domain.ports import CrmPort, CrmReader
from agent.errors import Forbidden, InputError, NotFound
from agent.ids import new_id
from agent.services.linking import FREE_MAIL
from agent.services.users import Actor

KINDS = ("email_reply", "pricing_page_visit", "usage_spike", "intent_topic")
_STEPS = {
    "email_reply": "Answer {who}'s reply and propose a time to talk",
    "pricing_page_visit": "Follow up with {who} on pricing (they viewed the pricing page)",
    "usage_spike": "Check in with {who} about their jump in product usage",
    "intent_topic": "Reach out to {who} about {topic}",
}


@dataclass(frozen=True, kw_only=True)
class SignalIn:
    kind: str
    source: str
    occurred_at: datetime
    email: str | None = None
    domain: str | None = None
    external_id: str | None = None
    summary: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class SignalView:
    id: str
    kind: str
    source: str
    email: str | None
    domain: str | None
    account_id: str | None
    contact_id: str | None
    deal_id: str | None
    summary: str
    suggestion: str | None
    suggestion_status: str
    occurred_at: datetime


def _view(row: SignalRow) -> SignalView:
    return SignalView(
        id=row.id,
        kind=row.kind,
        source=row.source,
        email=row.email,
        domain=row.domain,
        account_id=row.account_id,
        contact_id=row.contact_id,
        deal_id=row.deal_id,
        summary=row.summary,
        suggestion=row.suggestion,
        suggestion_status=row.suggestion_status,
        occurred_at=row.occurred_at,
    )


def _identity(signal: SignalIn) -> tuple[str | None, str | None]:
    try:
        email = normalize_email(signal.email) if signal.email else None
        domain = (
            normalize_domain(signal.domain or email or "") if (signal.domain or email) else None
        )
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if email is None and domain is None:
        raise InputError("a signal needs an email or a domain to be linked")
    return email, domain


def record_signal(
    session: Session, *, crm: CrmReader, signal: SignalIn, now: datetime
) -> tuple[SignalView, bool]:
    """Store and link one signal; a known (source, external_id) returns the stored one."""
    if signal.kind not in KINDS:
        raise InputError(f"unknown signal kind {signal.kind!r}; one of {', '.join(KINDS)}")
    if signal.external_id and (known := _by_external(session, signal)) is not None:
        return _view(known), False
    email, domain = _identity(signal)
    domains = [domain] if domain and domain not in FREE_MAIL else []
    match = crm.match_identities(emails=[email] if email else [], domains=domains)
    contact = match.contacts[0] if match.contacts else None
    deal = match.open_deals[0] if len(match.open_deals) == 1 else None
    who = contact.name if contact else (email or domain or "the account")
    topic = str(signal.data.get("topic") or "their research topic")
    row = SignalRow(
        id=new_id("sig"),
        source=signal.source[:64],
        external_id=signal.external_id,
        kind=signal.kind,
        email=email,
        domain=domain,
        account_id=match.accounts[0].id if len(match.accounts) == 1 else None,
        contact_id=contact.id if contact else None,
        deal_id=deal.id if deal else None,
        summary=signal.summary[:2000],
        data=signal.data,
        suggestion=_STEPS[signal.kind].format(who=who, topic=topic) if deal else None,
        suggestion_status="pending" if deal else "none",
        decided_by=None,
        occurred_at=signal.occurred_at,
        received_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        twin = _by_external(session, signal)
        if twin is None:
            raise
        return _view(twin), False
    return _view(row), True


def _by_external(session: Session, signal: SignalIn) -> SignalRow | None:
    return session.scalar(
        select(SignalRow).where(
            SignalRow.source == signal.source[:64], SignalRow.external_id == signal.external_id
        )
    )


def for_deal(
    session: Session, *, deal_id: str, account_id: str | None, limit: int = 10
) -> list[SignalView]:
    """The newest signals of a deal or of its account, for the brief."""
    match = SignalRow.deal_id == deal_id
    if account_id:
        match = or_(match, SignalRow.account_id == account_id)
    rows = session.scalars(
        select(SignalRow).where(match).order_by(SignalRow.occurred_at.desc()).limit(limit)
    )
    return [_view(r) for r in rows]


def list_signals(session: Session, *, deal_id: str | None, limit: int = 100) -> list[SignalView]:
    query = select(SignalRow).order_by(SignalRow.received_at.desc()).limit(limit)
    if deal_id:
        query = query.where(SignalRow.deal_id == deal_id)
    return [_view(r) for r in session.scalars(query)]


def _may_decide(crm: CrmReader, row: SignalRow, actor: Actor) -> None:
    if row.deal_id is None or row.suggestion is None:
        raise InputError(f"signal {row.id} has no suggested next step")
    owner = crm.read_context(row.deal_id).deal.owner_email
    if not actor.is_admin and (owner or "").lower() != actor.email.lower():
        raise Forbidden(f"signal {row.id} is on another rep's deal")


def decide(
    session: Session, *, crm: CrmPort, signal_id: str, actor: Actor, accept: bool, now: datetime
) -> SignalView:
    """The rep's answer to a suggested next step; acceptance creates one task on the deal."""
    row = session.get(SignalRow, signal_id)
    if row is None:
        raise NotFound(f"no signal {signal_id}")
    _may_decide(crm, row, actor)
    if row.suggestion_status == "pending" and accept:
        assert row.deal_id is not None
        assert row.suggestion is not None
        crm.add_task(
            deal_id=row.deal_id,
            subject=row.suggestion,
            due=None,
            owner=actor.email,
            idempotency_key=f"engage:signal:{row.id}",
        )
    if row.suggestion_status == "pending":
        row.suggestion_status = "accepted" if accept else "dismissed"
        row.decided_by = actor.email
    return _view(row)
