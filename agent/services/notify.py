"""Telling reps where they already are: Slack messages and email, each sent once.

- A proposal ready for review goes to its rep in Slack at once, with approve / edit / reject per
  change; by email it joins the rep's next digest (`ENGAGE_DIGEST_MINUTES`), one email listing
  every proposal still waiting that no earlier digest listed.
- A brief prepared ahead of a meeting goes out on both channels when it is first made.
- A call held for recording consent tells its rep why, on both channels.

Shadow-mode proposals are not sent: in shadow mode reps keep working in the CRM as before.
Every message is a `deliveries` row, unique per (kind, channel, subject): a retried job finds the
message it already sent, and Slack messages keep their `channel:ts` to be updated after a
decision. A failed send keeps its error on the row and is retried by the job.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agent.db.engine import Database
from agent.db.tables import Delivery, Meeting, PreparedBrief, Proposal, User
from agent.domain.delivery import (
    BriefCard,
    ChangeLine,
    DeliveryKit,
    NoticeCard,
    ReviewCard,
    Sent,
    brief_text,
    digest_text,
    show,
)
from agent.domain.fields import FieldPolicy
from agent.domain.ports import Clock
from agent.errors import EngageError
from agent.ids import new_id
from agent.services.proposals import ProposalView, get_proposal

SLACK, EMAIL = "slack", "email"


def review_card(view: ProposalView, *, policy: FieldPolicy, base_url: str | None) -> ReviewCard:
    def label(name: str) -> str:
        spec = policy.spec(name)
        return spec.label if spec else name

    return ReviewCard(
        proposal_id=view.id,
        meeting_title=view.meeting_title,
        deal_id=view.deal_id,
        summary=view.summary,
        engine=view.engine,
        url=f"{base_url}/proposals/{view.id}" if base_url else None,
        changes=tuple(
            ChangeLine(
                change_id=c.id,
                label=label(c.field),
                before=c.before,
                after=c.final_value if c.status == "edited" else c.after,
                quote=str(c.evidence.get("quote", "")),
                speaker=c.evidence.get("speaker"),
                start=c.evidence.get("start"),
                critical=c.critical,
                status=c.status,
                contact=c.contact_email,
            )
            for c in view.changes
        ),
    )


def brief_card(content: dict[str, Any], *, base_url: str | None) -> BriefCard:
    amount = content.get("amount")
    headline = (
        f"{content.get('account_name', '')} · {content.get('deal_name', '')}: stage "
        f"{content.get('stage', '')}, amount {show(amount)} {content.get('currency', '')}, "
        f"close {content.get('close_date') or '(none)'}"
    )
    lines = [f"Next step: {content['next_step']}"] if content.get("next_step") else []
    lines += [
        f"{c.get('name')}, {c.get('title') or 'no title'} ({c.get('email')})"
        for c in content.get("contacts", [])[:6]
    ]
    lines += [f"Open: {s.get('subject')}" for s in content.get("open_next_steps", [])[:5]]
    lines += [f"Signal: {s.get('summary')}" for s in content.get("signals", [])[:5]]
    meeting_id = str(content.get("meeting_id", ""))
    return BriefCard(
        meeting_id=meeting_id,
        meeting_title=str(content.get("meeting_title", "")),
        start=str(content.get("meeting_start", "")),
        headline=headline,
        lines=tuple(lines),
        url=f"{base_url}/meetings/{meeting_id}/brief" if base_url else None,
    )


@dataclass(kw_only=True)
class Notifier:
    db: Database
    kit: DeliveryKit
    clock: Clock
    policy: FieldPolicy
    base_url: str | None = None

    # -- bookkeeping ---------------------------------------------------------------------------

    def _claim(self, kind: str, channel: str, subject_id: str, recipient: str) -> str | None:
        """The delivery row to send under, or None when this message was already sent."""
        now = self.clock.now()
        with self.db.session() as session:
            row = _find(session, kind, channel, subject_id)
            if row is not None:
                return None if row.status == "sent" else row.id
            row = Delivery(
                id=new_id("dlv"),
                kind=kind,
                channel=channel,
                subject_id=subject_id,
                recipient=recipient,
                status="sending",
                ref=None,
                error=None,
                created_at=now,
                updated_at=now,
            )
            try:
                with session.begin_nested():
                    session.add(row)
            except IntegrityError:
                return None
            return row.id

    def _finish(self, delivery_id: str, sent: Sent | None, error: str | None) -> None:
        with self.db.session() as session:
            row = session.get_one(Delivery, delivery_id)
            row.status = "sent" if sent is not None else "failed"
            row.ref = sent.ref if sent is not None else row.ref
            row.error = error
            row.updated_at = self.clock.now()

    def _send(
        self, kind: str, channel: str, subject_id: str, recipient: str, send: Callable[[], Sent]
    ) -> bool:
        delivery_id = self._claim(kind, channel, subject_id, recipient)
        if delivery_id is None:
            return False
        try:
            sent = send()
        except EngageError as exc:
            self._finish(delivery_id, None, str(exc))
            raise
        self._finish(delivery_id, sent, None)
        return True

    # -- what is sent ----------------------------------------------------------------------------

    def proposal_ready(self, proposal_id: str) -> bool:
        """The review card in Slack; email waits for the digest."""
        messenger = self.kit.messenger
        with self.db.session() as session:
            proposal = session.get(Proposal, proposal_id)
            if messenger is None or proposal is None or proposal.shadow:
                return False
            view = get_proposal(session, proposal_id, None)
        if not any(c.status == "pending" for c in view.changes):
            return False
        card = review_card(view, policy=self.policy, base_url=self.base_url)
        return self._send(
            "proposal",
            SLACK,
            proposal_id,
            view.rep_email,
            lambda: messenger.send_review(view.rep_email, card),
        )

    def refresh_review(self, proposal_id: str) -> None:
        """Show a proposal's current state in the Slack message sent for it, if any."""
        messenger = self.kit.messenger
        with self.db.session() as session:
            row = _find(session, "proposal", SLACK, proposal_id)
            if messenger is None or row is None or row.status != "sent" or not row.ref:
                return
            ref = row.ref
            view = get_proposal(session, proposal_id, None)
        messenger.update_review(ref, review_card(view, policy=self.policy, base_url=self.base_url))

    def brief_ready(self, meeting_id: str) -> int:
        with self.db.session() as session:
            row = session.get(PreparedBrief, meeting_id)
            email = _rep_email(session, meeting_id)
            if row is None or email is None:
                return 0
            card = brief_card(dict(row.content), base_url=self.base_url)
        sent = 0
        if (messenger := self.kit.messenger) is not None:
            sent += self._send(
                "brief", SLACK, meeting_id, email, lambda: messenger.send_brief(email, card)
            )
        if (mailer := self.kit.mailer) is not None:
            subject = f"Brief: {card.meeting_title} ({card.start[:16]})"
            text = brief_text(card)
            sent += self._send(
                "brief",
                EMAIL,
                meeting_id,
                email,
                lambda: mailer.send(to=email, subject=subject, text=text),
            )
        return sent

    def consent_held(self, meeting_id: str) -> int:
        with self.db.session() as session:
            meeting = session.get(Meeting, meeting_id)
            email = _rep_email(session, meeting_id)
            if meeting is None or email is None:
                return 0
            card = NoticeCard(
                subject=f"Not processed: {meeting.title}",
                text=meeting.failure_reason or "recording consent is missing",
                url=f"{self.base_url}/" if self.base_url else None,
            )
        sent = 0
        if (messenger := self.kit.messenger) is not None:
            sent += self._send(
                "consent", SLACK, meeting_id, email, lambda: messenger.send_notice(email, card)
            )
        if (mailer := self.kit.mailer) is not None:
            sent += self._send(
                "consent",
                EMAIL,
                meeting_id,
                email,
                lambda: mailer.send(to=email, subject=card.subject, text=card.text + "\n"),
            )
        return sent

    def _card(self, session: Session, proposal_id: str) -> ReviewCard:
        view = get_proposal(session, proposal_id, None)
        return review_card(view, policy=self.policy, base_url=self.base_url)

    def email_digest(self) -> int:
        """One email per rep listing the proposals waiting that no digest listed yet."""
        mailer = self.kit.mailer
        if mailer is None:
            return 0
        with self.db.session() as session:
            waiting = _undigested(session)
            cards = {
                email: [self._card(session, proposal_id) for proposal_id in ids]
                for email, ids in waiting.items()
            }
        emails = 0
        for email, rep_cards in cards.items():
            claimed = [
                (card, self._claim("proposal", EMAIL, card.proposal_id, email))
                for card in rep_cards
                if card.pending
            ]
            fresh = [(card, d) for card, d in claimed if d is not None]
            if not fresh:
                continue
            subject = f"Engage: {len(fresh)} call(s) to review"
            try:
                sent = mailer.send(
                    to=email, subject=subject, text=digest_text([c for c, _ in fresh])
                )
            except EngageError as exc:
                for _, delivery_id in fresh:
                    self._finish(str(delivery_id), None, str(exc))
                raise
            for _, delivery_id in fresh:
                self._finish(str(delivery_id), sent, None)
            emails += 1
        return emails


def _find(session: Session, kind: str, channel: str, subject_id: str) -> Delivery | None:
    return session.scalar(
        select(Delivery).where(
            Delivery.kind == kind, Delivery.channel == channel, Delivery.subject_id == subject_id
        )
    )


def _rep_email(session: Session, meeting_id: str) -> str | None:
    meeting = session.get(Meeting, meeting_id)
    rep = session.get(User, meeting.rep_id) if meeting else None
    return rep.email if rep else None


def _undigested(session: Session) -> dict[str, list[str]]:
    sent = select(Delivery.subject_id).where(
        Delivery.kind == "proposal", Delivery.channel == EMAIL, Delivery.status == "sent"
    )
    rows = session.execute(
        select(Proposal.id, User.email)
        .join(Meeting, Meeting.id == Proposal.meeting_id)
        .join(User, User.id == Meeting.rep_id)
        .where(
            Proposal.status == "pending",
            Proposal.shadow.is_(False),
            Proposal.id.not_in(sent),
        )
        .order_by(Proposal.created_at, Proposal.id)
    )
    waiting: dict[str, list[str]] = defaultdict(list)
    for proposal_id, email in rows:
        waiting[email].append(proposal_id)
    return waiting
