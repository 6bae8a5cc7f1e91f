"""The field mapping file (`ENGAGE_CRM_FIELD_MAP`): per CRM, vendor field names that differ from
the defaults and the canonical fields Engage may write.

    {"salesforce": {"fields": {"deal.competitors": "Competitors__c"},
                    "writable": ["deal.stage", "deal.amount", "deal.close_date"]},
     "hubspot": {"fields": {"deal.next_step": "next_step_custom"}}}

A section may be left out; an unknown canonical field is a configuration error at start.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from agent.errors import ConfigError


@dataclass(frozen=True, kw_only=True)
class FieldMapping:
    fields: dict[str, str]
    writable: frozenset[str] | None = None


def load_mapping(path: Path | None, system: str, defaults: Mapping[str, str]) -> FieldMapping:
    if path is None:
        return FieldMapping(fields=dict(defaults))
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"bad setting ENGAGE_CRM_FIELD_MAP: cannot read {path}: {exc}") from None
    section = data.get(system, {}) if isinstance(data, dict) else None
    if not isinstance(section, dict):
        raise ConfigError(f"bad setting ENGAGE_CRM_FIELD_MAP: {system!r} must be an object")
    overrides = section.get("fields", {})
    writable = section.get("writable")
    if not isinstance(overrides, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in overrides.items()
    ):
        raise ConfigError(f"bad setting ENGAGE_CRM_FIELD_MAP: {system}.fields must map names")
    if unknown := sorted(set(overrides) - set(defaults)):
        raise ConfigError(f"bad setting ENGAGE_CRM_FIELD_MAP: unknown fields {unknown}")
    if writable is not None and (
        not isinstance(writable, list) or not all(isinstance(w, str) for w in writable)
    ):
        raise ConfigError(f"bad setting ENGAGE_CRM_FIELD_MAP: {system}.writable must list names")
    return FieldMapping(
        fields={**defaults, **overrides},
        writable=frozenset(writable) if writable is not None else None,
    )
