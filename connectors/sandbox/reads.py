"""Reads from the sandbox tables into the domain's models and canonical values.

Each function takes a connection whose transaction the caller opened, so that a context or a batch
of values comes from one consistent snapshot even while a worker thread writes.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import date
from typing import Final

from agent.domain.identity import normalize_domain, normalize_email
from agent.domain.models import (
    Account,
    Activity,
    Contact,
    CrmContext,
    Deal,
    FieldValueT,
    IdentityMatch,
    Note,
    ObjectType,
    Task,
)
from agent.errors import NotFound
from connectors.sandbox.schema import COLUMNS, DATA_TABLES, TABLES, from_db, unstamp

_HIDDEN: Final = frozenset({"revision"})
_FLAGS: Final = frozenset({"is_closed"})


def record_row(conn: sqlite3.Connection, object_type: ObjectType, object_id: str) -> sqlite3.Row:
    """The record's row; NotFound when there is none."""
    row: sqlite3.Row | None = conn.execute(
        f"SELECT * FROM {TABLES[object_type]} WHERE id = ?",  # noqa: S608
        (object_id,),
    ).fetchone()
    if row is None:
        raise NotFound(f"no {object_type.value} {object_id!r} in the sandbox CRM")
    return row


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def to_deal(row: sqlite3.Row) -> Deal:
    return Deal(
        id=row["id"],
        name=row["name"],
        account_id=row["account_id"],
        stage=row["stage"],
        amount=row["amount"],
        currency=row["currency"],
        close_date=_date(row["close_date"]),
        next_step=row["next_step"],
        competitors=tuple(json.loads(row["competitors"])),
        owner_email=row["owner_email"],
        is_closed=bool(row["is_closed"]),
    )


def _to_contact(row: sqlite3.Row) -> Contact:
    return Contact(
        id=row["id"],
        name=row["name"],
        email=row["email"],
        title=row["title"],
        phone=row["phone"],
        role=row["role"],
    )


def read_context(conn: sqlite3.Connection, deal_id: str) -> CrmContext:
    deal = to_deal(record_row(conn, ObjectType.DEAL, deal_id))
    account = record_row(conn, ObjectType.ACCOUNT, deal.account_id)
    contacts = conn.execute(
        "SELECT * FROM contacts WHERE account_id = ? ORDER BY rowid", (deal.account_id,)
    )
    stages = conn.execute("SELECT name FROM stages ORDER BY position")
    notes = conn.execute(
        "SELECT * FROM notes WHERE deal_id = ? ORDER BY created_at DESC, rowid DESC", (deal_id,)
    )
    tasks = conn.execute(
        "SELECT * FROM tasks WHERE deal_id = ? AND NOT done ORDER BY due IS NULL, due, rowid",
        (deal_id,),
    )
    activities = conn.execute(
        "SELECT * FROM activities WHERE deal_id = ? ORDER BY at DESC, rowid DESC", (deal_id,)
    )
    return CrmContext(
        deal=deal,
        account=Account(id=account["id"], name=account["name"], domain=account["domain"]),
        contacts=tuple(_to_contact(r) for r in contacts),
        stages=tuple(r["name"] for r in stages),
        notes=tuple(
            Note(
                id=r["id"], created_at=unstamp(r["created_at"]), body=r["body"], author=r["author"]
            )
            for r in notes
        ),
        open_tasks=tuple(
            Task(id=r["id"], subject=r["subject"], due=_date(r["due"]), owner=r["owner"])
            for r in tasks
        ),
        activities=tuple(
            Activity(kind=r["kind"], at=unstamp(r["at"]), subject=r["subject"]) for r in activities
        ),
    )


def record_values(object_type: ObjectType, row: sqlite3.Row) -> dict[str, FieldValueT]:
    """The record as canonical attributes (`stage`, `close_date`, …) plus id and version."""
    columns = {c.name: c for c in COLUMNS.values() if c.object_type is object_type}
    values: dict[str, FieldValueT] = {}
    for key, raw in zip(row.keys(), row, strict=True):
        if key in _HIDDEN:
            continue
        column = columns.get(key)
        if column is not None:
            values[key] = from_db(column, raw)
        elif key in _FLAGS:
            values[key] = bool(raw)
        else:
            values[key] = raw
    values["version"] = str(row["revision"])
    return values


def is_empty(conn: sqlite3.Connection) -> bool:
    """True when no table holds data; `write_log` does not count, it only remembers."""
    return all(
        conn.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {t})").fetchone()[0]  # noqa: S608
        for t in DATA_TABLES
    )


def _normal_email(raw: str) -> str | None:
    try:
        return normalize_email(raw)
    except ValueError:
        return None


def _normal_domain(raw: str | None) -> str | None:
    try:
        return normalize_domain(raw) if raw else None
    except ValueError:
        return None


def match_identities(
    conn: sqlite3.Connection, emails: Sequence[str], domains: Sequence[str]
) -> IdentityMatch:
    """Normalizes both sides, as a CRM search on the stored values would after dedupe rules."""
    wanted_emails = {e for e in map(_normal_email, emails) if e}
    wanted_domains = {d for d in map(_normal_domain, domains) if d}
    contacts = [
        _to_contact(r)
        for r in conn.execute("SELECT * FROM contacts ORDER BY rowid")
        if _normal_email(r["email"]) in wanted_emails
    ]
    owners = {
        r["account_id"]
        for r in conn.execute("SELECT id, account_id FROM contacts")
        if r["id"] in {c.id for c in contacts}
    }
    accounts = [
        Account(id=r["id"], name=r["name"], domain=r["domain"])
        for r in conn.execute("SELECT * FROM accounts ORDER BY rowid")
        if r["id"] in owners or _normal_domain(r["domain"]) in wanted_domains
    ]
    account_ids = [a.id for a in accounts]
    marks = ", ".join("?" for _ in account_ids)
    deals = conn.execute(
        f"SELECT * FROM deals WHERE NOT is_closed AND account_id IN ({marks}) ORDER BY rowid",  # noqa: S608
        account_ids,
    )
    return IdentityMatch(
        contacts=tuple(contacts),
        accounts=tuple(accounts),
        open_deals=tuple(to_deal(r) for r in deals),
    )
