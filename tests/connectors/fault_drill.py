"""The fault drill every connector runs: approved changes of many proposals applied through the
real apply path while the fake fails a share of requests, then every change accounted for.

A change is either applied (its value is in the CRM and was written exactly once) or reported:
failed with a reason on the change, or left on a dead job that carries the reason. Nothing is
lost and nothing is written twice; notes and tasks are never duplicated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from agent.db.tables import Job, Meeting, Proposal, ProposedChangeRow
from agent.domain.models import FieldValueT
from agent.domain.ports import CrmPort
from agent.ids import new_id
from agent.runtime import Runtime, build_runtime
from agent.services.users import add_user
from agent.settings import Settings
from connectors.common.retry import RetryPolicy
from tests.support import FrozenClock

DRILL_RETRY = RetryPolicy(attempts=6, sleep=lambda _s: None)
"""Retries enough to ride out the drill's failure rate, without sleeping."""


def drill_runtime(crm: CrmPort, tmp_path: Path) -> Runtime:
    """A SQLite runtime on the rules engine whose CRM is the connector under the drill."""
    settings = Settings(
        ENGAGE_HOME=tmp_path / "home",
        DATABASE_URL=f"sqlite:///{tmp_path / 'engage.sqlite3'}",
        ENGAGE_ENGINE="rules",
    )
    return build_runtime(settings, clock=FrozenClock(), crm=crm)


@dataclass(frozen=True)
class Target:
    deal_id: str
    contact_id: str
    amount: float
    title: str | None


@dataclass
class DrillReport:
    applied: int = 0
    failed: list[str] = field(default_factory=list)
    dead_jobs: list[str] = field(default_factory=list)
    total: int = 0


def _change(
    proposal_id: str,
    position: int,
    field_name: str,
    object_id: str,
    before: FieldValueT,
    after: FieldValueT,
) -> ProposedChangeRow:
    return ProposedChangeRow(
        id=new_id("chg"),
        proposal_id=proposal_id,
        position=position,
        field=field_name,
        object_type=field_name.split(".", 1)[0],
        object_id=object_id,
        contact_email=None,
        before=before,
        after=after,
        final_value=None,
        evidence={"quote": "drill", "segment_indices": [0]},
        confidence=0.9,
        critical=field_name == "deal.amount",
        status="approved",
        decided_by="rep@drill.test",
    )


def seed_approved(runtime: Runtime, targets: list[Target]) -> list[str]:
    """One reviewed proposal per target: amount, next step and contact title approved."""
    now = runtime.clock.now()
    ids = []
    with runtime.db.session() as session:
        rep, _ = add_user(session, email="rep@drill.test", role="rep", name="Rep", now=now)
        for n, target in enumerate(targets):
            meeting = Meeting(
                id=new_id("mtg"),
                title=f"Drill {n}",
                rep_id=rep.id,
                crm_system=runtime.crm.system,
                deal_id=target.deal_id,
                status="reviewed",
                start_at=now - timedelta(hours=1),
                end_at=now,
                attendees=[],
                source="manual",
                external_id=None,
                failure_reason=None,
                created_at=now,
                updated_at=now,
            )
            proposal = Proposal(
                id=new_id("prp"),
                meeting_id=meeting.id,
                status="reviewed",
                engine="rules",
                model="rules",
                prompt_version="v1",
                summary=f"Drill call {n}.",
                next_steps=[
                    {"owner": "rep", "action": f"Send drill pack {n}", "due": "2026-12-01"}
                ],
                dropped=[],
                note_id=None,
                created_at=now,
                updated_at=now,
            )
            session.add_all([meeting, proposal])
            session.add_all(
                [
                    _change(
                        proposal.id,
                        0,
                        "deal.amount",
                        target.deal_id,
                        target.amount,
                        target.amount + 500,
                    ),
                    _change(
                        proposal.id, 1, "deal.next_step", target.deal_id, None, f"Drill step {n}"
                    ),
                    _change(
                        proposal.id,
                        2,
                        "contact.title",
                        target.contact_id,
                        target.title,
                        f"Director {n}",
                    ),
                ]
            )
            ids.append(proposal.id)
    return ids


def run_drill(
    runtime: Runtime,
    proposal_ids: list[str],
    *,
    value_of: Callable[[str, str], FieldValueT],
    writes_of: Callable[[], Counter[tuple[str, str]]],
    notes_of: Callable[[], Counter[str]],
    max_attempts: int = 10,
) -> DrillReport:
    """Apply every proposal through the job queue (no sleeping), then account for each change.

    `value_of(object_id, field)` reads the fake's store; `writes_of()` counts writes per
    (record id, canonical field); `notes_of()` counts notes per deal.
    """
    jobs = runtime.job_queue(max_attempts=max_attempts, sleep=lambda _s: None)
    for proposal_id in proposal_ids:
        jobs.run(jobs.enqueue("apply_proposal", {"proposal_id": proposal_id}))
    report = DrillReport()
    writes = writes_of()
    with runtime.db.session() as session:
        dead = {
            str(j.payload["proposal_id"]): j.last_error or ""
            for j in session.scalars(select(Job).where(Job.status == "dead"))
        }
        changes = list(
            session.scalars(
                select(ProposedChangeRow).where(ProposedChangeRow.proposal_id.in_(proposal_ids))
            )
        )
        deals = {
            p.id: m.deal_id
            for p, m in session.execute(
                select(Proposal, Meeting).join(Meeting, Proposal.meeting_id == Meeting.id)
            )
        }
    report.total = len(changes)
    for change in changes:
        written = writes[(change.object_id, change.field)]
        assert written <= 1, f"{change.field} of {change.object_id} written {written} times"
        if change.status == "applied":
            assert value_of(change.object_id, change.field) == change.after, change.field
            assert written == 1, f"applied {change.field} of {change.object_id} never written"
            report.applied += 1
        elif change.status == "failed":
            assert change.error, f"change {change.id} failed without a reason"
            report.failed.append(change.error)
        else:
            assert change.status == "approved", f"change {change.id} is {change.status}"
            assert dead.get(change.proposal_id), f"change {change.id} was lost: no dead job"
            report.dead_jobs.append(dead[change.proposal_id])
    notes = notes_of()
    for proposal_id in proposal_ids:
        assert notes[deals[proposal_id]] <= 1, f"deal {deals[proposal_id]} got a second note"
    return report
