"""The canonical field catalogue and the default field policy.

Engage speaks canonical fields (`deal.amount`, `contact.title`, …); connectors map them to their
CRM. The policy says which of them Engage may write and which need the rep's explicit tick, when
Engage may write over a value already there (`always`, `if_empty`, `never`), which system owns the
value when a person edited it too, how sure a change must be to be proposed, and how far an amount
or a close date may move before the change is flagged for a careful look.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from agent.domain.models import ObjectType


class OverwriteRule(StrEnum):
    ALWAYS = "always"
    """Propose even over a value the CRM holds."""
    IF_EMPTY = "if_empty"
    """Propose only into an empty field; a filled one is listed as mentioned, not proposed."""
    NEVER = "never"
    """Read-only for Engage."""


DEFAULT_MIN_CONFIDENCE = 0.5
"""A floor until `engage eval --calibrate` sets a field's threshold: a change its engine and its
evidence together rate below an even chance is mentioned, not proposed."""


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
    readable: bool = True
    """Whether Engage may read the value (briefs, the model's CRM context); a writable field must
    be readable, since apply re-reads it to find conflicts."""
    writable: bool = True
    critical: bool = False
    owner: str = "crm"
    """The system that owns the value (survivorship): `crm` means a person's CRM edit wins, so a
    change over a value a person set after Engage's last write needs its own tick; `engage`
    means Engage's value wins and such a change is only flagged."""
    overwrite: OverwriteRule = OverwriteRule.ALWAYS
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    """Below this confidence a change is mentioned, not proposed."""
    max_change_ratio: float | None = None
    """An amount moving by more than this factor, up or down, is flagged."""
    max_shift_days: int | None = None
    """A date moving by more than this many days is flagged (one moved into the past always is)."""

    @property
    def attribute(self) -> str:
        """The field's name on its object, e.g. `amount` for `deal.amount`."""
        return self.name.split(".", 1)[1]

    def __post_init__(self) -> None:
        """`never` makes a field read-only everywhere (validator, engine schema, connectors);
        out-of-range numbers are refused, so a policy file cannot switch a guard off by typo."""
        if self.overwrite is OverwriteRule.NEVER and self.writable:
            object.__setattr__(self, "writable", False)
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ValueError(f"min_confidence must be between 0 and 1, not {self.min_confidence}")
        if self.max_change_ratio is not None and self.max_change_ratio < 1.0:
            raise ValueError(f"max_change_ratio must be at least 1, not {self.max_change_ratio}")
        if self.max_shift_days is not None and self.max_shift_days < 0:
            raise ValueError(f"max_shift_days must be at least 0, not {self.max_shift_days}")

    @property
    def rule(self) -> OverwriteRule:
        """The overwrite rule in force: a field Engage may not write is `never`, whatever it
        says."""
        return self.overwrite if self.writable else OverwriteRule.NEVER


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
        max_change_ratio=1.5,
    ),
    FieldSpec(
        name="deal.close_date",
        object_type=ObjectType.DEAL,
        kind=FieldKind.DATE,
        label="Close date",
        critical=True,
        max_shift_days=90,
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
        overwrite=OverwriteRule.NEVER,
    ),
    FieldSpec(
        name="account.domain",
        object_type=ObjectType.ACCOUNT,
        kind=FieldKind.TEXT,
        label="Domain",
        writable=False,
        overwrite=OverwriteRule.NEVER,
    ),
)


@dataclass(frozen=True, kw_only=True)
class FieldPolicy:
    """Which canonical fields exist for a CRM, and how Engage may treat each."""

    fields: tuple[FieldSpec, ...] = CANONICAL_FIELDS
    source: str = field(default="built-in", compare=False)
    """Where the policy came from (a policy file's path), for messages that cite it."""

    def spec(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def writable(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.writable)

    def is_writable(self, name: str) -> bool:
        spec = self.spec(name)
        return spec is not None and spec.writable

    def is_readable(self, name: str) -> bool:
        spec = self.spec(name)
        return spec is not None and spec.readable

    def is_critical(self, name: str) -> bool:
        spec = self.spec(name)
        return spec is not None and spec.critical


DEFAULT_POLICY = FieldPolicy()
