"""Every write to the sandbox, bound to one open transaction and logged with who and when.

One writer serves the port's writes (approved changes, notes, tasks), a person's edits and the
admin's seeding, so each of them bumps revisions and fills `write_log` the same way. The caller owns
the transaction (`SandboxCrm.batch`), which is what makes a seed or a record write all-or-nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Final

from agent.domain.models import FieldValueT, ObjectType, WriteResult
from agent.errors import CrmError, NotFound
from connectors.sandbox.reads import is_empty
from connectors.sandbox.schema import SYSTEM, TABLES, prepare, stamp

_PREFIX: Final = {
    "accounts": "acc",
    "contacts": "con",
    "deals": "deal",
    "notes": "note",
    "tasks": "task",
    "activities": "act",
}
_KEYED: Final = {"notes": "notes", "tasks": "tasks"}


class SandboxWriter:
    """Writes inside one transaction of a `SandboxCrm`; obtain one from `SandboxCrm.batch()`."""

    def __init__(self, conn: sqlite3.Connection, *, who: str, now: datetime) -> None:
        self._conn = conn
        self._who = who
        self._now = stamp(now)

    def _log(self, table: str, record_id: str, action: str, detail: Mapping[str, object]) -> None:
        self._conn.execute(
            "INSERT INTO write_log (at, who, table_name, record_id, action, detail)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (self._now, self._who, table, record_id, action, json.dumps(detail, default=str)),
        )

    def _insert(self, table: str, row: Mapping[str, object]) -> str:
        # Table and column names come from this module's constants, never from the caller.
        seq = self._conn.execute(f"SELECT COALESCE(MAX(rowid), 0) + 1 FROM {table}").fetchone()[0]  # noqa: S608
        record_id = f"{_PREFIX[table]}-{seq}"
        full = {"id": record_id, **row}
        names = ", ".join(full)
        marks = ", ".join("?" for _ in full)
        self._conn.execute(
            f"INSERT INTO {table} (rowid, {names}) VALUES (?, {marks})",  # noqa: S608
            (seq, *full.values()),
        )
        self._log(table, record_id, "insert", row)
        return record_id

    def _stamped(self, row: Mapping[str, object]) -> dict[str, object]:
        return {**row, "revision": 1, "updated_at": self._now, "updated_by": self._who}

    def is_empty(self) -> bool:
        return is_empty(self._conn)

    def stage_closed(self, stage: str) -> bool:
        """Whether `stage` ends the pipeline; a stage outside the picklist is refused."""
        row = self._conn.execute("SELECT is_closed FROM stages WHERE name = ?", (stage,)).fetchone()
        if row is None:
            raise CrmError(
                f"{stage!r} is not a stage of this pipeline",
                system=SYSTEM,
                code="INVALID_PICKLIST_VALUE",
            )
        return bool(row[0])

    def set_stages(self, stages: Sequence[str], *, closed: Iterable[str] = ()) -> None:
        """Replace the pipeline's picklist, in order; `closed` names the stages that end a deal."""
        closed_set = set(closed)
        if len(set(stages)) != len(stages) or not closed_set <= set(stages):
            raise CrmError("stages must be unique and include the closed ones", system=SYSTEM)
        in_use = {r[0] for r in self._conn.execute("SELECT DISTINCT stage FROM deals")}
        if missing := in_use - set(stages):
            raise CrmError(f"deals still use stages {sorted(missing)}", system=SYSTEM)
        self._conn.execute("DELETE FROM stages")
        self._conn.executemany(
            "INSERT INTO stages (position, name, is_closed) VALUES (?, ?, ?)",
            [(i, name, name in closed_set) for i, name in enumerate(stages)],
        )
        self._log(
            "stages", "picklist", "replace", {"stages": list(stages), "closed": sorted(closed_set)}
        )

    def create_account(self, *, name: str, domain: str | None = None) -> str:
        row = prepare(ObjectType.ACCOUNT, {"account.name": name, "account.domain": domain})
        return self._insert("accounts", self._stamped(row))

    def create_contact(
        self,
        *,
        account_id: str,
        name: str,
        email: str,
        title: str | None = None,
        phone: str | None = None,
        role: str | None = None,
    ) -> str:
        self.revision(ObjectType.ACCOUNT, account_id)
        values: dict[str, FieldValueT] = {
            "contact.name": name,
            "contact.email": email,
            "contact.title": title,
            "contact.phone": phone,
            "contact.role": role,
        }
        row = {"account_id": account_id, **prepare(ObjectType.CONTACT, values)}
        return self._insert("contacts", self._stamped(row))

    def create_deal(
        self,
        *,
        account_id: str,
        name: str,
        stage: str,
        amount: float | None = None,
        currency: str = "USD",
        close_date: date | None = None,
        next_step: str | None = None,
        competitors: Sequence[str] = (),
        owner_email: str | None = None,
    ) -> str:
        self.revision(ObjectType.ACCOUNT, account_id)
        values: dict[str, FieldValueT] = {
            "deal.name": name,
            "deal.stage": stage,
            "deal.amount": amount,
            "deal.currency": currency,
            "deal.close_date": close_date.isoformat() if close_date else None,
            "deal.next_step": next_step,
            "deal.competitors": list(competitors),
            "deal.owner_email": owner_email,
        }
        row = {
            "account_id": account_id,
            **prepare(ObjectType.DEAL, values),
            "is_closed": self.stage_closed(stage),
        }
        return self._insert("deals", self._stamped(row))

    def create_note(
        self,
        *,
        deal_id: str,
        body: str,
        author: str | None,
        at: datetime,
        idempotency_key: str | None = None,
    ) -> str:
        self.revision(ObjectType.DEAL, deal_id)
        row = {
            "deal_id": deal_id,
            "body": body,
            "author": author,
            "created_at": stamp(at),
            "idempotency_key": idempotency_key,
        }
        return self._insert("notes", row)

    def create_task(
        self,
        *,
        deal_id: str,
        subject: str,
        due: date | None,
        owner: str | None,
        at: datetime,
        idempotency_key: str | None = None,
    ) -> str:
        self.revision(ObjectType.DEAL, deal_id)
        row = {
            "deal_id": deal_id,
            "subject": subject,
            "due": due.isoformat() if due else None,
            "owner": owner,
            "created_at": stamp(at),
            "idempotency_key": idempotency_key,
        }
        return self._insert("tasks", row)

    def add_activity(self, *, deal_id: str, kind: str, at: datetime, subject: str) -> str:
        self.revision(ObjectType.DEAL, deal_id)
        row = {"deal_id": deal_id, "kind": kind, "at": stamp(at), "subject": subject}
        return self._insert("activities", row)

    def revision(self, object_type: ObjectType, object_id: str) -> int:
        """The record's current revision; NotFound when there is no such record."""
        table = TABLES[object_type]
        row = self._conn.execute(
            f"SELECT revision FROM {table} WHERE id = ?",  # noqa: S608
            (object_id,),
        ).fetchone()
        if row is None:
            raise NotFound(f"no {object_type.value} {object_id!r} in the sandbox CRM")
        return int(row[0])

    def write_if(
        self,
        object_type: ObjectType,
        object_id: str,
        columns: Mapping[str, object],
        *,
        expected_version: str,
    ) -> WriteResult:
        """Write only if the record is still at `expected_version`; otherwise write nothing."""
        current = self.revision(object_type, object_id)
        if str(current) != expected_version:
            return WriteResult(
                ok=False,
                reason=f"version conflict: expected {expected_version}, record is at {current}",
            )
        return WriteResult(ok=True, new_version=self.write(object_type, object_id, columns))

    def write(self, object_type: ObjectType, object_id: str, columns: Mapping[str, object]) -> str:
        """Write prepared columns, bump the revision and return the new version."""
        current = self.revision(object_type, object_id)
        row = dict(columns)
        if object_type is ObjectType.DEAL and "stage" in row:
            row["is_closed"] = self.stage_closed(str(row["stage"]))
        row.update(revision=current + 1, updated_at=self._now, updated_by=self._who)
        table = TABLES[object_type]
        assignments = ", ".join(f"{name} = ?" for name in row)
        self._conn.execute(
            f"UPDATE {table} SET {assignments} WHERE id = ?",  # noqa: S608
            (*row.values(), object_id),
        )
        self._log(table, object_id, "update", row)
        return str(current + 1)

    def keyed(self, table: str, key: str) -> tuple[str, str] | None:
        """(id, deal id) of the note or task created earlier with this idempotency key."""
        row = self._conn.execute(
            f"SELECT id, deal_id FROM {_KEYED[table]} WHERE idempotency_key = ?",  # noqa: S608
            (key,),
        ).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))
