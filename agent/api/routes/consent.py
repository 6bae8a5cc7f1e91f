"""Recording consent of a meeting: what Engage decided, and the rep's own statement.

`GET /api/v1/meetings/{id}/consent` shows the verdict (`notified`, `not_notified`, `unknown`),
who or what it rests on and why; `POST` with `{"all_notified": true|false, "note"?}` records the
rep's statement, and a meeting held for consent then goes on to extraction.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from agent.api.deps import CurrentUser, RuntimeDep
from agent.runtime import Runtime
from agent.services import consent
from agent.services import meetings as meeting_service
from agent.services.users import Actor

router = APIRouter(prefix="/api/v1", tags=["meetings"])


class ConsentDeclaration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    all_notified: bool
    note: str | None = Field(default=None, max_length=2000)


class ConsentRead(BaseModel):
    meeting_id: str
    status: str
    consent: str | None
    consent_source: str | None
    consent_reason: str | None
    failure_reason: str | None


def _view(rt: Runtime, meeting_id: str, user: Actor) -> dict[str, Any]:
    with rt.db.session() as session:
        meeting = meeting_service.load_meeting(session, meeting_id, user)
        return {
            "meeting_id": meeting.id,
            "status": meeting.status,
            "consent": meeting.consent,
            "consent_source": meeting.consent_source,
            "consent_reason": meeting.consent_reason,
            "failure_reason": meeting.failure_reason,
        }


@router.get("/meetings/{meeting_id}/consent", response_model=ConsentRead)
def get_consent(meeting_id: str, rt: RuntimeDep, user: CurrentUser) -> dict[str, Any]:
    return _view(rt, meeting_id, user)


@router.post("/meetings/{meeting_id}/consent", response_model=ConsentRead)
def declare_consent(
    meeting_id: str, body: ConsentDeclaration, rt: RuntimeDep, user: CurrentUser
) -> dict[str, Any]:
    with rt.db.session() as session:
        released = consent.declare_for_rep(
            session,
            meeting_id=meeting_id,
            actor=user,
            notified=body.all_notified,
            note=body.note,
            now=rt.clock.now(),
        )
    if released:
        rt.submit("process_meeting", {"meeting_id": meeting_id})
    return _view(rt, meeting_id, user)
