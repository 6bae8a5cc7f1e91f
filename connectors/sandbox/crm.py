"""The embedded CRM: a real `CrmPort` adapter on one SQLite file, the default and the demo's.

It behaves like the hosted CRMs where Engage depends on it: records carry a version that every
write bumps, a write names the version it was based on and is refused whole if the record moved
on, fields outside the connector's scope are refused before a request is made, picklists are
enforced, and notes and tasks are idempotent by key. Every write lands in `write_log`, so tests
can prove that a path wrote nothing.

Each operation opens its own connection (WAL mode, busy timeout), so one instance may be shared by
the API thread and a worker thread; writes take `BEGIN IMMEDIATE` and are serialized by SQLite.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Final

from agent.domain.fields import DEFAULT_POLICY
from agent.domain.models import (
    CrmContext,
    CurrentValue,
    Deal,
    FieldRef,
    FieldValueT,
    IdentityMatch,
    ObjectType,
    RecordWrite,
    WriteResult,
)
from agent.domain.ports import Clock
from agent.errors import ConfigError, CrmError
from agent.observability.events import crm_creation
from connectors.sandbox import reads
from connectors.sandbox.schema import (
    COLUMNS,
    SYSTEM,
    column_for,
    ensure_schema,
    from_db,
    prepare,
    qualify,
)
from connectors.sandbox.writes import SandboxWriter

ADMIN: Final = "sandbox-admin"
"""Who the seed and other administrative writes are logged as."""

_BUSY_TIMEOUT_S: Final = 30.0


def _require_text(what: str, text: str) -> None:
    if not text.strip():
        raise CrmError(f"a {what} cannot be empty", system=SYSTEM, code="INVALID_VALUE")


class _UtcClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SandboxCrm:
    """A CRM of its own on a SQLite file; see the module docstring for what it guarantees."""

    def __init__(
        self,
        path: Path,
        *,
        clock: Clock | None = None,
        service_account: str = "engage-sandbox@engage.local",
        writable_fields: frozenset[str] | None = None,
    ) -> None:
        writable = (
            frozenset(f.name for f in DEFAULT_POLICY.writable)
            if writable_fields is None
            else writable_fields
        )
        if unknown := sorted(writable - COLUMNS.keys()):
            raise ConfigError(f"the sandbox CRM has no fields {unknown}")
        self._path = path
        self._clock: Clock = clock or _UtcClock()
        self._service_account = service_account
        self._writable = writable
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as conn:
            ensure_schema(conn)

    @property
    def system(self) -> str:
        return SYSTEM

    @property
    def service_account(self) -> str:
        return self._service_account

    @property
    def path(self) -> Path:
        return self._path

    @property
    def writable_fields(self) -> frozenset[str]:
        return self._writable

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction, so that a multi-table read sees one state of the CRM."""
        with closing(self._connect()) as conn:
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("ROLLBACK")

    @contextmanager
    def batch(self, *, who: str = ADMIN) -> Iterator[SandboxWriter]:
        """One write transaction: everything done through the writer commits together or not."""
        with closing(self._connect()) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield SandboxWriter(conn, who=who, now=self._clock.now())
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # -- CrmReader -----------------------------------------------------------------------------

    def read_context(self, deal_id: str) -> CrmContext:
        with self._snapshot() as conn:
            return reads.read_context(conn, deal_id)

    def read_values(self, refs: Sequence[FieldRef]) -> list[CurrentValue]:
        columns = [column_for(ref.field, ref.object_type) for ref in refs]
        with self._snapshot() as conn:
            rows = {
                (ref.object_type, ref.object_id): reads.record_row(
                    conn, ref.object_type, ref.object_id
                )
                for ref in refs
            }
        result = []
        for ref, column in zip(refs, columns, strict=True):
            row = rows[(ref.object_type, ref.object_id)]
            value = from_db(column, row[column.name])
            result.append(CurrentValue(ref=ref, value=value, version=str(row["revision"])))
        return result

    def get_record(self, object_type: ObjectType, object_id: str) -> dict[str, FieldValueT]:
        with self._snapshot() as conn:
            return reads.record_values(object_type, reads.record_row(conn, object_type, object_id))

    def match_identities(self, *, emails: Sequence[str], domains: Sequence[str]) -> IdentityMatch:
        with self._snapshot() as conn:
            return reads.match_identities(conn, emails, domains)

    # -- CrmPort -------------------------------------------------------------------------------

    def write_record(self, write: RecordWrite) -> WriteResult:
        """Write all fields or none; scope and value shape are checked before the file is opened.

        `write.values` is keyed by the record's attributes (`amount`) or canonical names
        (`deal.amount`); the write scope is in canonical names.
        """
        if refused := sorted(qualify(write.object_type, write.values).keys() - self._writable):
            raise CrmError(
                f"fields outside this connector's write scope: {refused}",
                system=SYSTEM,
                code="FIELD_NOT_WRITABLE",
            )
        columns = prepare(write.object_type, write.values)
        with self.batch(who=self._service_account) as writer:
            return writer.write_if(
                write.object_type,
                write.object_id,
                columns,
                expected_version=write.expected_version,
            )

    def add_note(self, *, deal_id: str, body: str, idempotency_key: str) -> str:
        _require_text("note body", body)
        with self.batch(who=self._service_account) as writer:
            if (earlier := self._keyed(writer, "notes", idempotency_key, deal_id)) is not None:
                crm_creation(SYSTEM, "note", duplicate=True)
                return earlier
            note_id = writer.create_note(
                deal_id=deal_id,
                body=body,
                author=self._service_account,
                at=self._clock.now(),
                idempotency_key=idempotency_key,
            )
            first_line = body.strip().splitlines()[0]
            writer.add_activity(
                deal_id=deal_id, kind="note", at=self._clock.now(), subject=first_line[:120]
            )
        crm_creation(SYSTEM, "note", duplicate=False)
        return note_id

    def add_task(
        self, *, deal_id: str, subject: str, due: date | None, owner: str, idempotency_key: str
    ) -> str:
        _require_text("task subject", subject)
        with self.batch(who=self._service_account) as writer:
            if (earlier := self._keyed(writer, "tasks", idempotency_key, deal_id)) is not None:
                crm_creation(SYSTEM, "task", duplicate=True)
                return earlier
            task_id = writer.create_task(
                deal_id=deal_id,
                subject=subject,
                due=due,
                owner=owner,
                at=self._clock.now(),
                idempotency_key=idempotency_key,
            )
            writer.add_activity(deal_id=deal_id, kind="task", at=self._clock.now(), subject=subject)
        crm_creation(SYSTEM, "task", duplicate=False)
        return task_id

    @staticmethod
    def _keyed(writer: SandboxWriter, table: str, key: str, deal_id: str) -> str | None:
        """The id an earlier call with this key created; a key reused on another deal is a bug."""
        found = writer.keyed(table, key)
        if found is None:
            return None
        record_id, for_deal = found
        if for_deal != deal_id:
            raise CrmError(
                f"idempotency key {key!r} was used for deal {for_deal}, not {deal_id}",
                system=SYSTEM,
                code="IDEMPOTENCY_KEY_REUSED",
            )
        return record_id

    # -- for people, tests and the demo --------------------------------------------------------

    def update_as_person(
        self,
        object_type: ObjectType,
        object_id: str,
        values: dict[str, FieldValueT],
        *,
        who: str,
    ) -> str:
        """A person's edit in the CRM: any stored field, no write scope; returns the new version."""
        columns = prepare(object_type, values)
        with self.batch(who=who) as writer:
            return writer.write(object_type, object_id, columns)

    def write_count(self) -> int:
        with self._snapshot() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM write_log").fetchone()[0])

    def list_deals(self) -> list[Deal]:
        with self._snapshot() as conn:
            rows = conn.execute("SELECT * FROM deals ORDER BY rowid").fetchall()
        return [reads.to_deal(r) for r in rows]

    def is_empty(self) -> bool:
        with self._snapshot() as conn:
            return reads.is_empty(conn)
