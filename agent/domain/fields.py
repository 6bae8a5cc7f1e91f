"""The canonical field catalogue and the default field policy.

Engage speaks canonical fields (`deal.amount`, `contact.title`, …); connectors map them to their
CRM. The policy says which of them Engage may write and which need the rep's explicit tick.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from agent.domain.models import ObjectType


class FieldKind(StrEnum):
    TEXT = "text"
    AMOUNT = "amount"
    DATE = "date"
    PICKLIST = "picklist"
    NAME_LIST = "name_list"
    EMAIL = "email"
    PHONE = "phone"


@dataclass(frozen=True, kw_only=True)
class FieldSpec:
    name: str
    object_type: ObjectType
    kind: FieldKind
    label: str
    writable: bool = True
    critical: bool = False
    owner: str = "crm"
    """The system that owns the value (survivorship): `crm` means a person's CRM edit wins."""

    @property
    def attribute(self) -> str:
        """The field's name on its object, e.g. `amount` for `deal.amount`."""
        return self.name.split(".", 1)[1]


CANONICAL_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        name="deal.stage",
        object_type=ObjectType.DEAL,
        kind=FieldKind.PICKLIST,
        label="Stage",
        critical=True,
    ),
    FieldSpec(
        name="deal.amount",
        object_type=ObjectType.DEAL,
        kind=FieldKind.AMOUNT,
        label="Amount",
        critical=True,
    ),
    FieldSpec(
        name="deal.close_date",
        object_type=ObjectType.DEAL,
        kind=FieldKind.DATE,
        label="Close date",
        critical=True,
    ),
    FieldSpec(
        name="deal.next_step", object_type=ObjectType.DEAL, kind=FieldKind.TEXT, label="Next step"
    ),
    FieldSpec(
        name="deal.competitors",
        object_type=ObjectType.DEAL,
        kind=FieldKind.NAME_LIST,
        label="Competitors",
    ),
    FieldSpec(
        name="contact.title", object_type=ObjectType.CONTACT, kind=FieldKind.TEXT, label="Title"
    ),
    FieldSpec(
        name="contact.phone", object_type=ObjectType.CONTACT, kind=FieldKind.PHONE, label="Phone"
    ),
    FieldSpec(
        name="contact.email",
        object_type=ObjectType.CONTACT,
        kind=FieldKind.EMAIL,
        label="Email",
        critical=True,
    ),
    FieldSpec(
        name="account.name",
        object_type=ObjectType.ACCOUNT,
        kind=FieldKind.TEXT,
        label="Account name",
        writable=False,
    ),
    FieldSpec(
        name="account.domain",
        object_type=ObjectType.ACCOUNT,
        kind=FieldKind.TEXT,
        label="Domain",
        writable=False,
    ),
)


@dataclass(frozen=True, kw_only=True)
class FieldPolicy:
    """Which canonical fields exist for a CRM, and how Engage may treat each."""

    fields: tuple[FieldSpec, ...] = CANONICAL_FIELDS

    def spec(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def writable(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.writable)

    def is_writable(self, name: str) -> bool:
        spec = self.spec(name)
        return spec is not None and spec.writable

    def is_critical(self, name: str) -> bool:
        spec = self.spec(name)
        return spec is not None and spec.critical


DEFAULT_POLICY = FieldPolicy()
