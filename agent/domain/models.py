"""Plain, frozen value objects that every layer speaks.

Pydantic lives at the boundaries (API, LLM output); inside, these dataclasses carry the data so that
the domain stays free of framework imports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TypeAlias

JsonScalar: TypeAlias = str | int | float | bool | None
FieldValueT: TypeAlias = str | int | float | bool | list[str] | None
"""A canonical field value: text, number, ISO date string, or a list of names (competitors)."""


@dataclass(frozen=True, kw_only=True)
class Segment:
    """One speaker turn of a transcript; `index` is its position, used to cite evidence."""

    index: int
    speaker: str
    text: str
    start: float = 0.0
    end: float | None = None


@dataclass(frozen=True, kw_only=True)
class Transcript:
    segments: tuple[Segment, ...]
    source_format: str = "plain"

    @property
    def full_text(self) -> str:
        return "\n".join(f"{s.speaker}: {s.text}" for s in self.segments)


@dataclass(frozen=True, kw_only=True)
class Contact:
    id: str
    name: str
    email: str
    title: str | None = None
    phone: str | None = None
    role: str | None = None


@dataclass(frozen=True, kw_only=True)
class Account:
    id: str
    name: str
    domain: str | None = None


@dataclass(frozen=True, kw_only=True)
class Deal:
    id: str
    name: str
    account_id: str
    stage: str
    amount: float | None = None
    currency: str = "USD"
    close_date: date | None = None
    next_step: str | None = None
    competitors: tuple[str, ...] = ()
    owner_email: str | None = None
    is_closed: bool = False


@dataclass(frozen=True, kw_only=True)
class Note:
    id: str
    created_at: datetime
    body: str
    author: str | None = None


@dataclass(frozen=True, kw_only=True)
class Task:
    id: str
    subject: str
    due: date | None = None
    owner: str | None = None
    done: bool = False


@dataclass(frozen=True, kw_only=True)
class Activity:
    kind: str
    at: datetime
    subject: str


@dataclass(frozen=True, kw_only=True)
class CrmContext:
    """What the CRM knows about one deal: the input to briefs and to extraction."""

    deal: Deal
    account: Account
    contacts: tuple[Contact, ...]
    stages: tuple[str, ...]
    notes: tuple[Note, ...] = ()
    open_tasks: tuple[Task, ...] = ()
    activities: tuple[Activity, ...] = ()

    @property
    def last_touch(self) -> datetime | None:
        moments = [a.at for a in self.activities] + [n.created_at for n in self.notes]
        return max(moments) if moments else None

    def contact_by_email(self, email: str) -> Contact | None:
        wanted = email.strip().lower()
        return next((c for c in self.contacts if c.email.lower() == wanted), None)


class ObjectType(StrEnum):
    DEAL = "deal"
    CONTACT = "contact"
    ACCOUNT = "account"


@dataclass(frozen=True, kw_only=True)
class FieldRef:
    """One canonical field of one CRM record, e.g. deal 42's `deal.amount`."""

    object_type: ObjectType
    object_id: str
    field: str


@dataclass(frozen=True, kw_only=True)
class CurrentValue:
    ref: FieldRef
    value: FieldValueT
    version: str
    """The record's version (last-modified stamp) when the value was read."""


@dataclass(frozen=True, kw_only=True)
class RecordWrite:
    """All approved changes to one record, written in one call if its version still matches."""

    object_type: ObjectType
    object_id: str
    values: dict[str, FieldValueT]
    expected_version: str


@dataclass(frozen=True, kw_only=True)
class WriteResult:
    ok: bool
    new_version: str | None = None
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class TokenUsage:
    prompt: int = 0
    completion: int = 0


@dataclass(frozen=True, kw_only=True)
class Evidence:
    quote: str
    segment_indices: tuple[int, ...] = ()
    speaker: str | None = None
    start: float | None = None


@dataclass(frozen=True, kw_only=True)
class RawFieldUpdate:
    """A field update as an engine stated it, before validation and normalization."""

    field: str
    value: FieldValueT
    evidence: Evidence
    contact: str | None = None
    confidence: float = 0.5


@dataclass(frozen=True, kw_only=True)
class NextStep:
    owner: str
    action: str
    due: str | None = None
    evidence: Evidence | None = None


@dataclass(frozen=True, kw_only=True)
class EngineOutput:
    """What an extraction engine returns for one call."""

    summary: str
    next_steps: tuple[NextStep, ...]
    field_updates: tuple[RawFieldUpdate, ...]
    engine: str
    model: str
    prompt_version: str
    usage: TokenUsage = field(default_factory=TokenUsage)
    latency_s: float = 0.0
    repaired: bool = False


@dataclass(frozen=True, kw_only=True)
class EarlierStatement:
    """What an earlier call of the same deal said about a field, with its quote."""

    value: FieldValueT
    quote: str
    speaker: str | None
    meeting_id: str
    meeting_date: str
    proposal_id: str


@dataclass(frozen=True, kw_only=True)
class ChangeFlag:
    """A reason for the rep to look twice at a change; it never approves or blocks one."""

    kind: str
    message: str
    earlier: EarlierStatement | None = None


@dataclass(frozen=True, kw_only=True)
class ConfidenceBasis:
    """Where a change's confidence comes from: the engine's own number times the evidence's
    strength as the screen reads it (hedges, questions), with the reasons it was lowered."""

    engine: float
    evidence: float = 1.0
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ProposedChange:
    """A validated, normalized change ready for the rep's review."""

    field: str
    object_type: ObjectType
    object_id: str
    before: FieldValueT
    after: FieldValueT
    evidence: Evidence
    confidence: float
    critical: bool
    contact_email: str | None = None
    base_version: str | None = None
    flags: tuple[ChangeFlag, ...] = ()
    basis: ConfidenceBasis | None = None


@dataclass(frozen=True, kw_only=True)
class MentionedChange:
    """A change the call mentioned that Engage does not propose, and why (low confidence, or a
    field policy that keeps Engage off a filled field): shown to the rep, never written."""

    change: ProposedChange
    reason: str


@dataclass(frozen=True, kw_only=True)
class DroppedChange:
    field: str
    value: FieldValueT
    reason: str


@dataclass(frozen=True, kw_only=True)
class ValidatedExtraction:
    summary: str
    next_steps: tuple[NextStep, ...]
    changes: tuple[ProposedChange, ...]
    dropped: tuple[DroppedChange, ...]
    mentioned: tuple[MentionedChange, ...] = ()


@dataclass(frozen=True, kw_only=True)
class IdentityMatch:
    """CRM records found for a set of normalized emails and company domains (meeting linking)."""

    contacts: tuple[Contact, ...] = ()
    accounts: tuple[Account, ...] = ()
    open_deals: tuple[Deal, ...] = ()
    """Open deals of the matched accounts (those of matched contacts included)."""
