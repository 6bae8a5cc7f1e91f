"""Checks that need Engage's own history, run on a fresh extraction before it is stored.

Two facts live outside the call: what earlier calls of the same deal said (their proposals), and
what Engage itself last wrote to each field (the audit log). A proposed value that contradicts an
earlier call is flagged with both quotes; a field whose CRM value is no longer what Engage wrote
was changed by someone since, so the change is flagged "changed by a person on …" (dated by the
record's own stamp, read through the port) and, where the CRM owns the field, needs its own tick.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.db.tables import AuditEntry, Meeting, Proposal, ProposedChangeRow
from agent.domain.audit import is_tombstone
from agent.domain.consistency import contradiction
from agent.domain.fields import FieldPolicy
from agent.domain.models import (
    EarlierStatement,
    FieldValueT,
    ObjectType,
    ProposedChange,
    ValidatedExtraction,
)
from agent.domain.overwrite import EngageWrite, RecordStamp, person_edit
from agent.domain.ports import CrmReader
from agent.domain.validate import same_value
from agent.errors import EngageError

log = logging.getLogger("engage.consistency")

FieldKey = tuple[str, str]
"""(canonical field, record id)."""
RecordKey = tuple[str, str]
"""(object type, record id)."""


def check_history(
    session: Session,
    *,
    crm: CrmReader,
    meeting: Meeting,
    validated: ValidatedExtraction,
    policy: FieldPolicy,
    meeting_date: date,
) -> ValidatedExtraction:
    """The extraction with cross-call and person-edit flags on its changes."""
    if not validated.changes:
        return validated
    earlier = earlier_statements(session, meeting)
    writes = engage_writes(session, system=crm.system, changes=validated.changes)
    edited = {
        (c.object_type.value, c.object_id)
        for c in validated.changes
        if (found := writes.get((c.field, c.object_id))) is not None
        and not same_value(c.before, found[0].value)
    }
    stamps = record_stamps(crm, edited)
    changes = []
    for change in validated.changes:
        key = (change.field, change.object_id)
        flag = contradiction(change, earlier.get(key), meeting_date=meeting_date)
        if flag is not None:
            change = replace(change, flags=(*change.flags, flag))
        spec = policy.spec(change.field)
        write, written_by = writes.get(key, (None, ""))
        change = person_edit(
            change,
            last_write=write,
            stamp=stamps.get((change.object_type.value, change.object_id)),
            service_account=written_by,
            owner=spec.owner if spec is not None else "crm",
        )
        changes.append(change)
    return replace(validated, changes=tuple(changes))


def _stated(row: ProposedChangeRow) -> FieldValueT:
    value: FieldValueT = row.final_value if row.status == "edited" else row.after
    return value


def earlier_statements(session: Session, meeting: Meeting) -> dict[FieldKey, EarlierStatement]:
    """The latest value each field was given by an earlier call of the meeting's deal.

    Rejected and reverted changes do not count: the rep said they were wrong.
    """
    rows = session.execute(
        select(ProposedChangeRow, Proposal, Meeting)
        .join(Proposal, Proposal.id == ProposedChangeRow.proposal_id)
        .join(Meeting, Meeting.id == Proposal.meeting_id)
        .where(
            Meeting.deal_id == meeting.deal_id,
            Meeting.crm_system == meeting.crm_system,
            Meeting.id != meeting.id,
            Meeting.start_at < meeting.start_at,
            ProposedChangeRow.status.not_in(("rejected", "reverted")),
        )
        .order_by(Meeting.start_at, Proposal.created_at, ProposedChangeRow.position)
    )
    latest: dict[FieldKey, EarlierStatement] = {}
    for row, proposal, earlier in rows:
        latest[(row.field, row.object_id)] = EarlierStatement(
            value=_stated(row),
            quote=str(row.evidence.get("quote", "")),
            speaker=row.evidence.get("speaker"),
            meeting_id=earlier.id,
            meeting_date=(earlier.end_at or earlier.start_at).date().isoformat(),
            proposal_id=proposal.id,
        )
    return latest


def engage_writes(
    session: Session, *, system: str, changes: Iterable[ProposedChange]
) -> dict[FieldKey, tuple[EngageWrite, str]]:
    """Engage's last audited write of each change's field, with the account it wrote as."""
    found: dict[FieldKey, tuple[EngageWrite, str]] = {}
    for change in changes:
        entry = session.scalar(
            select(AuditEntry)
            .where(
                AuditEntry.target == system,
                AuditEntry.object_type == change.object_type.value,
                AuditEntry.object_id == change.object_id,
                AuditEntry.field == change.field,
            )
            .order_by(AuditEntry.seq.desc())
            .limit(1)
        )
        moment = _moment(entry.written_at) if entry is not None else None
        if entry is not None and moment is not None and not is_tombstone(entry.after):
            write = EngageWrite(value=entry.after, written_at=moment)
            found[(change.field, change.object_id)] = (write, entry.written_by)
    return found


def record_stamps(crm: CrmReader, records: Iterable[RecordKey]) -> dict[RecordKey, RecordStamp]:
    """Who last changed each record and when; a record the CRM will not show has no stamp."""
    stamps: dict[RecordKey, RecordStamp] = {}
    for object_type, object_id in records:
        try:
            record = crm.get_record(ObjectType(object_type), object_id)
        except EngageError as exc:
            log.warning("no stamp for %s %s: %s", object_type, object_id, exc)
            continue
        by = record.get("updated_by")
        stamps[(object_type, object_id)] = RecordStamp(
            updated_at=_moment(record.get("updated_at")),
            updated_by=str(by) if by not in (None, "") else None,
        )
    return stamps


def _moment(value: object) -> datetime | None:
    """A CRM's or the audit log's timestamp text as an aware UTC datetime (naive means UTC)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
