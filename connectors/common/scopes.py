"""Field scopes: the canonical fields a connector may read and write, checked before any request.

A write names fields by the record's attributes (`amount`) or canonically (`deal.amount`); a
field of another object, a field outside the scope, or a value not in canonical form is refused
with a `CrmError` before the connector sends anything.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Final

from agent.domain.fields import DEFAULT_POLICY, FieldKind, FieldPolicy
from agent.domain.models import FieldRef, FieldValueT, ObjectType
from agent.errors import CrmError

_ISO_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, kw_only=True)
class FieldScope:
    system: str
    readable: frozenset[str]
    writable: frozenset[str]
    policy: FieldPolicy = DEFAULT_POLICY

    @classmethod
    def default(cls, system: str, *, writable: Iterable[str] | None = None) -> FieldScope:
        """Read every canonical field; write the policy's writable ones (or those named)."""
        policy = DEFAULT_POLICY
        chosen = (
            frozenset(f.name for f in policy.writable) if writable is None else frozenset(writable)
        )
        readable = frozenset(f.name for f in policy.fields)
        if unknown := sorted(chosen - readable):
            raise CrmError(f"no canonical fields {unknown}", system=system, code="UNKNOWN_FIELD")
        return cls(system=system, readable=readable, writable=chosen, policy=policy)

    def _refuse(self, message: str, code: str) -> CrmError:
        return CrmError(message, system=self.system, code=code)

    def check_read(self, refs: Iterable[FieldRef]) -> None:
        for ref in refs:
            if ref.field not in self.readable:
                raise self._refuse(
                    f"field {ref.field!r} is outside this connector's read scope",
                    "FIELD_NOT_READABLE",
                )
            if not ref.field.startswith(f"{ref.object_type.value}."):
                raise self._refuse(
                    f"field {ref.field!r} does not belong to a {ref.object_type.value}",
                    "UNKNOWN_FIELD",
                )

    def check_write(
        self, object_type: ObjectType, values: Mapping[str, FieldValueT]
    ) -> dict[str, FieldValueT]:
        """`values` keyed canonically, each checked for scope and canonical form."""
        if not values:
            raise self._refuse("a write needs at least one field", "EMPTY_WRITE")
        qualified: dict[str, FieldValueT] = {}
        for key, value in values.items():
            name = key if "." in key else f"{object_type.value}.{key}"
            if name in qualified:
                raise self._refuse(f"field {name!r} given twice", "DUPLICATE_FIELD")
            qualified[name] = value
        refused = sorted(
            n
            for n in qualified
            if n not in self.writable or not n.startswith(f"{object_type.value}.")
        )
        if refused:
            raise self._refuse(
                f"fields outside this connector's write scope: {refused}", "FIELD_NOT_WRITABLE"
            )
        for name, value in qualified.items():
            spec = self.policy.spec(name)
            assert spec is not None
            check_canonical(self.system, name, spec.kind, value)
        return qualified


def check_canonical(system: str, field: str, kind: FieldKind, value: FieldValueT) -> None:
    """Refuse anything not already canonical: a real CRM would refuse it too."""

    def invalid(why: str) -> CrmError:
        return CrmError(f"{field}: {value!r} {why}", system=system, code="INVALID_VALUE")

    if value is None:
        if kind is FieldKind.PICKLIST:
            raise invalid("is required")
        return
    if kind is FieldKind.AMOUNT:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise invalid("is not a number")
        if not math.isfinite(value) or value < 0:
            raise invalid("is not a valid amount")
    elif kind is FieldKind.DATE:
        if isinstance(value, str) and _ISO_DATE.fullmatch(value):
            with contextlib.suppress(ValueError):
                date.fromisoformat(value)
                return
        raise invalid("is not an ISO date (YYYY-MM-DD)")
    elif kind is FieldKind.NAME_LIST:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise invalid("is not a list of names")
    elif not isinstance(value, str):
        raise invalid("is not text")
    elif kind is FieldKind.EMAIL and "@" not in value:
        raise invalid("is not an email address")
    elif kind is FieldKind.PICKLIST and not value.strip():
        raise invalid("is required")
