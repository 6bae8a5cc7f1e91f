"""Appending to and reading the hash-chained audit log. The only writer of `audit_entries`:
it appends, and on a person's erasure it tombstones (`agent.domain.audit` explains why the chain
still verifies); it never updates anything else and never deletes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from agent.db.tables import AuditEntry
from agent.domain.audit import AUDIT_KEYS, ChainLink, new_salts, next_link, tombstoned


def append(session: Session, content: Mapping[str, Any]) -> AuditEntry:
    """Add one entry at the head of the chain; concurrent writers queue on a table lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE audit_entries IN SHARE ROW EXCLUSIVE MODE"))
    last = session.scalar(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))
    head = (
        None if last is None else ChainLink(seq=last.seq, prev_hash=last.prev_hash, hash=last.hash)
    )
    salted = {**content, "salts": new_salts(), "erased": None}
    link = next_link(last=head, content=salted)
    entry = AuditEntry(
        seq=link.seq,
        prev_hash=link.prev_hash,
        hash=link.hash,
        salts=salted["salts"],
        erased=None,
        **{k: content[k] for k in AUDIT_KEYS},
    )
    session.add(entry)
    session.flush()
    return entry


def as_dict(entry: AuditEntry) -> dict[str, Any]:
    data = {k: getattr(entry, k) for k in AUDIT_KEYS}
    data.update(
        seq=entry.seq,
        prev_hash=entry.prev_hash,
        hash=entry.hash,
        salts=entry.salts,
        erased=entry.erased,
    )
    return data


def tombstone(session: Session, seq: int, keys: Iterable[str], erasure_id: str) -> bool:
    """Erase personal values of one entry (the only update this table ever gets; the database
    triggers refuse any other). False for an entry written before salted hashing."""
    entry = session.get(AuditEntry, seq)
    if entry is None:
        raise ValueError(f"no audit entry {seq}")
    try:
        changes = tombstoned(as_dict(entry), keys, erasure_id)
    except ValueError:
        return False
    for key, value in changes.items():
        setattr(entry, key, value)
    session.flush()
    return True


def head(session: Session) -> AuditEntry | None:
    return session.scalar(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1))


def entries(
    session: Session, *, object_id: str | None = None, meeting_ids: set[str] | None = None
) -> Iterator[dict[str, Any]]:
    query = select(AuditEntry).order_by(AuditEntry.seq)
    if object_id:
        query = query.where(AuditEntry.object_id == object_id)
    if meeting_ids is not None:
        query = query.where(AuditEntry.meeting_id.in_(meeting_ids))
    for entry in session.scalars(query):
        yield as_dict(entry)


def has_entry_for(session: Session, change_id: str) -> bool:
    return (
        session.scalar(select(AuditEntry.seq).where(AuditEntry.change_id == change_id)) is not None
    )
