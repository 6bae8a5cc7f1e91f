"""The rep's decisions: approve, edit or reject each proposed change.

Only the meeting's own rep decides; nothing in a transcript or a model's output can. Critical
fields are approved only when named, or by an explicit "all" (`--all`, `{"all": true}`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from agent.db.tables import Meeting, Proposal, ProposedChangeRow
from agent.domain.fields import FieldPolicy
from agent.domain.models import FieldValueT
from agent.domain.normalize import normalize_value
from agent.errors import Forbidden, InvalidDecision
from agent.observability import metrics
from agent.observability.logging import bind_meeting
from agent.services import meetings as meeting_service
from agent.services.proposals import changes_of, load_proposal
from agent.services.users import Actor


@dataclass(frozen=True, kw_only=True)
class Decision:
    change_id: str
    value: FieldValueT = None
    edited: bool = False


def _owned(session: Session, proposal_id: str, actor: Actor) -> Proposal:
    proposal = load_proposal(session, proposal_id, actor)
    bind_meeting(proposal.meeting_id)
    meeting = session.get(Meeting, proposal.meeting_id)
    if meeting is None or meeting.rep_id != actor.id:
        raise Forbidden("only the meeting's rep decides on its proposal")
    return proposal


def _pick(
    rows: list[ProposedChangeRow], ids: Sequence[str], proposal_id: str
) -> list[ProposedChangeRow]:
    by_id = {r.id: r for r in rows}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        raise InvalidDecision(f"proposal {proposal_id} has no change {', '.join(unknown)}")
    return [by_id[i] for i in ids]


def _settle(
    session: Session, proposal: Proposal, rows: list[ProposedChangeRow], now: datetime
) -> None:
    if any(r.status == "pending" for r in rows):
        return
    proposal.status = "rejected" if all(r.status == "rejected" for r in rows) else "reviewed"
    proposal.updated_at = now
    meeting_service.set_status(session, proposal.meeting_id, "reviewed", now=now)


def approve(
    session: Session,
    *,
    proposal_id: str,
    actor: Actor,
    approve_all: bool,
    decisions: Sequence[Decision],
    policy: FieldPolicy,
    stages: Sequence[str],
    meeting_date: date,
    now: datetime,
) -> list[str]:
    """Approve (or edit and approve) changes; returns the ids now waiting to be applied."""
    proposal = _owned(session, proposal_id, actor)
    rows = changes_of(session, proposal_id)
    if not approve_all and not decisions:
        raise InvalidDecision("name the changes to approve, or approve all explicitly")
    chosen = _pick(rows, [d.change_id for d in decisions], proposal_id)
    edits = {d.change_id: d for d in decisions}
    targets = [r for r in rows if r.status == "pending"] if approve_all else chosen
    for row in targets:
        if row.status not in ("pending", "approved", "edited"):
            raise InvalidDecision(f"change {row.id} is already {row.status}")
        decision = edits.get(row.id)
        if decision is not None and decision.edited:
            spec = policy.spec(row.field)
            if spec is None or not spec.writable:
                raise InvalidDecision(f"{row.field} is not writable")
            try:
                row.final_value = normalize_value(
                    spec, decision.value, meeting_date=meeting_date, stages=stages
                )
            except ValueError as exc:
                raise InvalidDecision(f"change {row.id}: {exc}") from None
            row.status = "edited"
        elif row.status == "pending":
            row.status = "approved"
        row.decided_by = actor.email
        row.decided_at = now
    for outcome in ("approved", "edited"):
        metrics.change_decided(outcome, sum(1 for r in targets if r.status == outcome))
    _settle(session, proposal, rows, now)
    return [r.id for r in rows if r.status in ("approved", "edited")]


def reject(
    session: Session, *, proposal_id: str, actor: Actor, change_ids: Sequence[str], now: datetime
) -> None:
    """Reject the named changes, or every pending change when none are named."""
    proposal = _owned(session, proposal_id, actor)
    rows = changes_of(session, proposal_id)
    targets = (
        _pick(rows, change_ids, proposal_id)
        if change_ids
        else [r for r in rows if r.status == "pending"]
    )
    for row in targets:
        if row.status in ("applied", "conflict", "failed", "reverted"):
            raise InvalidDecision(f"change {row.id} is already {row.status}")
        row.status = "rejected"
        row.decided_by = actor.email
        row.decided_at = now
    metrics.change_decided("rejected", len(targets))
    if not change_ids and all(r.status in ("pending", "rejected") for r in rows):
        proposal.status = "rejected"
        proposal.updated_at = now
        meeting_service.set_status(session, proposal.meeting_id, "reviewed", now=now)
        return
    _settle(session, proposal, rows, now)
