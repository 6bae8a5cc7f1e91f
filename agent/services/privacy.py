"""A person's data on request, and everything on a timer: GDPR erasure and retention.

**Erasure** (`engage privacy erase EMAIL`) finds the person by email, and through the CRM by
name and phone, then scrubs Engage's own copies: transcript turns they spoke become `[erased]`
and mentions of them elsewhere are replaced; proposed changes to their contact record lose their
values and evidence; every other table's free text and JSON is scrubbed of them. In the audit log
their values are tombstoned, never deleted, and the erasure is appended to the chain as its own
entry (see `agent.domain.audit` for why the chain still verifies and why a tombstone cannot hide
an edit). Who approved a write stays: that is the accountability the log exists for. The CRM is
the system of record and is not touched: the person's record there is erased in the CRM itself.

**Retention** (`ENGAGE_RETENTION_DAYS`, a periodic job and `engage privacy purge`) deletes
transcripts older than the period. Engage keeps no audio: recordings are transcribed in a
temporary folder that is removed afterwards; the purge also removes such folders a killed
worker left behind, after `ENGAGE_AUDIO_RETENTION_HOURS`.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, String, Table, Text, delete, select
from sqlalchemy.orm import Session

from agent.db import audit_log
from agent.db.engine import Database
from agent.db.tables import AuditEntry, Base, Meeting, ProposedChangeRow, TranscriptRow, User
from agent.domain.audit import ERASABLE_KEYS, erasure_content, is_tombstone
from agent.domain.identity import normalize_email
from agent.domain.ports import CrmReader
from agent.ids import new_id

ERASED = "[erased]"
AUDIO_FOLDERS = "engage-audio-*"
_OWN_HANDLING = frozenset({"audit_entries", "users", "transcripts", "proposed_changes"})


@dataclass(frozen=True, kw_only=True)
class Person:
    email: str
    names: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()

    @property
    def pattern(self) -> re.Pattern[str]:
        return self.pattern_for(attended=False)

    def pattern_for(self, *, attended: bool) -> re.Pattern[str]:
        """Mentions of the person; in a meeting they attended, their first name alone too."""
        names = [*self.names, *(n.split()[0] for n in self.names if attended and n.split())]
        parts = [re.escape(self.email)]
        parts += [rf"\b{re.escape(n)}\b" for n in names if len(n) >= 3]
        for phone in self.phones:
            digits = re.sub(r"\D", "", phone)[-10:]
            if len(digits) >= 7:
                parts.append(r"[\s().-]*".join(digits))
        return re.compile("|".join(parts), re.IGNORECASE)

    @property
    def first_names(self) -> frozenset[str]:
        return frozenset(n.split()[0].casefold() for n in self.names if n.split())


def identify(crm: CrmReader, email: str, names: Sequence[str] = ()) -> Person:
    """The person as Engage may have recorded them: their email, and from the CRM their names
    and phone numbers."""
    address = normalize_email(email)
    found = crm.match_identities(emails=[address], domains=[]).contacts
    mine = [c for c in found if normalize_email(c.email) == address]
    return Person(
        email=address,
        names=tuple(dict.fromkeys([*names, *(c.name for c in mine)])),
        phones=tuple(dict.fromkeys(c.phone for c in mine if c.phone)),
    )


@dataclass(kw_only=True)
class ErasureReport:
    erasure_id: str
    rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    audit_entries: list[int] = field(default_factory=list)
    kept_legacy: list[int] = field(default_factory=list)
    """Audit entries written before salted hashing: they cannot be tombstoned."""
    is_user: bool = False


def scrub(value: Any, person: Person, *, attended: bool = False) -> Any:
    """`value` (text or JSON-like) with every mention of the person replaced."""
    if isinstance(value, str):
        return person.pattern_for(attended=attended).sub(ERASED, value)
    if isinstance(value, list):
        return [scrub(v, person, attended=attended) for v in value]
    if isinstance(value, dict):
        return {k: scrub(v, person, attended=attended) for k, v in value.items()}
    return value


def erase_person(db: Database, *, person: Person, actor: str, now: datetime) -> ErasureReport:
    report = ErasureReport(erasure_id=new_id("era"))
    with db.session() as session:
        report.is_user = (
            session.scalar(select(User.id).where(User.email == person.email)) is not None
        )
        _transcripts(session, person, report)
        changed = _changes(session, person, report)
        for table in Base.metadata.sorted_tables:
            if table.name not in _OWN_HANDLING:
                _scrub_table(session, table, person, report)
        _audit(session, person, changed, report, actor=actor, now=now)
    return report


def _spoke(speaker: str, person: Person, attended: bool) -> bool:
    if person.pattern.search(speaker):
        return True
    first = speaker.split("(", 1)[0].strip().split(" ", 1)[0].casefold()
    return attended and first in person.first_names


def _transcripts(session: Session, person: Person, report: ErasureReport) -> None:
    rows = session.execute(select(TranscriptRow, Meeting).join(Meeting)).all()
    for row, meeting in rows:
        attended = any(person.email == str(a).strip().lower() for a in meeting.attendees or ())
        segments = []
        for segment in row.segments:
            if _spoke(str(segment.get("speaker", "")), person, attended):
                segments.append({**segment, "speaker": ERASED, "text": ERASED})
            else:
                segments.append(scrub(segment, person, attended=attended))
        if segments != row.segments:
            row.segments = segments
            report.rows["transcripts"] += 1


def _changes(session: Session, person: Person, report: ErasureReport) -> set[str]:
    """Proposed changes to the person's record lose their values; others lose mentions."""
    theirs: set[str] = set()
    for row in session.scalars(select(ProposedChangeRow)):
        own = (row.contact_email or "").strip().lower() == person.email
        spoken = person.pattern.search(str((row.evidence or {}).get("speaker") or ""))
        if own:
            theirs.add(row.id)
            row.contact_email = ERASED
            row.before = row.after = row.final_value = row.conflict_value = ERASED
        if own or spoken:
            row.evidence = {**(row.evidence or {}), "quote": ERASED, "speaker": ERASED}
            report.rows["proposed_changes"] += 1
            continue
        evidence = scrub(row.evidence, person)
        if evidence != row.evidence:
            row.evidence = evidence
            report.rows["proposed_changes"] += 1
    return theirs


def _scrub_table(session: Session, table: Table, person: Person, report: ErasureReport) -> None:
    columns = [
        c
        for c in table.columns
        if isinstance(c.type, String | Text | JSON)
        and not (c.primary_key or c.foreign_keys or c.unique)
    ]
    keys = list(table.primary_key.columns)
    if not columns or not keys:
        return
    for row in session.execute(select(*keys, *columns)).mappings():
        values = {c.name: scrub(row[c.name], person) for c in columns}
        changed = {k: v for k, v in values.items() if v != row[k]}
        if changed:
            where = [k == row[k.name] for k in keys]
            session.execute(table.update().where(*where).values(**changed))
            report.rows[table.name] += 1


def _audit_keys(entry: AuditEntry, person: Person, theirs: set[str]) -> list[str]:
    """The personal fields of an entry that concern the person."""
    if entry.change_id in theirs:
        return list(ERASABLE_KEYS)
    found = []
    for key in ERASABLE_KEYS:
        value = getattr(entry, key)
        if not is_tombstone(value) and person.pattern.search(json.dumps(value, default=str)):
            found.append(key)
    return found


def _audit(
    session: Session,
    person: Person,
    theirs: set[str],
    report: ErasureReport,
    *,
    actor: str,
    now: datetime,
) -> None:
    erased: dict[int, list[str]] = {}
    for entry in list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq))):
        keys = _audit_keys(entry, person, theirs)
        if not keys:
            continue
        if audit_log.tombstone(session, entry.seq, keys, report.erasure_id):
            erased[entry.seq] = keys
        else:
            report.kept_legacy.append(entry.seq)
    if erased:
        audit_log.append(
            session,
            erasure_content(
                erasure_id=report.erasure_id, entries=erased, actor=actor, at=now.isoformat()
            ),
        )
    report.audit_entries = sorted(erased)


@dataclass(frozen=True, kw_only=True)
class PurgeReport:
    transcripts: int
    audio_folders: int


def purge_expired(
    db: Database,
    *,
    now: datetime,
    retention_days: int,
    audio_hours: int,
    temp_root: Path | None = None,
) -> PurgeReport:
    """Delete transcripts past retention and audio folders a killed worker left behind."""
    cutoff = now - timedelta(days=retention_days)
    with db.session() as session:
        result = session.execute(delete(TranscriptRow).where(TranscriptRow.created_at < cutoff))
        deleted = int(getattr(result, "rowcount", 0) or 0)
    oldest = (now - timedelta(hours=audio_hours)).timestamp()
    removed = 0
    for folder in (temp_root or Path(tempfile.gettempdir())).glob(AUDIO_FOLDERS):
        if folder.is_dir() and folder.stat().st_mtime < oldest:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return PurgeReport(transcripts=deleted, audio_folders=removed)
