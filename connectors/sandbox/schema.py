"""The sandbox CRM's tables and the mapping between canonical fields and its columns.

The sandbox speaks canonical values natively (ISO date strings, float amounts, lists of names), so
the mapping is mostly one column per field; what it adds is the refusal of anything that is not
already in canonical form, because a real CRM would refuse it too and the contract suite expects
adapters to fail loudly rather than coerce.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final

from agent.domain.fields import FieldKind
from agent.domain.models import FieldValueT, ObjectType
from agent.errors import ConfigError, CrmError

SYSTEM: Final = "sandbox"
SCHEMA_VERSION: Final = 1

TABLES: Final[dict[ObjectType, str]] = {
    ObjectType.ACCOUNT: "accounts",
    ObjectType.CONTACT: "contacts",
    ObjectType.DEAL: "deals",
}

_DDL: Final = """
CREATE TABLE IF NOT EXISTS stages (
    position INTEGER NOT NULL UNIQUE,
    name TEXT PRIMARY KEY,
    is_closed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    domain TEXT,
    revision INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS contacts (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    title TEXT,
    phone TEXT,
    role TEXT,
    revision INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deals (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    stage TEXT NOT NULL REFERENCES stages(name),
    amount REAL,
    currency TEXT NOT NULL DEFAULT 'USD',
    close_date TEXT,
    next_step TEXT,
    competitors TEXT NOT NULL DEFAULT '[]',
    owner_email TEXT,
    is_closed INTEGER NOT NULL DEFAULT 0,
    revision INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notes (
    id TEXT PRIMARY KEY,
    deal_id TEXT NOT NULL REFERENCES deals(id),
    body TEXT NOT NULL,
    author TEXT,
    created_at TEXT NOT NULL,
    idempotency_key TEXT UNIQUE
);
CREATE TABLE IF NOT EXISTS tasks (
    id TEXT PRIMARY KEY,
    deal_id TEXT NOT NULL REFERENCES deals(id),
    subject TEXT NOT NULL,
    due TEXT,
    owner TEXT,
    done INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    idempotency_key TEXT UNIQUE
);
CREATE TABLE IF NOT EXISTS activities (
    id TEXT PRIMARY KEY,
    deal_id TEXT NOT NULL REFERENCES deals(id),
    kind TEXT NOT NULL,
    at TEXT NOT NULL,
    subject TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS write_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    who TEXT NOT NULL,
    table_name TEXT NOT NULL,
    record_id TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS contacts_by_account ON contacts(account_id);
CREATE INDEX IF NOT EXISTS deals_by_account ON deals(account_id);
CREATE INDEX IF NOT EXISTS notes_by_deal ON notes(deal_id, created_at);
CREATE INDEX IF NOT EXISTS tasks_by_deal ON tasks(deal_id, done);
CREATE INDEX IF NOT EXISTS activities_by_deal ON activities(deal_id, at);
"""

_ISO_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")

DATA_TABLES: Final = ("stages", "accounts", "contacts", "deals", "notes", "tasks", "activities")


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the tables on first open; a file from a newer sandbox is refused, not guessed at."""
    found = conn.execute("PRAGMA user_version").fetchone()[0]
    if found > SCHEMA_VERSION:
        raise ConfigError(
            f"the sandbox CRM file has schema version {found}; this build reads {SCHEMA_VERSION}"
        )
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(_DDL)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


@dataclass(frozen=True, kw_only=True)
class Column:
    """Where a canonical field lives in the sandbox and what shape its value must have."""

    object_type: ObjectType
    name: str
    kind: FieldKind
    required: bool = False


def _col(object_type: ObjectType, name: str, kind: FieldKind, *, required: bool = False) -> Column:
    return Column(object_type=object_type, name=name, kind=kind, required=required)


_D, _C, _A = ObjectType.DEAL, ObjectType.CONTACT, ObjectType.ACCOUNT

COLUMNS: Final[dict[str, Column]] = {
    "deal.name": _col(_D, "name", FieldKind.TEXT, required=True),
    "deal.stage": _col(_D, "stage", FieldKind.PICKLIST, required=True),
    "deal.amount": _col(_D, "amount", FieldKind.AMOUNT),
    "deal.currency": _col(_D, "currency", FieldKind.TEXT, required=True),
    "deal.close_date": _col(_D, "close_date", FieldKind.DATE),
    "deal.next_step": _col(_D, "next_step", FieldKind.TEXT),
    "deal.competitors": _col(_D, "competitors", FieldKind.NAME_LIST, required=True),
    "deal.owner_email": _col(_D, "owner_email", FieldKind.EMAIL),
    "contact.name": _col(_C, "name", FieldKind.TEXT, required=True),
    "contact.email": _col(_C, "email", FieldKind.EMAIL, required=True),
    "contact.title": _col(_C, "title", FieldKind.TEXT),
    "contact.phone": _col(_C, "phone", FieldKind.PHONE),
    "contact.role": _col(_C, "role", FieldKind.TEXT),
    "account.name": _col(_A, "name", FieldKind.TEXT, required=True),
    "account.domain": _col(_A, "domain", FieldKind.TEXT),
}
"""Every field the sandbox stores: the canonical catalogue plus the few a person may also edit."""


def column_for(field: str, object_type: ObjectType) -> Column:
    """The column behind `field`; refuses fields the sandbox lacks or that sit on another object."""
    column = COLUMNS.get(field)
    if column is None:
        raise CrmError(f"unknown field {field!r}", system=SYSTEM, code="UNKNOWN_FIELD")
    if column.object_type is not object_type:
        raise CrmError(
            f"field {field!r} does not belong to a {object_type.value}",
            system=SYSTEM,
            code="UNKNOWN_FIELD",
        )
    return column


def _invalid(field: str, value: FieldValueT, why: str) -> CrmError:
    return CrmError(f"{field}: {value!r} {why}", system=SYSTEM, code="INVALID_VALUE")


def _text(field: str, value: FieldValueT, column: Column) -> str | None:
    if not isinstance(value, str):
        raise _invalid(field, value, "is not text")
    text = " ".join(value.split())
    if column.kind is FieldKind.EMAIL and text and "@" not in text:
        raise _invalid(field, value, "is not an email address")
    return text or None


def to_db(field: str, column: Column, value: FieldValueT) -> object:
    """The stored form of a canonical value; raises CrmError for anything not canonical."""
    if value is None or value == "":
        if column.required:
            raise _invalid(field, value, "is required")
        return "[]" if column.kind is FieldKind.NAME_LIST else None
    if column.kind is FieldKind.AMOUNT:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _invalid(field, value, "is not a number")
        if not math.isfinite(value) or value < 0:
            raise _invalid(field, value, "is not a valid amount")
        return float(value)
    if column.kind is FieldKind.DATE:
        if isinstance(value, str) and _ISO_DATE.fullmatch(value):
            with contextlib.suppress(ValueError):
                return date.fromisoformat(value).isoformat()
        raise _invalid(field, value, "is not an ISO date (YYYY-MM-DD)")
    if column.kind is FieldKind.NAME_LIST:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _invalid(field, value, "is not a list of names")
        names = [" ".join(v.split()) for v in value]
        return json.dumps([n for n in names if n])
    stored = _text(field, value, column)
    if stored is None and column.required:
        raise _invalid(field, value, "is required")
    return stored


def from_db(column: Column, raw: object) -> FieldValueT:
    """The canonical value of a stored one."""
    if raw is None:
        return [] if column.kind is FieldKind.NAME_LIST else None
    if column.kind is FieldKind.NAME_LIST:
        names: list[str] = json.loads(str(raw))
        return names
    if column.kind is FieldKind.AMOUNT and isinstance(raw, int | float):
        return float(raw)
    return str(raw)


def qualify(object_type: ObjectType, values: Mapping[str, FieldValueT]) -> dict[str, FieldValueT]:
    """`values` keyed by canonical field name (`deal.amount`).

    Writes name fields by the record's attributes (`amount`), as `get_record` shows them; the
    canonical name of the same object is accepted too, and a field named twice is refused.
    """
    qualified: dict[str, FieldValueT] = {}
    for key, value in values.items():
        field = key if "." in key else f"{object_type.value}.{key}"
        if field in qualified:
            raise CrmError(f"field {field!r} given twice", system=SYSTEM, code="DUPLICATE_FIELD")
        qualified[field] = value
    return qualified


def prepare(object_type: ObjectType, values: Mapping[str, FieldValueT]) -> dict[str, object]:
    """Stored column values for `values` (keys as in `qualify`), validated before any row moves."""
    if not values:
        raise CrmError("a write needs at least one field", system=SYSTEM, code="EMPTY_WRITE")
    columns: dict[str, object] = {}
    for field, value in qualify(object_type, values).items():
        column = column_for(field, object_type)
        columns[column.name] = to_db(field, column, value)
    return columns


def stamp(moment: datetime) -> str:
    """A sortable UTC text form: every stored moment has the same offset and precision."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="microseconds")


def unstamp(text: str) -> datetime:
    return datetime.fromisoformat(text)
