"""Canonical fields to HubSpot properties and back. Every HubSpot property travels as a string;
stages are internal ids in HubSpot and labels in Engage."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from typing import Any, Final

from agent.domain.fields import DEFAULT_POLICY, FieldKind
from agent.domain.identity import normalize_domain
from agent.domain.models import FieldValueT, ObjectType

KINDS: Final = {
    ObjectType.DEAL: "deals",
    ObjectType.CONTACT: "contacts",
    ObjectType.ACCOUNT: "companies",
}

DEFAULT_FIELDS: Final = {
    "deal.stage": "dealstage",
    "deal.amount": "amount",
    "deal.close_date": "closedate",
    "deal.next_step": "hs_next_step",
    "deal.competitors": "engage_competitors",
    "contact.title": "jobtitle",
    "contact.phone": "phone",
    "contact.email": "email",
    "account.name": "name",
    "account.domain": "domain",
}
NAMES: Final = {
    ObjectType.DEAL: ("dealname", "pipeline", "hs_is_closed", "hubspot_owner_id"),
    ObjectType.CONTACT: ("firstname", "lastname", "associatedcompanyid"),
    ObjectType.ACCOUNT: (),
}
KEY_PROPERTY: Final = "engage_key"
DOMAIN_KEY: Final = "engage_domain_key"
NOTE_TO_DEAL: Final = 214
TASK_TO_DEAL: Final = 216


def kind_of(field: str) -> FieldKind:
    spec = DEFAULT_POLICY.spec(field)
    return spec.kind if spec is not None else FieldKind.TEXT


def to_hubspot(field: str, value: FieldValueT, stage_ids: Mapping[str, str]) -> str:
    """A canonical value as a HubSpot property string; `stage_ids` maps labels to ids."""
    if value is None:
        return ""
    kind = kind_of(field)
    if kind is FieldKind.PICKLIST:
        return stage_ids[str(value)]
    if kind is FieldKind.AMOUNT and isinstance(value, int | float):
        return f"{float(value):.2f}"
    if kind is FieldKind.DATE:
        return f"{value}T00:00:00Z"
    if kind is FieldKind.NAME_LIST and isinstance(value, list):
        return ";".join(" ".join(v.split()) for v in value if v.strip())
    return str(value)


def from_hubspot(field: str, raw: Any, stage_labels: Mapping[str, str]) -> FieldValueT:
    kind = kind_of(field)
    text = "" if raw is None else str(raw)
    if kind is FieldKind.NAME_LIST:
        return [v for v in text.split(";") if v]
    if not text:
        return None
    if kind is FieldKind.PICKLIST:
        return stage_labels.get(text, text)
    if kind is FieldKind.AMOUNT:
        return float(text)
    if kind is FieldKind.DATE:
        return text[:10]
    if field == "account.domain":
        with suppress(ValueError):
            return normalize_domain(text)
    return text
