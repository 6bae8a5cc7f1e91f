"""The Engage store. Every timestamp is UTC; JSON columns hold canonical values and evidence."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both databases (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    team: Mapped[str | None] = mapped_column(String(64), default=None)
    """The rep's team, e.g. for shadow mode per team (ENGAGE_SHADOW_TEAMS)."""


class Meeting(Base):
    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("source", "external_id"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    rep_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    crm_system: Mapped[str] = mapped_column(String(32))
    deal_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    start_at: Mapped[datetime]
    end_at: Mapped[datetime | None]
    attendees: Mapped[list[Any]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str | None] = mapped_column(String(200))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    consent: Mapped[str | None] = mapped_column(String(16), default=None)
    """Recording consent: `notified`, `not_notified` or `unknown`; None until assessed."""
    consent_source: Mapped[str | None] = mapped_column(String(64), default=None)
    consent_reason: Mapped[str | None] = mapped_column(Text, default=None)
    merged_into: Mapped[str | None] = mapped_column(String(32), index=True, default=None)
    """The meeting this one was merged into (the same call reported by another source)."""


class TranscriptRow(Base):
    __tablename__ = "transcripts"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id"), index=True)
    source_format: Mapped[str] = mapped_column(String(16))
    segments: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    sealed: Mapped[str | None] = mapped_column(Text, default=None)
    """The segments encrypted with ENGAGE_SECRET_KEY (then `segments` is stored empty); the
    session decrypts on load (`agent.db.sealing`)."""


class Proposal(Base):
    __tablename__ = "proposals"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id"), index=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    engine: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(120))
    prompt_version: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text)
    next_steps: Mapped[list[Any]] = mapped_column(JSON)
    dropped: Mapped[list[Any]] = mapped_column(JSON)
    tokens_prompt: Mapped[int] = mapped_column(Integer, default=0)
    tokens_completion: Mapped[int] = mapped_column(Integer, default=0)
    latency_s: Mapped[float] = mapped_column(Float, default=0.0)
    note_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    shadow: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Made in shadow mode: never written to the CRM, compared with it later."""
    crm_context: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    """What the CRM held when the proposal was made, in the eval dataset's `crm_context` form."""
    mentioned: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    """Changes the call mentioned that Engage did not propose (low confidence, field policy)."""


class ProposedChangeRow(Base):
    __tablename__ = "proposed_changes"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    proposal_id: Mapped[str] = mapped_column(ForeignKey("proposals.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(16))
    object_id: Mapped[str] = mapped_column(String(64))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
    final_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    confidence: Mapped[float] = mapped_column(Float)
    critical: Mapped[bool]
    status: Mapped[str] = mapped_column(String(32), index=True)
    decided_by: Mapped[str | None] = mapped_column(String(320))
    decided_at: Mapped[datetime | None]
    applied_at: Mapped[datetime | None]
    conflict_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text)
    flags: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    """Reasons for a careful look (stage skip, amount jump, a person's edit, an earlier call)."""
    confidence_basis: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    """The engine's confidence, the evidence's strength and why it was lowered."""


class ChangeRevert(Base):
    """Putting back the value an applied change replaced: itself a change, audited, linked to the
    audit entry of the write it reverts (`audit_seq`)."""

    __tablename__ = "change_reverts"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    change_id: Mapped[str] = mapped_column(ForeignKey("proposed_changes.id"), index=True)
    proposal_id: Mapped[str] = mapped_column(ForeignKey("proposals.id"), index=True)
    audit_seq: Mapped[int] = mapped_column(Integer)
    written: Mapped[Any] = mapped_column(JSON, nullable=True)
    """The value Engage wrote, which the CRM must still hold."""
    restore: Mapped[Any] = mapped_column(JSON, nullable=True)
    """The value before Engage's write, written back."""
    status: Mapped[str] = mapped_column(String(16), index=True)
    requested_by: Mapped[str] = mapped_column(String(320))
    requested_at: Mapped[datetime]
    applied_at: Mapped[datetime | None]
    conflict_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text)


class AuditEntry(Base):
    """Append-only: the application never updates or deletes a row of this table, except to
    tombstone personal values on erasure (`audit_log.tombstone`); database triggers refuse any
    other update and every delete (migration 0006)."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_object", "object_type", "object_id"),)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    target: Mapped[str] = mapped_column(String(32))
    object_type: Mapped[str] = mapped_column(String(16))
    object_id: Mapped[str] = mapped_column(String(64))
    field: Mapped[str] = mapped_column(String(64))
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
    approved_by: Mapped[str] = mapped_column(String(320))
    written_by: Mapped[str] = mapped_column(String(320))
    written_at: Mapped[str] = mapped_column(String(40))
    meeting_id: Mapped[str] = mapped_column(String(32), index=True)
    proposal_id: Mapped[str] = mapped_column(String(32), index=True)
    change_id: Mapped[str] = mapped_column(String(32), unique=True)
    model: Mapped[str] = mapped_column(String(120))
    prompt_version: Mapped[str] = mapped_column(String(64))
    evidence: Mapped[Any] = mapped_column(JSON, nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    salts: Mapped[Any] = mapped_column(JSON, nullable=True, default=None)
    """Per-field salts of a v2 entry (None: a v1 entry); a tombstoned field's salt is gone."""
    erased: Mapped[Any] = mapped_column(JSON, nullable=True, default=None)
    """Digests of tombstoned fields (`agent.domain.audit`), so the entry's hash still holds."""


class Job(Base):
    """A unit of background work; `dead` rows are the dead-letter list."""

    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


# -- ingestion: webhooks, meeting links, calendar channels, signals, prepared briefs ----------


class WebhookEvent(Base):
    """Every webhook delivery Engage accepted, once per event key: redeliveries find their row."""

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("source", "event_key"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    event_key: Mapped[str] = mapped_column(String(300))
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    job_id: Mapped[str | None] = mapped_column(String(32))
    received_at: Mapped[datetime]


class MeetingLink(Base):
    """How a meeting was tied to the CRM: linked, ambiguous (the rep picks), or unmatched."""

    __tablename__ = "meeting_links"
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    account_id: Mapped[str | None] = mapped_column(String(64))
    contact_ids: Mapped[list[Any]] = mapped_column(JSON)
    candidates: Mapped[list[Any]] = mapped_column(JSON)
    conference_key: Mapped[str | None] = mapped_column(String(300), index=True)
    updated_at: Mapped[datetime]


class MeetingRef(Base):
    """Another system's id for a meeting (a Zoom instance, a Teams meeting): one meeting each."""

    __tablename__ = "meeting_refs"
    system: Mapped[str] = mapped_column(String(32), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id"), index=True)
    created_at: Mapped[datetime]


class CalendarChannel(Base):
    """A push channel (Google) or subscription (Graph) on one rep's calendar, and its sync state."""

    __tablename__ = "calendar_channels"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    rep_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    calendar_id: Mapped[str] = mapped_column(String(320))
    resource_id: Mapped[str | None] = mapped_column(String(300))
    sync_token: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SignalRow(Base):
    """A buying signal kept in Engage (never in the CRM), linked by email or domain."""

    __tablename__ = "signals"
    __table_args__ = (UniqueConstraint("source", "external_id"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(320))
    domain: Mapped[str | None] = mapped_column(String(255), index=True)
    account_id: Mapped[str | None] = mapped_column(String(64), index=True)
    contact_id: Mapped[str | None] = mapped_column(String(64))
    deal_id: Mapped[str | None] = mapped_column(String(64), index=True)
    summary: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    suggestion: Mapped[str | None] = mapped_column(Text)
    suggestion_status: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str | None] = mapped_column(String(320))
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime]


class PreparedBrief(Base):
    """A brief made ahead of a scheduled meeting, with a fingerprint of the CRM state it read."""

    __tablename__ = "prepared_briefs"
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id"), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    prepared_at: Mapped[datetime]


# -- integration health: connector events the dashboard windows over, and alerts sent --------


class HealthEvent(Base):
    """A connector fact kept for the day/week health numbers: a CRM creation (or a duplicate one
    prevented by its idempotency key) and periodic API-quota samples (`amount` used of `limit`)."""

    __tablename__ = "health_events"
    __table_args__ = (Index("ix_health_events_crm_kind_at", "crm", "kind", "at"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    at: Mapped[datetime]
    crm: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    amount: Mapped[float] = mapped_column(Float)
    limit: Mapped[float | None] = mapped_column(Float)


class AlertRow(Base):
    """One alert condition by its key: sent once while it holds, again after the repeat time."""

    __tablename__ = "alerts"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    crm: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    first_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    cleared_at: Mapped[datetime | None] = mapped_column(index=True)


# -- delivery to reps: Slack messages and emails, once per subject and channel ----------------


class Delivery(Base):
    """One message to a rep about one proposal, brief or consent hold, on one channel.

    The unique key makes a re-run of a delivery job find the message it already sent; `ref`
    keeps where the message lives (Slack `channel:ts`) so it can be updated after a decision.
    """

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("kind", "channel", "subject_id"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str | None] = mapped_column(String(300))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
