"""Canonical fields to Pipedrive fields and back. Next step and competitors are deal custom
fields: Pipedrive names them by 40-character hash keys, which the field mapping file supplies
(`"deal.next_step": "custom_fields.<key>"`)."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from typing import Any, Final

from agent.domain.fields import DEFAULT_POLICY, FieldKind
from agent.domain.identity import normalize_domain
from agent.domain.models import FieldValueT, ObjectType

KINDS: Final = {
    ObjectType.DEAL: "deals",
    ObjectType.CONTACT: "persons",
    ObjectType.ACCOUNT: "organizations",
}

DEFAULT_FIELDS: Final = {
    "deal.stage": "stage_id",
    "deal.amount": "value",
    "deal.close_date": "expected_close_date",
    "deal.next_step": "custom_fields.engage_next_step",
    "deal.competitors": "custom_fields.engage_competitors",
    "contact.title": "job_title",
    "contact.phone": "phones",
    "contact.email": "emails",
    "account.name": "name",
    "account.domain": "website",
}
MARKER: Final = "<!-- engage:{} -->"


def kind_of(field: str) -> FieldKind:
    spec = DEFAULT_POLICY.spec(field)
    return spec.kind if spec is not None else FieldKind.TEXT


def read_raw(row: Mapping[str, Any], name: str) -> Any:
    if name.startswith("custom_fields."):
        return (row.get("custom_fields") or {}).get(name.split(".", 1)[1])
    return row.get(name)


def primary(items: Any) -> str | None:
    """The primary value of Pipedrive's `emails` / `phones` lists."""
    if not isinstance(items, list) or not items:
        return None
    chosen = next((i for i in items if i.get("primary")), items[0])
    return str(chosen.get("value")) if chosen.get("value") else None


def from_pipedrive(field: str, raw: Any, stage_names: Mapping[int, str]) -> FieldValueT:
    kind = kind_of(field)
    if field in ("contact.email", "contact.phone"):
        return primary(raw)
    if kind is FieldKind.NAME_LIST:
        return [v for v in str(raw or "").split(";") if v]
    if raw is None or raw == "":
        return None
    if kind is FieldKind.PICKLIST:
        return stage_names.get(int(raw), str(raw))
    if kind is FieldKind.AMOUNT:
        return float(raw)
    if field == "account.domain":
        with suppress(ValueError):
            return normalize_domain(str(raw))
    return str(raw)


def to_pipedrive(field: str, value: FieldValueT, stage_ids: Mapping[str, int]) -> Any:
    kind = kind_of(field)
    if value is None:
        return None
    if field in ("contact.email", "contact.phone"):
        return [{"value": value, "primary": True, "label": "work"}]
    if kind is FieldKind.PICKLIST:
        return stage_ids[str(value)]
    if kind is FieldKind.AMOUNT and isinstance(value, int | float):
        return float(value)
    if kind is FieldKind.NAME_LIST and isinstance(value, list):
        return ";".join(" ".join(v.split()) for v in value if v.strip())
    return value


def body_for(fields: Mapping[str, str], values: Mapping[str, Any]) -> dict[str, Any]:
    """A PATCH body: plain fields at the top, custom fields under `custom_fields`."""
    body: dict[str, Any] = {}
    for canonical, value in values.items():
        name = fields[canonical]
        if name.startswith("custom_fields."):
            body.setdefault("custom_fields", {})[name.split(".", 1)[1]] = value
        else:
            body[name] = value
    return body
