"""Pydantic models at the HTTP boundary. Unknown fields are rejected: no mass assignment."""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MeetingRead(BaseModel):
    id: str
    title: str
    rep_email: str
    crm_system: str
    deal_id: str
    status: str
    start: datetime
    end: datetime | None
    attendees: list[str]
    source: str
    proposal_id: str | None
    failure_reason: str | None
    consent: str | None = None
    consent_reason: str | None = None
    merged_into: str | None = None


class ContactRead(BaseModel):
    id: str
    name: str
    email: str
    title: str | None
    phone: str | None
    role: str | None


class NoteRead(BaseModel):
    created_at: datetime
    author: str | None
    text: str


class StepRead(BaseModel):
    subject: str
    due: date | None
    owner: str | None


class BriefRead(BaseModel):
    meeting_id: str
    meeting_title: str
    meeting_start: datetime
    crm_system: str
    account_name: str
    account_domain: str | None
    deal_id: str
    deal_name: str
    stage: str
    amount: float | None
    currency: str
    close_date: date | None
    next_step: str | None
    competitors: list[str]
    last_touch: datetime | None
    contacts: list[ContactRead]
    notes: list[NoteRead]
    open_next_steps: list[StepRead]
    stages: list[str]


class EarlierRead(BaseModel):
    value: Any
    quote: str
    speaker: str | None
    meeting_id: str
    meeting_date: str
    proposal_id: str


class FlagRead(BaseModel):
    """Why a change deserves a careful look: `stage_skip`, `stage_back`, `amount_jump`,
    `date_past`, `date_shift`, `person_edit` or `earlier_call` (with the earlier quote)."""

    kind: str
    message: str
    earlier: EarlierRead | None = None


class ConfidenceBasisRead(BaseModel):
    engine: float
    evidence: float
    notes: list[str]


class RevertRead(BaseModel):
    id: str
    status: str
    requested_by: str
    requested_at: datetime
    applied_at: datetime | None
    restore: Any
    conflict_value: Any
    error: str | None
    reverts_audit_seq: int


class MentionedRead(BaseModel):
    """A change the call mentioned that Engage did not propose, and why."""

    field: str
    object_type: str
    object_id: str
    contact_email: str | None
    before: Any
    value: Any
    confidence: float
    confidence_basis: ConfidenceBasisRead | None
    reason: str
    evidence: dict[str, Any]


class ChangeRead(BaseModel):
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
    flags: list[FlagRead] = Field(default_factory=list)
    confidence_basis: ConfidenceBasisRead | None = None
    revert: RevertRead | None = None


class ProposalRead(BaseModel):
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
    changes: list[ChangeRead]
    shadow: bool = False
    mentioned: list[MentionedRead] = Field(default_factory=list)


class ChangeDecision(Strict):
    id: str = Field(min_length=1, max_length=64)
    value: str | float | int | list[str] | None = None


class ApproveRequest(Strict):
    all: bool = False
    changes: list[ChangeDecision] = Field(default_factory=list, max_length=200)


class ChangeRef(Strict):
    id: str = Field(min_length=1, max_length=64)


class RejectRequest(Strict):
    changes: list[ChangeRef] = Field(default_factory=list, max_length=200)


class RevertRequest(Strict):
    """The applied changes to revert; an empty list reverts every applied change."""

    changes: list[ChangeRef] = Field(default_factory=list, max_length=200)


class TranscriptSegmentIn(Strict):
    speaker: str = Field(max_length=200)
    text: str = Field(max_length=20_000)
    start: float | None = None
    end: float | None = None


class TranscriptCreate(Strict):
    deal_id: str = Field(min_length=1, max_length=64)
    rep_email: str = Field(min_length=3, max_length=320)
    date: dt.date | None = None
    transcript: str | list[TranscriptSegmentIn]
    consent: Literal["notified", "not_notified"] | None = None
    """The uploader's word on recording consent: were all parties told the call was recorded?"""


class Accepted(BaseModel):
    meeting_id: str
    status: str
    job_id: str | None = None


class AuditVerifyRead(BaseModel):
    ok: bool
    checked: int
    bad_seq: int | None
    reason: str | None
