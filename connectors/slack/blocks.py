"""Block Kit for Engage's cards: a proposal with its evidence and buttons, a brief, a notice, and
the modal where a rep edits a value before approving it.

Slack's limits shape this: 50 blocks a message, 3000 characters a text, 150 a header, 24 a modal
title, 2000 a button value. A proposal with more changes than fit shows the first ones and says
how many more wait in Engage. Text from a transcript is escaped (`&`, `<`, `>`), so a quote
cannot mention @channel or smuggle a link.
"""

from __future__ import annotations

from typing import Any

from agent.domain.delivery import BriefCard, ChangeLine, NoticeCard, ReviewCard, clock, show
from agent.domain.models import FieldValueT

APPROVE, EDIT, REJECT, OPEN = "engage_approve", "engage_edit", "engage_reject", "engage_open"
EDIT_CALLBACK = "engage_edit"
VALUE_BLOCK = VALUE_ACTION = "value"
MAX_CHANGES = 14
"""3 blocks each, plus header, summary, divider, the overflow note and the link: under 50."""


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:limit] or " ", "emoji": False}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000] or " "}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:3000] or " "}]}


def action_value(proposal_id: str, change_id: str) -> str:
    return f"{proposal_id}:{change_id}"


def parse_action_value(value: str) -> tuple[str, str]:
    proposal_id, sep, change_id = value.partition(":")
    if not sep or not proposal_id or not change_id:
        raise ValueError(f"not an Engage action value: {value!r}")
    return proposal_id, change_id


def _button(action_id: str, label: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": _plain(label, 75),
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _change_blocks(card: ReviewCard, change: ChangeLine) -> list[dict[str, Any]]:
    who = f" ({escape(change.contact)})" if change.contact else ""
    critical = " :warning: _critical: needs its own approval_" if change.critical else ""
    line = (
        f"*{escape(change.label)}*{who}: {escape(show(change.before))} → "
        f"*{escape(show(change.after))}*{critical}"
    )
    said = f"> “{escape(change.quote)}” — {escape(change.speaker or 'unknown speaker')}"
    if change.start is not None:
        said += f" at {clock(change.start)}"
    blocks = [
        {**_section(line), "block_id": f"change:{change.change_id}"},
        _context(said),
    ]
    if change.status == "pending":
        value = action_value(card.proposal_id, change.change_id)
        blocks.append(
            {
                "type": "actions",
                "block_id": f"decide:{change.change_id}",
                "elements": [
                    _button(APPROVE, "Approve", value, "primary"),
                    _button(EDIT, "Edit", value),
                    _button(REJECT, "Reject", value, "danger"),
                ],
            }
        )
    else:
        blocks.append(_context(f"*{escape(change.status)}*"))
    return blocks


def review_blocks(card: ReviewCard) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(f"Review: {card.meeting_title}", 150)},
        _section(escape(card.summary.strip()) or "_No summary._"),
        _context(f"Deal {escape(card.deal_id)} · engine {escape(card.engine)}"),
        {"type": "divider"},
    ]
    for change in card.changes[:MAX_CHANGES]:
        blocks += _change_blocks(card, change)
    hidden = len(card.changes) - MAX_CHANGES
    if hidden > 0:
        blocks.append(_context(f"{hidden} more change(s) wait in Engage."))
    if not card.changes:
        blocks.append(_context("No field changes proposed."))
    if card.url:
        link = {**_button(OPEN, "Open in Engage", card.proposal_id), "url": card.url}
        blocks.append({"type": "actions", "elements": [link]})
    return blocks


def review_text(card: ReviewCard) -> str:
    """The notification's plain-text fallback."""
    return f"Engage: {len(card.pending)} change(s) to review from {card.meeting_title}"


def brief_blocks(card: BriefCard) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(f"Brief: {card.meeting_title}", 150)},
        _context(escape(card.start)),
        _section(escape(card.headline)),
    ]
    if card.lines:
        blocks.append(_section("\n".join(f"• {escape(line)}" for line in card.lines)))
    if card.url:
        blocks.append(_section(f"<{card.url}|Open the full brief>"))
    return blocks


def notice_blocks(card: NoticeCard) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(card.subject, 150)},
        _section(escape(card.text)),
    ]
    if card.url:
        blocks.append(_section(f"<{card.url}|Open in Engage>"))
    return blocks


def editable(value: FieldValueT) -> str:
    """A value as the rep would type it: no thousands separators, lists comma-separated."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def edit_modal(card: ReviewCard, change: ChangeLine) -> dict[str, Any]:
    """The modal behind "Edit": the proposed value prefilled; submitting approves the edit."""
    return {
        "type": "modal",
        "callback_id": EDIT_CALLBACK,
        "private_metadata": action_value(card.proposal_id, change.change_id),
        "title": _plain("Edit before approving", 24),
        "submit": _plain("Approve", 24),
        "close": _plain("Cancel", 24),
        "blocks": [
            _section(
                f"*{escape(change.label)}*: proposed *{escape(show(change.after))}*\n"
                f"> “{escape(change.quote)}”"
            ),
            {
                "type": "input",
                "block_id": VALUE_BLOCK,
                "label": _plain(change.label, 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": VALUE_ACTION,
                    "initial_value": editable(change.after),
                },
            },
        ],
    }
