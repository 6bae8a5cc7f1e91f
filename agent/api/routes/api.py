"""The JSON API under /api/v1. Routes validate, authorize through services, and answer."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status

from agent.api.deps import CurrentUser, RuntimeDep
from agent.api.schemas import (
    Accepted,
    ApproveRequest,
    AuditVerifyRead,
    BriefRead,
    MeetingRead,
    ProposalRead,
    RejectRequest,
    RevertRequest,
    TranscriptCreate,
)
from agent.db import audit_log
from agent.domain.audit import verify_chain
from agent.errors import Forbidden, InputError
from agent.runtime import Workflow
from agent.services import access, consent, ingest
from agent.services import meetings as meeting_service
from agent.services import proposals as proposal_service
from agent.services.brief import ReadOnlyCrm, brief_for
from agent.services.review import Decision
from agent.services.users import find_user

router = APIRouter(prefix="/api/v1", tags=["api"])

MAX_TRANSCRIPT_BYTES = 5 * 1024 * 1024
FORMATS = {"text/vtt": "vtt", "application/json": "json", "text/plain": "plain"}
SEGMENT_FILE = {
    "type": "object",
    "required": ["speaker", "text"],
    "properties": {
        "speaker": {"type": "string", "minLength": 1},
        "text": {"type": "string"},
        "start": {"anyOf": [{"type": "number", "minimum": 0}, {"type": "string"}]},
        "end": {"anyOf": [{"type": "number", "minimum": 0}, {"type": "string"}]},
    },
}
"""One segment of an uploaded JSON transcript file (other keys a meeting tool adds are ignored)."""


@router.get("/meetings", response_model=list[MeetingRead])
def list_meetings(rt: RuntimeDep, user: CurrentUser) -> list[dict[str, Any]]:
    with rt.db.session() as session:
        return [asdict(m) for m in meeting_service.list_meetings(session, user)]


@router.get("/meetings/{meeting_id}", response_model=MeetingRead)
def get_meeting(meeting_id: str, rt: RuntimeDep, user: CurrentUser) -> dict[str, Any]:
    with rt.db.session() as session:
        return asdict(meeting_service.get_meeting(session, meeting_id, user))


@router.get("/meetings/{meeting_id}/brief", response_model=BriefRead)
def get_brief(meeting_id: str, rt: RuntimeDep, user: CurrentUser) -> dict[str, Any]:
    with rt.db.session() as session:
        meeting = meeting_service.get_meeting(session, meeting_id, user)
    brief = brief_for(ReadOnlyCrm(rt.crm), meeting)
    return asdict(brief)


async def _read_limited(request: Request) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_TRANSCRIPT_BYTES:
            raise InputError(f"transcript larger than {MAX_TRANSCRIPT_BYTES} bytes")
    return bytes(body)


@router.post(
    "/meetings/{meeting_id}/transcript",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/vtt": {"schema": {"type": "string"}},
                "text/plain": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "array", "items": SEGMENT_FILE}},
            },
        }
    },
)
async def post_transcript(
    meeting_id: str, request: Request, rt: RuntimeDep, user: CurrentUser
) -> Accepted:
    """Body: WebVTT (`text/vtt`), JSON segments (`application/json`) or `Name: text` lines."""
    raw = await _read_limited(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    fmt = FORMATS.get(content_type)
    with rt.db.session() as session:
        ingest.attach_transcript(
            session, meeting_id=meeting_id, actor=user, raw=raw, fmt=fmt, now=rt.clock.now()
        )
    job_id = rt.submit("process_meeting", {"meeting_id": meeting_id})
    return Accepted(meeting_id=meeting_id, status="transcribed", job_id=job_id)


@router.post("/transcripts", status_code=status.HTTP_202_ACCEPTED, response_model=Accepted)
def post_call(body: TranscriptCreate, rt: RuntimeDep, user: CurrentUser) -> Accepted:
    if isinstance(body.transcript, str):
        raw, fmt = body.transcript, None
    else:
        raw = json.dumps([s.model_dump(exclude_none=True) for s in body.transcript])
        fmt = "json"
    with rt.db.session() as session:
        rep = find_user(session, email=body.rep_email)
        if rep.id != user.id and not user.is_admin:
            raise Forbidden("a rep submits calls only for themselves")
        access.check_deal(rt.crm, deal_id=body.deal_id, actor=rep)
        meeting_id = ingest.create_call_from_transcript(
            session,
            crm=ReadOnlyCrm(rt.crm),
            deal_id=body.deal_id,
            rep=rep,
            raw=raw,
            fmt=fmt,
            meeting_date=body.date,
            now=rt.clock.now(),
        )
        if body.consent is not None:
            consent.declare_upload(
                session,
                meeting_id=meeting_id,
                by=user.email,
                status=body.consent,
                now=rt.clock.now(),
            )
    job_id = rt.submit("process_meeting", {"meeting_id": meeting_id})
    return Accepted(meeting_id=meeting_id, status="transcribed", job_id=job_id)


@router.get("/proposals", response_model=list[ProposalRead])
def list_proposals(
    rt: RuntimeDep,
    user: CurrentUser,
    status_filter: Annotated[str | None, Query(alias="status")] = None,
) -> list[dict[str, Any]]:
    with rt.db.session() as session:
        views = proposal_service.list_proposals(session, actor=user, status=status_filter)
        return [asdict(v) for v in views]


@router.get("/proposals/{proposal_id}", response_model=ProposalRead)
def get_proposal(proposal_id: str, rt: RuntimeDep, user: CurrentUser) -> dict[str, Any]:
    with rt.db.session() as session:
        return asdict(proposal_service.get_proposal(session, proposal_id, user))


@router.post("/proposals/{proposal_id}/approve", response_model=ProposalRead)
def approve(
    proposal_id: str, body: ApproveRequest, rt: RuntimeDep, user: CurrentUser
) -> dict[str, Any]:
    """`{"all": true}` approves every pending change, critical ones included, by explicit choice."""
    decisions = [
        Decision(change_id=c.id, value=c.value, edited="value" in c.model_fields_set)
        for c in body.changes
    ]
    Workflow(rt).approve(
        proposal_id=proposal_id, actor=user, approve_all=body.all, decisions=decisions
    )
    with rt.db.session() as session:
        return asdict(proposal_service.get_proposal(session, proposal_id, user))


@router.post("/proposals/{proposal_id}/reject", response_model=ProposalRead)
def reject(
    proposal_id: str, body: RejectRequest, rt: RuntimeDep, user: CurrentUser
) -> dict[str, Any]:
    """Reject the listed changes; an empty list rejects the whole proposal."""
    Workflow(rt).reject(
        proposal_id=proposal_id, actor=user, change_ids=[c.id for c in body.changes]
    )
    with rt.db.session() as session:
        return asdict(proposal_service.get_proposal(session, proposal_id, user))


@router.post("/proposals/{proposal_id}/revert", response_model=ProposalRead)
def revert(
    proposal_id: str, body: RevertRequest, rt: RuntimeDep, user: CurrentUser
) -> dict[str, Any]:
    """Put back what the listed applied changes replaced (an empty list: all of them). A change
    whose CRM value was edited since Engage wrote it is not touched: its revert is a conflict."""
    Workflow(rt).revert(
        proposal_id=proposal_id, actor=user, change_ids=[c.id for c in body.changes]
    )
    with rt.db.session() as session:
        return asdict(proposal_service.get_proposal(session, proposal_id, user))


@router.get("/audit")
def list_audit(
    rt: RuntimeDep, user: CurrentUser, object_id: str | None = None
) -> list[dict[str, Any]]:
    """Audit entries: a rep sees those of their own meetings, an admin sees all."""
    with rt.db.session() as session:
        own = (
            None if user.is_admin else {m.id for m in meeting_service.list_meetings(session, user)}
        )
        return list(audit_log.entries(session, object_id=object_id, meeting_ids=own))


@router.get("/audit/verify", response_model=AuditVerifyRead)
def verify_audit(rt: RuntimeDep, user: CurrentUser) -> dict[str, Any]:
    """Whether the whole chain is intact; it tells counts and positions, never entries."""
    with rt.db.session() as session:
        return asdict(verify_chain(list(audit_log.entries(session))))
