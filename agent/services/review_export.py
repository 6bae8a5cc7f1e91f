"""Reps' decisions as eval data: each reviewed proposal becomes one line of the eval dataset.

A rep who approved a change said "this is right", one who edited it gave the right value, one who
rejected it said "no change here". Together with the transcript and the CRM values the proposal
was made on (kept with the proposal), that is a gold-labelled call in the format `engage eval`
reads (`shared/DESIGN.md`, "Eval dataset format"). The transcript is redacted per
`ENGAGE_REDACT`; a field whose value is itself redacted (a phone number, an email address) is left
out of the gold labels, since the transcript no longer states it, and counted. Contacts' emails
in the CRM context become stand-ins on the company's own domain, their phones are dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.db.tables import Meeting, Proposal, ProposedChangeRow, TranscriptRow
from agent.domain.redact import redact

REVIEWED = ("reviewed", "applied", "partially_applied", "rejected", "reverted")
UNSCORED = frozenset({"deal.next_step"})
"""Free text the eval scores as next steps, never as a field update (`eval/dataset.py`)."""
REDACTED_FIELDS = {"contact.email": "emails", "contact.phone": "phones"}


def decision_of(row: ProposedChangeRow) -> str | None:
    """`approved`, `edited` or `rejected`; None while undecided. An edit keeps its final value
    through apply, so it is still told apart after the change was written. A change the rep
    reverted after it was applied counts as rejected: the rep's last word is "no change here"."""
    if row.decided_by is None:
        return None
    if row.status in ("rejected", "reverted"):
        return "rejected"
    return "edited" if row.final_value is not None else "approved"


def final_value(row: ProposedChangeRow) -> Any:
    return row.final_value if row.final_value is not None else row.after


@dataclass(kw_only=True)
class Export:
    lines: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(proposal id, why) for reviewed proposals that could not become a line."""
    left_out: int = 0
    """Gold updates left out because their value is redacted."""


class _Pseudonyms:
    """Stand-in contact emails, stable within one line: `contact-1@acme.com`."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._names: dict[str, str] = {}

    def __call__(self, email: str) -> str:
        if not self.enabled:
            return email
        key = email.lower()
        if key not in self._names:
            domain = key.rsplit("@", 1)[-1]
            self._names[key] = f"contact-{len(self._names) + 1}@{domain}"
        return self._names[key]


def export_reviews(session: Session, *, since: datetime, kinds: frozenset[str]) -> Export:
    """Lines for proposals fully decided on or after `since`, oldest first."""
    result = Export()
    proposals = session.scalars(
        select(Proposal)
        .where(Proposal.status.in_(REVIEWED), Proposal.updated_at >= since)
        .order_by(Proposal.updated_at, Proposal.id)
    )
    for proposal in proposals:
        rows = list(
            session.scalars(
                select(ProposedChangeRow)
                .where(ProposedChangeRow.proposal_id == proposal.id)
                .order_by(ProposedChangeRow.position)
            )
        )
        reason = _unusable(session, proposal, rows)
        if reason is not None:
            result.skipped.append((proposal.id, reason))
            continue
        result.lines.append(_line(session, proposal, rows, kinds, result))
    return result


def _unusable(
    session: Session, proposal: Proposal, rows: Sequence[ProposedChangeRow]
) -> str | None:
    if proposal.crm_context is None:
        return "no CRM snapshot (made before Engage kept one)"
    if not rows:
        return "no proposed changes to decide on"
    if any(decision_of(r) is None for r in rows):
        return "some changes are still undecided"
    if _transcript(session, proposal.meeting_id) is None:
        return "the meeting has no transcript"
    return None


def _transcript(session: Session, meeting_id: str) -> list[dict[str, Any]] | None:
    row = session.scalar(
        select(TranscriptRow)
        .where(TranscriptRow.meeting_id == meeting_id)
        .order_by(TranscriptRow.created_at.desc())
        .limit(1)
    )
    return None if row is None else list(row.segments)


def _line(
    session: Session,
    proposal: Proposal,
    rows: Sequence[ProposedChangeRow],
    kinds: frozenset[str],
    result: Export,
) -> dict[str, Any]:
    meeting = session.get(Meeting, proposal.meeting_id)
    assert meeting is not None
    alias = _Pseudonyms("emails" in kinds)
    segments = _transcript(session, proposal.meeting_id) or []
    updates, unchanged, left_out = _gold(rows, kinds, alias)
    result.left_out += left_out
    steps = [] if proposal.status == "rejected" else list(proposal.next_steps)
    return {
        "id": f"rev-{proposal.id}",
        "transcript": _redacted_segments(segments, kinds),
        "crm_context": _context(proposal.crm_context or {}, kinds, alias),
        "meeting_date": (meeting.end_at or meeting.start_at).date().isoformat(),
        "expected": {
            "field_updates": updates,
            "unchanged": unchanged,
            "next_steps": [
                {
                    "owner": str(s["owner"]),
                    "action": redact(str(s["action"]), kinds).text,
                    "due": s.get("due"),
                }
                for s in steps
            ],
            "key_points": [],
        },
        "source": {
            "proposal_id": proposal.id,
            "engine": proposal.engine,
            "model": proposal.model,
            "prompt_version": proposal.prompt_version,
            "decisions": [
                {"field": r.field, "decision": decision_of(r), "proposed": _shown(r, kinds)}
                for r in rows
            ],
        },
    }


def _shown(row: ProposedChangeRow, kinds: frozenset[str]) -> Any:
    kind = REDACTED_FIELDS.get(row.field)
    return "[redacted]" if kind in kinds else row.after


def _gold(
    rows: Iterable[ProposedChangeRow], kinds: frozenset[str], alias: _Pseudonyms
) -> tuple[list[dict[str, Any]], list[str], int]:
    updates: list[dict[str, Any]] = []
    rejected: list[str] = []
    left_out = 0
    for row in rows:
        if row.field in UNSCORED:
            continue
        if decision_of(row) == "rejected":
            rejected.append(row.field)
            continue
        if REDACTED_FIELDS.get(row.field) in kinds:
            left_out += 1
            continue
        update: dict[str, Any] = {"field": row.field, "value": final_value(row)}
        if row.contact_email:
            update["contact"] = alias(row.contact_email)
        updates.append(update)
    updated = {u["field"] for u in updates}
    unchanged = list(dict.fromkeys(f for f in rejected if f not in updated))
    return updates, unchanged, left_out


def _redacted_segments(segments: Sequence[dict[str, Any]], kinds: frozenset[str]) -> list[Any]:
    """Segments in the dataset's form; a start that goes back in time is held at the previous one,
    as the dataset refuses time travel and a transcript source may have rounded."""
    out: list[dict[str, Any]] = []
    previous = 0.0
    for segment in segments:
        start = max(float(segment.get("start") or 0.0), previous)
        previous = start
        item: dict[str, Any] = {
            "speaker": redact(str(segment["speaker"]), kinds).text,
            "start": start,
            "text": redact(str(segment["text"]), kinds).text,
        }
        if segment.get("end") is not None:
            item["end"] = max(float(segment["end"]), start)
        out.append(item)
    return out


def _context(snapshot: dict[str, Any], kinds: frozenset[str], alias: _Pseudonyms) -> dict[str, Any]:
    deal = {k: v for k, v in snapshot.get("deal", {}).items() if k != "id" and v is not None}
    account = {k: v for k, v in snapshot.get("account", {}).items() if k != "id"}
    contacts = []
    for contact in snapshot.get("contacts", []):
        item = {k: v for k, v in contact.items() if k != "id" and v is not None}
        item["email"] = alias(str(contact["email"]))
        if "phones" in kinds:
            item.pop("phone", None)
        contacts.append(item)
    return {
        "deal": deal,
        "account": account,
        "contacts": contacts,
        "stages": list(snapshot.get("stages", [])),
    }
