"""Overwrite rules and survivorship: when Engage may write over what the CRM holds.

Each field's policy says `always` (propose even over a value), `if_empty` (propose only into an
empty field) or `never` (read-only for Engage); a change the rule keeps out is listed as
mentioned, not proposed, with the reason. Survivorship decides what happens when a person edited
a field after Engage last wrote it: the CRM still shows the person's value, not Engage's, so the
change is flagged "changed by a person on …", and when the CRM owns the field the change also
needs the rep's own tick (it becomes critical), so "approve all" never overwrites a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from agent.domain.display import shown
from agent.domain.fields import FieldPolicy, OverwriteRule
from agent.domain.models import ChangeFlag, FieldValueT, MentionedChange, ProposedChange
from agent.domain.validate import same_value

__all__ = ["EngageWrite", "RecordStamp", "apply_overwrite_rules", "is_empty", "person_edit"]


def is_empty(value: FieldValueT) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def apply_overwrite_rules(
    changes: Sequence[ProposedChange], policy: FieldPolicy
) -> tuple[list[ProposedChange], list[MentionedChange]]:
    """Split changes into those the fields' overwrite rules allow and those they hold back."""
    allowed: list[ProposedChange] = []
    held: list[MentionedChange] = []
    for change in changes:
        spec = policy.spec(change.field)
        rule = spec.rule if spec is not None else OverwriteRule.NEVER
        if rule is OverwriteRule.NEVER:
            reason = f"{change.field} is read-only for Engage (field policy: never)"
            held.append(MentionedChange(change=change, reason=reason))
        elif rule is OverwriteRule.IF_EMPTY and not is_empty(change.before):
            reason = (
                f"the CRM already holds a value and the field policy fills {change.field} "
                "only when it is empty"
            )
            held.append(MentionedChange(change=change, reason=reason))
        else:
            allowed.append(change)
    return allowed, held


@dataclass(frozen=True, kw_only=True)
class EngageWrite:
    """Engage's last write of one field, from the audit log."""

    value: FieldValueT
    written_at: datetime


@dataclass(frozen=True, kw_only=True)
class RecordStamp:
    """Who last changed a CRM record and when, as the connector's `get_record` reports it."""

    updated_at: datetime | None
    updated_by: str | None


def person_edit(
    change: ProposedChange,
    *,
    last_write: EngageWrite | None,
    stamp: RecordStamp | None,
    service_account: str,
    owner: str,
) -> ProposedChange:
    """The change, flagged when the CRM no longer holds what Engage last wrote to the field.

    CRMs stamp records, not fields, so the field-level fact comes from the audit log: Engage
    wrote X, the CRM shows Y now. The record's stamp dates the edit when it is newer than
    Engage's write and was not made by Engage's own service account.
    """
    if last_write is None or same_value(change.before, last_write.value):
        return change
    when = _person_moment(stamp, last_write, service_account)
    if when is not None and stamp is not None:
        who = f" by {stamp.updated_by}" if stamp.updated_by else ""
        message = f"changed by a person on {when:%Y-%m-%d %H:%M} UTC{who}"
    else:
        message = f"changed in the CRM after Engage wrote it on {last_write.written_at:%Y-%m-%d}"
    message += (
        f" (Engage wrote {shown(last_write.value)}, the CRM now holds {shown(change.before)})"
    )
    flagged = replace(
        change, flags=(*change.flags, ChangeFlag(kind="person_edit", message=message))
    )
    return replace(flagged, critical=True) if owner == "crm" else flagged


def _person_moment(
    stamp: RecordStamp | None, last_write: EngageWrite, service_account: str
) -> datetime | None:
    """When the record was last changed, if after Engage's write and not by Engage itself."""
    if stamp is None or stamp.updated_at is None or stamp.updated_at <= last_write.written_at:
        return None
    if (stamp.updated_by or "").casefold() == service_account.casefold():
        return None
    return stamp.updated_at
