"""Messages to reps where they already are (Slack, email), as plain content and two small ports.

The services say *what* to tell a rep — a proposal to review, a brief before a meeting, a call
that was held for consent — as the cards below; each adapter decides *how* (Block Kit, an email
body). Keeping the content here lets one fake of each system stand in for it in tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from agent.domain.models import FieldValueT


@dataclass(frozen=True, kw_only=True)
class ChangeLine:
    change_id: str
    label: str
    before: FieldValueT
    after: FieldValueT
    quote: str
    speaker: str | None
    start: float | None
    critical: bool
    status: str
    contact: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReviewCard:
    proposal_id: str
    meeting_title: str
    deal_id: str
    summary: str
    changes: tuple[ChangeLine, ...]
    url: str | None
    engine: str

    @property
    def pending(self) -> tuple[ChangeLine, ...]:
        return tuple(c for c in self.changes if c.status == "pending")


@dataclass(frozen=True, kw_only=True)
class BriefCard:
    meeting_id: str
    meeting_title: str
    start: str
    headline: str
    lines: tuple[str, ...]
    url: str | None


@dataclass(frozen=True, kw_only=True)
class NoticeCard:
    """A short message that needs no buttons, e.g. why a call was not processed."""

    subject: str
    text: str
    url: str | None = None


@dataclass(frozen=True, kw_only=True)
class Sent:
    ref: str
    """Where the message lives, e.g. a Slack `channel:ts`, or an email's Message-ID."""


class Messenger(Protocol):
    """A chat system that can reach a rep by their email (Slack)."""

    def send_review(self, email: str, card: ReviewCard) -> Sent: ...

    def update_review(self, ref: str, card: ReviewCard) -> None: ...

    def send_brief(self, email: str, card: BriefCard) -> Sent: ...

    def send_notice(self, email: str, card: NoticeCard) -> Sent: ...

    def email_of(self, user_ref: str) -> str | None:
        """The email behind a chat user (who clicked a button), None when it has none."""
        ...

    def open_editor(self, trigger: str, card: ReviewCard, change_id: str) -> None:
        """Open the form where the rep edits a change's value before approving it."""
        ...

    def tell(self, *, conversation: str, user_ref: str, text: str) -> None:
        """A short reply only that user sees (a refusal, an error)."""
        ...


class Mailer(Protocol):
    """An outgoing mail server."""

    def send(self, *, to: str, subject: str, text: str) -> Sent: ...


@dataclass(kw_only=True)
class DeliveryKit:
    """The configured channels to reps; None where a channel is not set up."""

    messenger: Messenger | None = None
    mailer: Mailer | None = None

    @property
    def any(self) -> bool:
        return self.messenger is not None or self.mailer is not None


def show(value: FieldValueT) -> str:
    """A field value as a rep reads it: lists joined, whole amounts without `.0`."""
    if value is None or value == "" or value == []:
        return "(empty)"
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def clock(seconds: float | None) -> str:
    if seconds is None:
        return ""
    whole = int(seconds)
    return f"{whole // 60:02d}:{whole % 60:02d}"


def digest_text(cards: Sequence[ReviewCard]) -> str:
    """The email digest: every proposal waiting for the rep, with its changes and evidence."""
    parts = [f"{len(cards)} call(s) wait for your review in Engage.", ""]
    for card in cards:
        parts.append(f"== {card.meeting_title} (deal {card.deal_id}) ==")
        if card.url:
            parts.append(f"Review: {card.url}")
        parts.append(card.summary.strip())
        for change in card.pending:
            who = f" ({change.contact})" if change.contact else ""
            mark = " [needs its own tick]" if change.critical else ""
            parts.append(
                f"- {change.label}{who}: {show(change.before)} -> {show(change.after)}{mark}"
            )
            parts.append(f'    "{change.quote}" — {change.speaker or "?"} {clock(change.start)}')
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


def brief_text(card: BriefCard) -> str:
    lines = [f"{card.meeting_title} — {card.start}", "", card.headline, ""]
    lines += [f"- {line}" for line in card.lines]
    if card.url:
        lines += ["", f"Full brief: {card.url}"]
    return "\n".join(lines) + "\n"
