"""One record's compare-and-set write, shared by apply and rollback.

Re-read the fields; a field already holding its target is done (a re-run after a crash writes
nothing twice); a field that no longer holds the value it was expected to hold is a conflict; the
rest are written together in one call guarded by the record's version, retried from the re-read
when the version moved in between.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agent.domain.models import FieldRef, FieldValueT, ObjectType, RecordWrite
from agent.domain.ports import CrmPort
from agent.domain.validate import same_value

MAX_VERSION_RACES = 3


@dataclass(frozen=True, kw_only=True)
class GuardedChange:
    key: str
    """The caller's id for this change (a proposed change, a revert)."""
    field: str
    expected: FieldValueT
    """The value the CRM must still hold for the write to go ahead."""
    target: FieldValueT


@dataclass(frozen=True, kw_only=True)
class GuardedOutcome:
    key: str
    status: str
    """`applied`, `conflict` or `failed`."""
    current: FieldValueT = None
    error: str | None = None
    wrote: bool = False


def write_guarded(
    crm: CrmPort, *, object_type: str, object_id: str, changes: Sequence[GuardedChange]
) -> list[GuardedOutcome]:
    """Outcomes in the order of `changes`; raises what the CRM raises (CrmError, transient)."""
    kind = ObjectType(object_type)
    refs = [FieldRef(object_type=kind, object_id=object_id, field=c.field) for c in changes]
    for _ in range(MAX_VERSION_RACES):
        current = crm.read_values(refs)
        version = current[0].version if current else ""
        outcomes: list[GuardedOutcome] = []
        to_write: dict[str, FieldValueT] = {}
        for change, now in zip(changes, current, strict=True):
            if same_value(now.value, change.target):
                outcomes.append(GuardedOutcome(key=change.key, status="applied"))
            elif not same_value(now.value, change.expected):
                outcomes.append(
                    GuardedOutcome(key=change.key, status="conflict", current=now.value)
                )
            else:
                to_write[change.field.split(".", 1)[1]] = change.target
                outcomes.append(GuardedOutcome(key=change.key, status="applied", wrote=True))
        if not to_write:
            return outcomes
        write = RecordWrite(
            object_type=kind, object_id=object_id, values=to_write, expected_version=version
        )
        if crm.write_record(write).ok:
            return outcomes
    reason = "the record kept changing while Engage tried to write it"
    return [GuardedOutcome(key=c.key, status="failed", error=reason) for c in changes]
