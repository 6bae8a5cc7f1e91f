"""The small interfaces the core needs from the outside world.

Each port has real adapters (connectors/, agent/llm/) and first-class fakes (the sandbox CRM, the
scripted engine) that the tests and the demo use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from agent.domain.fields import FieldPolicy
from agent.domain.models import (
    CrmContext,
    CurrentValue,
    EngineOutput,
    FieldRef,
    FieldValueT,
    IdentityMatch,
    ObjectType,
    RecordWrite,
    Transcript,
    WriteResult,
)


class Clock(Protocol):
    def now(self) -> datetime: ...


@runtime_checkable
class CrmReader(Protocol):
    """Read access to a CRM. Briefs only ever receive this."""

    @property
    def system(self) -> str:
        """The target system's name as audited, e.g. `sandbox` or `salesforce`."""
        ...

    def read_context(self, deal_id: str) -> CrmContext: ...

    def read_values(self, refs: Sequence[FieldRef]) -> list[CurrentValue]:
        """Current values with their record version, in the order asked."""
        ...

    def get_record(self, object_type: ObjectType, object_id: str) -> dict[str, FieldValueT]:
        """One record as canonical attributes, for `engage crm show`."""
        ...

    def match_identities(self, *, emails: Sequence[str], domains: Sequence[str]) -> IdentityMatch:
        """Contacts by normalized email, accounts by normalized domain (or of those contacts),
        and the open deals of those accounts; unknown ones are simply absent."""
        ...


@runtime_checkable
class CrmPort(CrmReader, Protocol):
    """Read and write access; only the apply service holds one."""

    @property
    def service_account(self) -> str:
        """The identity the connector writes as, recorded in the audit log."""
        ...

    def write_record(self, write: RecordWrite) -> WriteResult:
        """Write all of one record's fields at once, only if its version still matches."""
        ...

    def add_note(self, *, deal_id: str, body: str, idempotency_key: str) -> str:
        """Attach a note to the deal; the same key never creates a second note."""
        ...

    def add_task(
        self, *, deal_id: str, subject: str, due: date | None, owner: str, idempotency_key: str
    ) -> str:
        """Create an open task on the deal; the same key never creates a second task."""
        ...


@dataclass(frozen=True, kw_only=True)
class ExtractionRequest:
    transcript: Transcript
    context: CrmContext
    meeting_date: date
    policy: FieldPolicy
    prompt_version: str
    attendees: tuple[str, ...] = ()
    """The meeting's attendee emails (the rep's included), for telling speakers' sides apart."""
    internal_domains: frozenset[str] = frozenset()
    """The seller's own email domains: attendees there are the rep's side."""


class ExtractionEngine(Protocol):
    """Turns a transcript into a summary, next steps and raw field updates."""

    @property
    def name(self) -> str: ...

    def extract(self, request: ExtractionRequest) -> EngineOutput: ...


@runtime_checkable
class BoundedContext(Protocol):
    """An engine whose model reads at most `context_tokens` tokens per request.

    Extraction splits longer transcripts into parts that fit, so an engine need not.
    """

    @property
    def context_tokens(self) -> int: ...


class Transcriber(Protocol):
    """Turns a recording into a timestamped transcript, or refuses it before spending time on it.

    Audio arrives from outside, so an adapter bounds what a file may cost (length, size, time,
    memory) and raises `AudioError` for anything it will not or cannot decode.
    """

    def transcribe(self, path: Path) -> Transcript: ...
