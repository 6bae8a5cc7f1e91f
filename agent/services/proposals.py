"""Turning a meeting's transcript into a stored proposal, and reading proposals back.

A proposal's state: pending → reviewed → applied (or partially applied when some changes ended
in conflict or failure). A change's state: pending → approved | edited | rejected → applied |
conflict | failed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from dataclasses import field as default
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.db.tables import Meeting, Proposal, ProposedChangeRow
from agent.domain.fields import FieldPolicy
from agent.domain.identity import email_domain
from agent.domain.models import Evidence, NextStep
from agent.domain.ports import CrmReader, ExtractionEngine
from agent.errors import Forbidden, InputError, NotFound
from agent.ids import new_id
from agent.observability import metrics
from agent.observability.logging import bind_meeting
from agent.services import meetings as meeting_service
from agent.services.consistency import check_history
from agent.services.extract import ExtractionOptions, ExtractionResult, run_extraction
from agent.services.rollback import revert_views
from agent.services.screening import basis_json, flags_json, mentioned_json
from agent.services.snapshots import keep_context
from agent.services.users import Actor


@dataclass(frozen=True, kw_only=True)
class ChangeView:
    id: str
    field: str
    object_type: str
    object_id: str
    contact_email: str | None
    before: Any
    after: Any
    final_value: Any
    evidence: dict[str, Any]
    confidence: float
    critical: bool
    status: str
    decided_by: str | None
    conflict_value: Any
    error: str | None
    flags: list[dict[str, Any]] = default(default_factory=list)
    """Reasons for a careful look: stage skips, big moves, a person's edit, an earlier call."""
    confidence_basis: dict[str, Any] | None = None
    revert: dict[str, Any] | None = None
    """The latest revert of this change, once one was asked for."""


@dataclass(frozen=True, kw_only=True)
class ProposalView:
    id: str
    meeting_id: str
    meeting_title: str
    rep_email: str
    deal_id: str
    status: str
    engine: str
    model: str
    prompt_version: str
    summary: str
    next_steps: list[dict[str, Any]]
    dropped: list[dict[str, Any]]
    dropped_count: int
    created_at: datetime
    changes: list[ChangeView]
    shadow: bool = False
    """Made in shadow mode: the apply path writes nothing of it to the CRM."""
    mentioned: list[dict[str, Any]] = default(default_factory=list)
    """What the call mentioned that Engage did not propose, with the reason."""


def evidence_json(evidence: Evidence) -> dict[str, Any]:
    return {
        "quote": evidence.quote,
        "segment_indices": list(evidence.segment_indices),
        "speaker": evidence.speaker,
        "start": evidence.start,
    }


def _step_json(step: NextStep) -> dict[str, Any]:
    return {
        "owner": step.owner,
        "action": step.action,
        "due": step.due,
        "evidence": evidence_json(step.evidence) if step.evidence else None,
    }


def store_proposal(
    session: Session, *, meeting_id: str, result: ExtractionResult, now: datetime
) -> str:
    output, validated = result.output, result.validated
    proposal = Proposal(
        id=new_id("prp"),
        meeting_id=meeting_id,
        status="pending",
        engine=output.engine,
        model=output.model,
        prompt_version=output.prompt_version,
        summary=validated.summary,
        next_steps=[_step_json(s) for s in validated.next_steps],
        dropped=[asdict(d) for d in validated.dropped],
        mentioned=[mentioned_json(m) for m in validated.mentioned],
        tokens_prompt=output.usage.prompt,
        tokens_completion=output.usage.completion,
        latency_s=output.latency_s,
        note_id=None,
        created_at=now,
        updated_at=now,
    )
    session.add(proposal)
    for position, change in enumerate(validated.changes):
        session.add(
            ProposedChangeRow(
                id=new_id("chg"),
                proposal_id=proposal.id,
                position=position,
                field=change.field,
                object_type=change.object_type.value,
                object_id=change.object_id,
                contact_email=change.contact_email,
                before=change.before,
                after=change.after,
                final_value=None,
                evidence=evidence_json(change.evidence),
                confidence=change.confidence,
                critical=change.critical,
                status="pending",
                decided_by=None,
                decided_at=None,
                applied_at=None,
                conflict_value=None,
                error=None,
                flags=flags_json(change.flags),
                confidence_basis=basis_json(change.basis),
            )
        )
    meeting_service.set_status(session, meeting_id, "proposed", now=now)
    session.flush()
    meeting = session.get(Meeting, meeting_id)
    metrics.proposal_created(
        engine=output.engine,
        model=output.model,
        prompt_tokens=output.usage.prompt,
        completion_tokens=output.usage.completion,
        latency_s=output.latency_s,
        meeting_end=meeting.end_at if meeting is not None else None,
        now=now,
    )
    return proposal.id


def extract_for_meeting(
    session: Session,
    *,
    meeting_id: str,
    crm: CrmReader,
    engine: ExtractionEngine,
    policy: FieldPolicy,
    prompt_version: str,
    now: datetime,
    options: ExtractionOptions | None = None,
) -> str:
    """Run the engine on the meeting's latest transcript with the deal's CRM context.

    The meeting's attendees and its rep join `options`, so speakers can be told apart.
    """
    bind_meeting(meeting_id)
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(f"no meeting {meeting_id}")
    transcript = meeting_service.latest_transcript(session, meeting_id)
    if transcript is None:
        raise InputError(f"meeting {meeting_id} has no transcript")
    context = crm.read_context(meeting.deal_id)
    meeting_date: date = (meeting.end_at or meeting.start_at).date()
    given = options or ExtractionOptions()
    rep_email = meeting_service.get_meeting_rep_email(session, meeting)
    people = (rep_email, *(meeting.attendees or ()))
    attendees = tuple(dict.fromkeys(a for a in (*given.attendees, *people) if a))
    internal = given.internal_domains | _own_domain(rep_email)
    result = run_extraction(
        engine=engine,
        transcript=transcript,
        context=context,
        meeting_date=meeting_date,
        policy=policy,
        prompt_version=prompt_version,
        options=replace(given, attendees=attendees, internal_domains=internal),
    )
    checked = check_history(
        session,
        crm=crm,
        meeting=meeting,
        validated=result.validated,
        policy=policy,
        meeting_date=meeting_date,
    )
    result = replace(result, validated=checked)
    proposal_id = store_proposal(session, meeting_id=meeting_id, result=result, now=now)
    keep_context(session, proposal_id=proposal_id, context=context)
    return proposal_id


def _own_domain(rep_email: str) -> frozenset[str]:
    """The meeting's rep is on the team, whatever ENGAGE_TEAM_DOMAINS says."""
    try:
        return frozenset({email_domain(rep_email)})
    except ValueError:
        return frozenset()


def _change_view(row: ProposedChangeRow, revert: dict[str, Any] | None = None) -> ChangeView:
    return ChangeView(
        id=row.id,
        field=row.field,
        object_type=row.object_type,
        object_id=row.object_id,
        contact_email=row.contact_email,
        before=row.before,
        after=row.after,
        final_value=row.final_value,
        evidence=row.evidence,
        confidence=row.confidence,
        critical=row.critical,
        status=row.status,
        decided_by=row.decided_by,
        conflict_value=row.conflict_value,
        error=row.error,
        flags=list(row.flags or []),
        confidence_basis=row.confidence_basis,
        revert=revert,
    )


def load_proposal(session: Session, proposal_id: str, actor: Actor | None) -> Proposal:
    """The proposal if the actor may see it (its meeting's rep or an admin; None = local CLI)."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(f"no proposal {proposal_id}")
    if actor is not None:
        try:
            meeting_service.load_meeting(session, proposal.meeting_id, actor)
        except Forbidden:
            raise Forbidden(f"proposal {proposal_id} belongs to another rep's meeting") from None
    return proposal


def changes_of(session: Session, proposal_id: str) -> list[ProposedChangeRow]:
    return list(
        session.scalars(
            select(ProposedChangeRow)
            .where(ProposedChangeRow.proposal_id == proposal_id)
            .order_by(ProposedChangeRow.position)
        )
    )


def view_proposal(session: Session, proposal: Proposal) -> ProposalView:
    meeting = session.get(Meeting, proposal.meeting_id)
    assert meeting is not None  # a foreign key guarantees it
    rep = meeting_service.get_meeting_rep_email(session, meeting)
    reverts = revert_views(session, proposal.id)
    return ProposalView(
        id=proposal.id,
        meeting_id=proposal.meeting_id,
        meeting_title=meeting.title,
        rep_email=rep,
        deal_id=meeting.deal_id,
        status=proposal.status,
        engine=proposal.engine,
        model=proposal.model,
        prompt_version=proposal.prompt_version,
        summary=proposal.summary,
        next_steps=list(proposal.next_steps),
        dropped=list(proposal.dropped),
        dropped_count=len(proposal.dropped),
        created_at=proposal.created_at,
        changes=[_change_view(c, reverts.get(c.id)) for c in changes_of(session, proposal.id)],
        mentioned=list(proposal.mentioned or []),
        shadow=proposal.shadow,
    )


def get_proposal(session: Session, proposal_id: str, actor: Actor | None) -> ProposalView:
    return view_proposal(session, load_proposal(session, proposal_id, actor))


def list_proposals(
    session: Session,
    *,
    actor: Actor | None,
    status: str | None = None,
    rep_email: str | None = None,
) -> list[ProposalView]:
    query = select(Proposal).join(Meeting, Meeting.id == Proposal.meeting_id)
    if actor is not None and not actor.is_admin:
        query = query.where(Meeting.rep_id == actor.id)
    if status:
        query = query.where(Proposal.status == status)
    views = [
        view_proposal(session, p)
        for p in session.scalars(query.order_by(Proposal.created_at.desc()))
    ]
    if rep_email:
        views = [v for v in views if v.rep_email == rep_email.strip().lower()]
    return views
