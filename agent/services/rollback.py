"""Reverting applied changes: one change, or every applied change of a proposal, in one click.

A revert is itself a change. Asking for one stores it (`pending`) with the audit entry of the
write it undoes: the value Engage wrote and the value before. Running it takes the record's lock,
re-reads the CRM, and then either writes the previous values back in one version-guarded call,
or, when the CRM no longer holds what Engage wrote (a person changed it since), leaves the
record alone and marks the revert a conflict for the rep, with the value found. Each reverted
field gets its own audit entry whose evidence names the entry it reverts (`reverts`: its seq),
so the hash chain and every earlier entry stay as they were.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.db import audit_log
from agent.db.engine import Database
from agent.db.tables import AuditEntry, ChangeRevert, Meeting, Proposal, ProposedChangeRow
from agent.domain.audit import is_tombstone
from agent.domain.models import FieldValueT
from agent.domain.ports import Clock, CrmPort
from agent.errors import CrmError, Forbidden, InvalidDecision, NotFound
from agent.ids import new_id
from agent.services.apply import RecordLocks
from agent.services.guarded_write import GuardedChange, GuardedOutcome, write_guarded
from agent.services.users import Actor

OPEN = ("pending", "conflict", "failed")
"""Revert states a new request supersedes; `applied` is final."""


@dataclass(kw_only=True)
class RevertReport:
    applied: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _proposal_for(session: Session, proposal_id: str, actor: Actor) -> Proposal:
    """The proposal, if the actor is its meeting's rep or an admin."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(f"no proposal {proposal_id}")
    meeting = session.get(Meeting, proposal.meeting_id)
    if meeting is None or (meeting.rep_id != actor.id and not actor.is_admin):
        raise Forbidden("only the meeting's rep or an admin reverts its changes")
    return proposal


def _last_entry(session: Session, change_id: str) -> AuditEntry | None:
    return session.scalar(select(AuditEntry).where(AuditEntry.change_id == change_id))


def request_revert(
    session: Session,
    *,
    proposal_id: str,
    actor: Actor,
    change_ids: Sequence[str],
    now: datetime,
) -> list[str]:
    """Store a pending revert for each named change (none named: every applied change).

    Raises:
        InvalidDecision: a named change is not the proposal's, or not applied by Engage.
    """
    _proposal_for(session, proposal_id, actor)
    rows = list(
        session.scalars(
            select(ProposedChangeRow)
            .where(ProposedChangeRow.proposal_id == proposal_id)
            .order_by(ProposedChangeRow.position)
        )
    )
    by_id = {r.id: r for r in rows}
    if unknown := [i for i in change_ids if i not in by_id]:
        raise InvalidDecision(f"proposal {proposal_id} has no change {', '.join(unknown)}")
    targets = (
        [by_id[i] for i in change_ids] if change_ids else [r for r in rows if r.status == "applied"]
    )
    if not targets:
        raise InvalidDecision(f"proposal {proposal_id} has no applied change to revert")
    return [_queue(session, row, actor=actor, now=now) for row in targets]


def _queue(session: Session, row: ProposedChangeRow, *, actor: Actor, now: datetime) -> str:
    """One pending revert of an applied change, superseding any earlier unfinished one."""
    entry = _last_entry(session, row.id)
    if row.status != "applied" or entry is None:
        raise InvalidDecision(f"change {row.id} is {row.status}; only an applied one reverts")
    if is_tombstone(entry.before) or is_tombstone(entry.after):
        raise InvalidDecision(f"change {row.id}: its audited values were erased")
    unfinished = select(ChangeRevert).where(
        ChangeRevert.change_id == row.id, ChangeRevert.status.in_(OPEN)
    )
    for earlier in session.scalars(unfinished):
        earlier.status = "superseded"
    revert = ChangeRevert(
        id=new_id("rvt"),
        change_id=row.id,
        proposal_id=row.proposal_id,
        audit_seq=entry.seq,
        written=entry.after,
        restore=entry.before,
        status="pending",
        requested_by=actor.email,
        requested_at=now,
        applied_at=None,
        conflict_value=None,
        error=None,
    )
    session.add(revert)
    return revert.id


@dataclass(frozen=True, kw_only=True)
class _Pending:
    revert_id: str
    field: str
    object_type: str
    object_id: str
    written: FieldValueT
    restore: FieldValueT


def run_reverts(
    *, db: Database, crm: CrmPort, proposal_id: str, clock: Clock, locks: RecordLocks
) -> RevertReport:
    """Carry out the proposal's pending reverts, one record at a time under its lock."""
    report = RevertReport()
    with db.session() as session:
        pending = _pending(session, proposal_id)
    groups: dict[tuple[str, str], list[_Pending]] = defaultdict(list)
    for item in pending:
        groups[(item.object_type, item.object_id)].append(item)
    for (object_type, object_id), group in groups.items():
        with locks.lock(crm.system, object_type, object_id):
            try:
                outcomes = _record_outcomes(crm, group)
            except CrmError as exc:
                outcomes = [
                    GuardedOutcome(key=p.revert_id, status="failed", error=str(exc)) for p in group
                ]
            with db.session() as session:
                _record(session, crm=crm, outcomes=outcomes, now=clock.now(), report=report)
    with db.session() as session:
        _settle(session, proposal_id, clock.now())
    return report


def _pending(session: Session, proposal_id: str) -> list[_Pending]:
    found = session.execute(
        select(ChangeRevert, ProposedChangeRow)
        .join(ProposedChangeRow, ProposedChangeRow.id == ChangeRevert.change_id)
        .where(ChangeRevert.proposal_id == proposal_id, ChangeRevert.status == "pending")
        .order_by(ProposedChangeRow.position)
    )
    return [
        _Pending(
            revert_id=revert.id,
            field=row.field,
            object_type=row.object_type,
            object_id=row.object_id,
            written=revert.written,
            restore=revert.restore,
        )
        for revert, row in found
    ]


def _record_outcomes(crm: CrmPort, group: list[_Pending]) -> list[GuardedOutcome]:
    """A revert expects the value Engage wrote and restores the value before it."""
    first = group[0]
    changes = [
        GuardedChange(key=p.revert_id, field=p.field, expected=p.written, target=p.restore)
        for p in group
    ]
    return write_guarded(
        crm, object_type=first.object_type, object_id=first.object_id, changes=changes
    )


def _record(
    session: Session,
    *,
    crm: CrmPort,
    outcomes: list[GuardedOutcome],
    now: datetime,
    report: RevertReport,
) -> None:
    for outcome in outcomes:
        revert = session.get(ChangeRevert, outcome.key)
        assert revert is not None
        if revert.status != "pending":
            continue  # superseded by a newer request meanwhile: that one records (and audits) it
        revert.status = outcome.status
        revert.error = outcome.error
        revert.conflict_value = outcome.current if outcome.status == "conflict" else None
        if outcome.status == "conflict":
            report.conflicts.append(revert.id)
            continue
        if outcome.status == "failed":
            report.failed.append(revert.id)
            continue
        revert.applied_at = now
        change = session.get(ProposedChangeRow, revert.change_id)
        assert change is not None
        change.status = "reverted"
        report.applied.append(revert.id)
        if not audit_log.has_entry_for(session, revert.id):
            audit_log.append(session, _audit_content(session, crm, revert, change, now))


def _audit_content(
    session: Session, crm: CrmPort, revert: ChangeRevert, change: ProposedChangeRow, now: datetime
) -> dict[str, Any]:
    proposal = session.get(Proposal, revert.proposal_id)
    assert proposal is not None
    return {
        "target": crm.system,
        "object_type": change.object_type,
        "object_id": change.object_id,
        "field": change.field,
        "before": revert.written,
        "after": revert.restore,
        "approved_by": revert.requested_by,
        "written_by": crm.service_account,
        "written_at": now.isoformat(),
        "meeting_id": proposal.meeting_id,
        "proposal_id": proposal.id,
        "change_id": revert.id,
        "model": proposal.model,
        "prompt_version": proposal.prompt_version,
        "evidence": {
            "reverts": revert.audit_seq,
            "reverted_change_id": change.id,
            "reason": f"revert asked for by {revert.requested_by}",
        },
    }


def _settle(session: Session, proposal_id: str, now: datetime) -> None:
    """A proposal whose every written change was reverted is `reverted` as a whole."""
    proposal = session.get(Proposal, proposal_id)
    assert proposal is not None
    statuses = {
        r.status
        for r in session.scalars(
            select(ProposedChangeRow).where(ProposedChangeRow.proposal_id == proposal_id)
        )
    }
    if "reverted" in statuses and statuses <= {"reverted", "rejected"}:
        proposal.status = "reverted"
        proposal.updated_at = now


def revert_views(session: Session, proposal_id: str) -> dict[str, dict[str, Any]]:
    """The latest revert of each change of the proposal, by change id, as JSON."""
    views: dict[str, dict[str, Any]] = {}
    for revert in session.scalars(
        select(ChangeRevert).where(
            ChangeRevert.proposal_id == proposal_id, ChangeRevert.status != "superseded"
        )
    ):
        views[revert.change_id] = {
            "id": revert.id,
            "status": revert.status,
            "requested_by": revert.requested_by,
            "requested_at": revert.requested_at,
            "applied_at": revert.applied_at,
            "restore": revert.restore,
            "conflict_value": revert.conflict_value,
            "error": revert.error,
            "reverts_audit_seq": revert.audit_seq,
        }
    return views
