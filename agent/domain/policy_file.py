"""The field policy as a TOML file RevOps edits: one file per CRM, one table per canonical field.

```toml
crm = "salesforce"

[fields."deal.amount"]
readable = true
writable = true
critical = true
owner = "crm"
```

The catalogue (`agent.domain.fields.CANONICAL_FIELDS`) fixes what a field *is* (its name, object
and kind); the file decides how Engage may treat it. Any other attribute of `FieldSpec` may be
set, so an attribute added there is editable here without touching this parser. The parser is
strict because a typo must not widen what Engage may write: an unknown field, key or value is
refused, and a canonical field the file does not name is read-only (least privilege when an
upgrade adds a field). Rules that tie attributes together: a writable field is readable (apply
re-reads it to find conflicts), and a field owned by a third system (`owner = "erp"`) is not
writable, since that system's value survives whatever Engage writes.
"""

from __future__ import annotations

import tomllib
import types
from dataclasses import fields as dataclass_fields
from dataclasses import replace
from enum import Enum
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from agent.domain.fields import CANONICAL_FIELDS, FieldPolicy, FieldSpec

__all__ = ["FIXED_ATTRIBUTES", "PolicyFileError", "editable_attributes", "parse_policy"]

FIXED_ATTRIBUTES = frozenset({"name", "object_type", "kind"})
"""What the catalogue decides and a policy file cannot change."""
WRITING_OWNERS = frozenset({"crm", "engage"})
"""Owners under which Engage may write a field: the CRM itself (a person's edit there wins at
apply time, as a conflict) or Engage."""
_TOP_KEYS = frozenset({"crm", "fields"})


class PolicyFileError(ValueError):
    """The file cannot be used; the message names the file and the problem."""


def editable_attributes() -> dict[str, Any]:
    """Every `FieldSpec` attribute a file may set, with its resolved type."""
    hints = get_type_hints(FieldSpec)
    return {
        f.name: hints[f.name]
        for f in dataclass_fields(FieldSpec)
        if f.name not in FIXED_ATTRIBUTES and f.init
    }


def parse_policy(text: str, *, source: str, crm: str | None = None) -> FieldPolicy:
    """The policy a file's text describes; `crm`, when given, must be the file's own `crm`."""

    def bad(problem: str) -> PolicyFileError:
        return PolicyFileError(f"field policy {source}: {problem}")

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise bad(f"not valid TOML ({exc})") from None
    if unknown := sorted(set(data) - _TOP_KEYS):
        raise bad(f"unknown top-level key(s) {', '.join(unknown)}; expected crm and [fields]")
    declared = data.get("crm")
    if not isinstance(declared, str) or not declared:
        raise bad('the file must say which CRM it is for, e.g. crm = "salesforce"')
    if crm is not None and declared != crm:
        raise bad(f"written for crm {declared!r}, but Engage is connected to {crm!r}")
    table = data.get("fields")
    if not isinstance(table, dict) or not table:
        raise bad('no [fields."…"] tables: the file names no field')
    known = {spec.name for spec in CANONICAL_FIELDS}
    if unknown := sorted(set(table) - known):
        raise bad(f"unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    attributes = editable_attributes()
    specs = []
    for base in CANONICAL_FIELDS:
        entry = table.get(base.name)
        if entry is None:
            specs.append(replace(base, writable=False))
            continue
        if not isinstance(entry, dict):
            raise bad(f"{base.name} must be a table of attributes")
        try:
            specs.append(_apply(base, entry, attributes))
        except ValueError as exc:
            raise bad(f"{base.name}: {exc}") from None
    if not any(spec.writable for spec in specs):
        raise bad("no field is writable, so Engage could propose nothing")
    return FieldPolicy(fields=tuple(specs), source=source)


def _apply(base: FieldSpec, entry: dict[str, Any], attributes: dict[str, Any]) -> FieldSpec:
    if fixed := sorted(set(entry) & FIXED_ATTRIBUTES):
        raise ValueError(f"{', '.join(fixed)} is fixed by the catalogue and cannot be set")
    if unknown := sorted(set(entry) - set(attributes)):
        raise ValueError(
            f"unknown attribute(s) {', '.join(unknown)}; allowed: {', '.join(sorted(attributes))}"
        )
    changes = {key: _coerce(key, attributes[key], value) for key, value in entry.items()}
    spec = replace(base, **changes)
    if spec.writable and not spec.readable:
        raise ValueError("a writable field must be readable (apply re-reads it for conflicts)")
    owner = getattr(spec, "owner", "crm")
    if spec.writable and owner not in WRITING_OWNERS:
        raise ValueError(f"owned by {owner!r}, whose value wins, so it cannot be writable")
    return spec


def _coerce(key: str, hint: Any, value: Any) -> Any:
    """`value` as the attribute's type, or a `ValueError` that says what was expected."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:
            return _coerce(key, options[0], value)
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise ValueError(f"{key} must be true or false, not {value!r}")
    if hint is str:
        if isinstance(value, str) and value.strip():
            return value.strip()
        raise ValueError(f"{key} must be a non-empty string, not {value!r}")
    if hint in (int, float):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return hint(value)
        raise ValueError(f"{key} must be a number, not {value!r}")
    if origin is Literal:
        if value in args:
            return value
        raise ValueError(f"{key} must be one of {', '.join(map(str, args))}, not {value!r}")
    if isinstance(hint, type) and issubclass(hint, Enum):
        choices = [member.value for member in hint]
        if value in choices:
            return hint(value)
        raise ValueError(f"{key} must be one of {', '.join(map(str, choices))}, not {value!r}")
    if origin in (tuple, frozenset, list) and isinstance(value, list):
        item = args[0] if args else str
        items = [_coerce(key, item, v) for v in value]
        if origin is list:
            return items
        return frozenset(items) if origin is frozenset else tuple(items)
    raise ValueError(f"{key} cannot be set to {value!r} from a policy file")
