"""A meeting's link to the CRM, and the rep's choice when linking could not decide.

`GET /api/v1/meetings/{id}/link` shows the status (`linked`, `ambiguous` with its candidate deals,
`unmatched`, `internal`); `POST` with `{"deal_id"}` settles it, and a meeting that already has its
transcript then goes on to extraction.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from agent.api.deps import CurrentUser, RuntimeDep
from agent.services import access, linking, prepared_briefs
from agent.worker.ingest_jobs import extract_once

router = APIRouter(prefix="/api/v1", tags=["meetings"])


class LinkChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    deal_id: str = Field(min_length=1, max_length=64)


class LinkRead(BaseModel):
    meeting_id: str
    status: str
    deal_id: str | None
    account_id: str | None
    contact_ids: list[str]
    candidates: list[dict[str, Any]]


@router.get("/meetings/{meeting_id}/link", response_model=LinkRead)
def get_link(meeting_id: str, rt: RuntimeDep, user: CurrentUser) -> dict[str, Any]:
    with rt.db.session() as session:
        return linking.link_view(session, meeting_id, user)


@router.post("/meetings/{meeting_id}/link", response_model=LinkRead)
def choose_deal(
    meeting_id: str, body: LinkChoice, rt: RuntimeDep, user: CurrentUser
) -> dict[str, Any]:
    access.check_deal(rt.crm, deal_id=body.deal_id, actor=user)
    with rt.db.session() as session:
        linking.choose_deal(
            session,
            crm=rt.crm,
            meeting_id=meeting_id,
            deal_id=body.deal_id,
            actor=user,
            now=rt.clock.now(),
        )
    extract_once(rt, meeting_id)
    with rt.db.session() as session:
        return linking.link_view(session, meeting_id, user)


@router.get("/meetings/{meeting_id}/brief/prepared")
def get_prepared_brief(meeting_id: str, rt: RuntimeDep, user: CurrentUser) -> dict[str, Any]:
    """The brief made ahead of the meeting (with the deal's signals) and when it was made."""
    with rt.db.session() as session:
        return prepared_briefs.prepared(session, meeting_id=meeting_id, actor=user)
