"""Writing approved changes to the CRM, exactly once, never over a newer value.

For each record: take the record's lock, re-read the current values, turn every change whose
value moved since the proposal into a conflict, write the rest in one call guarded by the
record's version, and audit each written field. A change whose target value is already in the
CRM (a crash after the write, a re-run) is marked applied without a second write.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.db import audit_log
from agent.db.engine import Database
from agent.db.tables import Meeting, Proposal, ProposedChangeRow
from agent.domain.fields import DEFAULT_POLICY, FieldPolicy
from agent.domain.models import FieldValueT
from agent.domain.ports import Clock, CrmPort
from agent.errors import CrmError
from agent.observability import metrics
from agent.observability.logging import bind_meeting
from agent.services import shadow
from agent.services.guarded_write import GuardedChange, GuardedOutcome, write_guarded


class RecordLocks:
    """Serializes writes to one CRM record within this process."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[tuple[str, str, str], threading.Lock] = {}

    def lock(self, system: str, object_type: str, object_id: str) -> AbstractContextManager[object]:
        with self._guard:
            return self._locks.setdefault((system, object_type, object_id), threading.Lock())


@dataclass(kw_only=True)
class ApplyReport:
    applied: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    note_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class _Pending:
    change_id: str
    field: str
    object_type: str
    object_id: str
    before: FieldValueT
    target: FieldValueT


def _target(row: ProposedChangeRow) -> FieldValueT:
    value: FieldValueT = row.final_value if row.status == "edited" else row.after
    return value


def _record_outcomes(crm: CrmPort, group: list[_Pending]) -> list[GuardedOutcome]:
    """The approved changes of one record: expected to still hold `before`, to become `target`."""
    first = group[0]
    changes = [
        GuardedChange(key=p.change_id, field=p.field, expected=p.before, target=p.target)
        for p in group
    ]
    return write_guarded(
        crm, object_type=first.object_type, object_id=first.object_id, changes=changes
    )


def _pending_changes(session: Session, proposal_id: str) -> list[_Pending]:
    rows = session.scalars(
        select(ProposedChangeRow)
        .where(
            ProposedChangeRow.proposal_id == proposal_id,
            ProposedChangeRow.status.in_(("approved", "edited")),
        )
        .order_by(ProposedChangeRow.position)
    )
    return [
        _Pending(
            change_id=r.id,
            field=r.field,
            object_type=r.object_type,
            object_id=r.object_id,
            before=r.before,
            target=_target(r),
        )
        for r in rows
    ]


def apply_proposal(
    *,
    db: Database,
    crm: CrmPort,
    proposal_id: str,
    clock: Clock,
    locks: RecordLocks,
    policy: FieldPolicy = DEFAULT_POLICY,
) -> ApplyReport:
    """`policy` is checked again here: a field RevOps made read-only since the proposal is not
    written, whatever the rep approved."""
    report = ApplyReport()
    with db.session() as session:
        found = session.get(Proposal, proposal_id)
        bind_meeting(found.meeting_id if found is not None else None)
        if shadow.hold(session, proposal_id=proposal_id, crm_system=crm.system):
            return report
        pending = _pending_changes(session, proposal_id)
    groups: dict[tuple[str, str], list[_Pending]] = defaultdict(list)
    refused: list[GuardedOutcome] = []
    for item in pending:
        if policy.is_writable(item.field):
            groups[(item.object_type, item.object_id)].append(item)
        else:
            reason = f"{item.field} is not writable under the field policy ({policy.source})"
            refused.append(GuardedOutcome(key=item.change_id, status="failed", error=reason))
    if refused:
        with db.session() as session:
            _record(
                session,
                crm=crm,
                proposal_id=proposal_id,
                outcomes=refused,
                now=clock.now(),
                report=report,
            )
    for (object_type, object_id), group in groups.items():
        with locks.lock(crm.system, object_type, object_id):
            try:
                outcomes = _record_outcomes(crm, group)
            except CrmError as exc:
                outcomes = [
                    GuardedOutcome(key=p.change_id, status="failed", error=str(exc)) for p in group
                ]
            with db.session() as session:
                _record(
                    session,
                    crm=crm,
                    proposal_id=proposal_id,
                    outcomes=outcomes,
                    now=clock.now(),
                    report=report,
                )
    with db.session() as session:
        report.note_id = _summary_to_crm(session, crm=crm, proposal_id=proposal_id)
        _finish(session, proposal_id=proposal_id, now=clock.now())
    return report


def _record(
    session: Session,
    *,
    crm: CrmPort,
    proposal_id: str,
    outcomes: list[GuardedOutcome],
    now: datetime,
    report: ApplyReport,
) -> None:
    proposal = session.get(Proposal, proposal_id)
    assert proposal is not None
    for outcome in outcomes:
        row = session.get(ProposedChangeRow, outcome.key)
        assert row is not None
        written = _target(row)
        row.status = outcome.status
        row.error = outcome.error
        if outcome.status == "conflict":
            row.conflict_value = outcome.current
            report.conflicts.append(row.id)
            metrics.change_decided("conflicted")
            continue
        if outcome.status == "failed":
            report.failed.append(row.id)
            metrics.crm_change(crm.system, row.field, "failed")
            continue
        if outcome.wrote:
            metrics.crm_change(crm.system, row.field, "applied")
            metrics.approval_to_write(crm.system, row.decided_at, now)
        row.applied_at = now
        report.applied.append(row.id)
        if not audit_log.has_entry_for(session, row.id):
            audit_log.append(session, _audit_content(crm, proposal, row, written, now))


def _audit_content(
    crm: CrmPort, proposal: Proposal, row: ProposedChangeRow, written: FieldValueT, now: datetime
) -> dict[str, Any]:
    return {
        "target": crm.system,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "field": row.field,
        "before": row.before,
        "after": written,
        "approved_by": row.decided_by or "",
        "written_by": crm.service_account,
        "written_at": now.isoformat(),
        "meeting_id": proposal.meeting_id,
        "proposal_id": proposal.id,
        "change_id": row.id,
        "model": proposal.model,
        "prompt_version": proposal.prompt_version,
        "evidence": row.evidence,
    }


def _summary_to_crm(session: Session, *, crm: CrmPort, proposal_id: str) -> str | None:
    """The structured summary as a note and one task per next step, once the rep has decided.

    Never the transcript. Idempotency keys make a second run return the same note and tasks.
    """
    proposal = session.get(Proposal, proposal_id)
    assert proposal is not None
    if proposal.status not in ("reviewed", "applied", "partially_applied"):
        return proposal.note_id
    meeting = session.get(Meeting, proposal.meeting_id)
    assert meeting is not None
    proposal.note_id = crm.add_note(
        deal_id=meeting.deal_id,
        body=note_body(proposal),
        idempotency_key=f"engage:{proposal.id}:note",
    )
    for number, step in enumerate(proposal.next_steps):
        due = date.fromisoformat(step["due"]) if step.get("due") else None
        crm.add_task(
            deal_id=meeting.deal_id,
            subject=str(step["action"]),
            due=due,
            owner=str(step["owner"]),
            idempotency_key=f"engage:{proposal.id}:task:{number}",
        )
    return proposal.note_id


def note_body(proposal: Proposal) -> str:
    lines = [
        f"Call summary (Engage, {proposal.engine} engine, prompt {proposal.prompt_version})",
        "",
        proposal.summary.strip(),
    ]
    if proposal.next_steps:
        lines += ["", "Next steps:"]
        for step in proposal.next_steps:
            due = f" (due {step['due']})" if step.get("due") else ""
            lines.append(f"- {step['owner']}: {step['action']}{due}")
    return "\n".join(lines)


def _finish(session: Session, *, proposal_id: str, now: datetime) -> None:
    proposal = session.get(Proposal, proposal_id)
    assert proposal is not None
    statuses = {
        r.status
        for r in session.scalars(
            select(ProposedChangeRow).where(ProposedChangeRow.proposal_id == proposal_id)
        )
    }
    if proposal.status not in ("reviewed", "applied", "partially_applied"):
        return
    if statuses & {"conflict", "failed"}:
        proposal.status = "partially_applied"
    elif "applied" in statuses or statuses <= {"rejected"}:
        proposal.status = "applied"
    proposal.updated_at = now
    from agent.services import meetings as meeting_service

    meeting_service.set_status(session, proposal.meeting_id, "applied", now=now)
