"""The small interfaces the core needs from the outside world.

Each port has real adapters (connectors/, agent/llm/) and first-class fakes (the sandbox CRM, the
scripted engine) that the tests and the demo use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from agent.domain.fields import FieldPolicy
from agent.domain.models import (
    CrmContext,
    CurrentValue,
    EngineOutput,
    FieldRef,
    FieldValueT,
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


class ExtractionEngine(Protocol):
    """Turns a transcript into a summary, next steps and raw field updates."""

    @property
    def name(self) -> str: ...

    def extract(self, request: ExtractionRequest) -> EngineOutput: ...
