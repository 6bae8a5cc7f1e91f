"""Canonical fields to Salesforce fields and back, and Salesforce records to domain models."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from datetime import date, datetime
from typing import Any, Final

from agent.domain.fields import DEFAULT_POLICY, FieldKind
from agent.domain.identity import normalize_domain
from agent.domain.models import Contact, FieldValueT, ObjectType, Task
from connectors.salesforce.wire import parse_stamp

SOBJECTS: Final = {
    ObjectType.DEAL: "Opportunity",
    ObjectType.CONTACT: "Contact",
    ObjectType.ACCOUNT: "Account",
}

DEFAULT_FIELDS: Final = {
    "deal.stage": "StageName",
    "deal.amount": "Amount",
    "deal.close_date": "CloseDate",
    "deal.next_step": "NextStep",
    "deal.competitors": "Engage_Competitors__c",
    "contact.title": "Title",
    "contact.phone": "Phone",
    "contact.email": "Email",
    "account.name": "Name",
    "account.domain": "Website",
}
"""The canonical catalogue's Salesforce names; `ENGAGE_CRM_FIELD_MAP` may rename any of them."""

CONTACT_KEY: Final = "Engage_Email_Key__c"
ACCOUNT_KEY: Final = "Engage_Domain_Key__c"
TASK_KEY: Final = "Engage_Key__c"


def kind_of(field: str) -> FieldKind:
    spec = DEFAULT_POLICY.spec(field)
    return spec.kind if spec is not None else FieldKind.TEXT


def to_salesforce(field: str, value: FieldValueT) -> Any:
    """A canonical value as Salesforce takes it; multi-select picklists join with `;`."""
    if value is None:
        return None
    if kind_of(field) is FieldKind.NAME_LIST and isinstance(value, list):
        return ";".join(" ".join(v.split()) for v in value if v.strip()) or None
    if kind_of(field) is FieldKind.AMOUNT and isinstance(value, int | float):
        return float(value)
    return value


def from_salesforce(field: str, raw: Any) -> FieldValueT:
    kind = kind_of(field)
    if kind is FieldKind.NAME_LIST:
        return [v for v in str(raw).split(";") if v] if raw else []
    if raw is None:
        return None
    if kind is FieldKind.AMOUNT:
        return float(raw)
    if field == "account.domain":
        with suppress(ValueError):
            return normalize_domain(str(raw))
    return str(raw) if not isinstance(raw, bool) else raw


def day(raw: Any) -> date | None:
    return date.fromisoformat(str(raw)) if raw else None


def stamp(raw: Any) -> datetime:
    return parse_stamp(str(raw))


def nested(record: Mapping[str, Any], path: str) -> Any:
    """`Account.Name` of a SOQL record, None when a parent is missing."""
    current: Any = record
    for part in path.split("."):
        if not isinstance(current, Mapping):
            return None
        current = current.get(part)
    return current


def children(record: Mapping[str, Any], relationship: str) -> list[Mapping[str, Any]]:
    found = record.get(relationship)
    return list(found.get("records", [])) if isinstance(found, Mapping) else []


def to_contact(role: Mapping[str, Any]) -> Contact:
    contact = role.get("Contact") or {}
    return Contact(
        id=str(contact.get("Id")),
        name=str(contact.get("Name") or ""),
        email=str(contact.get("Email") or ""),
        title=contact.get("Title"),
        phone=contact.get("Phone"),
        role=role.get("Role"),
    )


def to_task(row: Mapping[str, Any]) -> Task:
    return Task(
        id=str(row["Id"]),
        subject=str(row.get("Subject") or ""),
        due=day(row.get("ActivityDate")),
        owner=nested(row, "Owner.Name"),
        done=bool(row.get("IsClosed")),
    )
