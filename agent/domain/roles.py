"""Who spoke for whom: the seller's team (internal) or the customer (external).

Only the customer can state or agree to a deal value, and a next step needs an owner a rep can
act on, so every speaker label of a transcript is placed on a side before anything is extracted.
The evidence, strongest first:

1. a company in the label, "Dana (Acme)": the CRM account's name, an attendee's company domain
   (external) or one of the team's own domains (internal);
2. the label names a CRM contact of the deal, by full name or by a first name only one contact
   has (external);
3. the label names a meeting attendee, matched on the email's local part ("dana.price@…" is
   "Dana Price"), whose domain says the side;
4. on a two-speaker call where one side is known, the other speaker is the other side.

A label none of these place stays `unknown`; consumers decide what that means (the validator
does not demand customer agreement on a call where no customer speaker can be identified).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from agent.domain.identity import normalize_domain, normalize_email
from agent.domain.models import Contact, CrmContext

__all__ = ["Side", "SpeakerRole", "SpeakerRoles", "label_name", "resolve_roles"]

_COMPANY_SUFFIX = re.compile(r"\b(?:inc|ltd|llc|corp|corporation|gmbh|plc|co|company|group)\b")
_GENERIC_LABELS = frozenset({"speaker", "unknown", "customer", "rep", "guest", "participant"})
_GROUP_WORDS = frozenset({"team", "group", "side", "everyone", "all", "room"})
"""A label for several people ("Acme team"): their steps belong to the customer, not a name."""


class Side(StrEnum):
    INTERNAL = "internal"
    EXTERNAL = "external"
    UNKNOWN = "unknown"


@dataclass(frozen=True, kw_only=True)
class SpeakerRole:
    """One speaker label placed on a side, with the CRM contact it names, if any."""

    label: str
    side: Side
    name: str
    """The person's name as best known: the contact's, else the label without its company."""
    contact: Contact | None = None

    @property
    def first_name(self) -> str:
        words = self.name.split()
        return words[0] if words else self.label

    @property
    def owner(self) -> str:
        """A next-step owner: `rep` for the team, the person's first name, else `customer`."""
        if self.side is not Side.EXTERNAL:
            return "rep"
        words = {w.lower() for w in self.name.split()}
        generic = not words or self.name.split()[0].lower() in _GENERIC_LABELS
        return "customer" if generic or words & _GROUP_WORDS else self.first_name


def label_name(label: str) -> str:
    """The person part of a speaker label: "Dana Price (Acme)" → "Dana Price"."""
    return " ".join(re.sub(r"\([^)]*\)|<[^>]*>", " ", label).split())


def _org_key(name: str) -> str:
    return " ".join(_COMPANY_SUFFIX.sub(" ", re.sub(r"[^a-z0-9 ]+", " ", name.lower())).split())


def _domain_key(domain: str) -> str:
    """The company part of a domain: "acmelogistics.com" → "acmelogistics"."""
    return domain.split(".")[0] if domain.count(".") <= 1 else domain.split(".")[-2]


@dataclass(frozen=True)
class _Attendee:
    email: str
    domain: str
    local_words: tuple[str, ...]


class SpeakerRoles:
    """The side and contact of every speaker label of one call.

    Labels of the transcript are placed up front (with the two-speaker inference); a label asked
    about later is placed on demand from the same evidence.
    """

    def __init__(
        self, *, context: CrmContext, people: Sequence[_Attendee], team: frozenset[str]
    ) -> None:
        self._context = context
        self._people = tuple(people)
        self._team = team
        self._roles: dict[str, SpeakerRole] = {}

    def place(self, labels: Sequence[str]) -> None:
        for label in dict.fromkeys(labels):
            self._roles[label] = self._place(label)
        _infer_two_party(self._roles)

    def of(self, label: str) -> SpeakerRole:
        found = self._roles.get(label)
        return found if found is not None else self._place(label)

    def side(self, label: str) -> Side:
        return self.of(label).side

    def is_external(self, label: str) -> bool:
        return self.side(label) is Side.EXTERNAL

    @property
    def customer_known(self) -> bool:
        """Whether any speaker is known to be the customer, so agreement can be checked."""
        return any(role.side is Side.EXTERNAL for role in self._roles.values())

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self._roles)

    def owner_named(self, name: str) -> str | None:
        """The owner a name said in the call stands for ("Omar will send it"), if it is known.

        A customer speaker or contact gives their first name; a team speaker or attendee `rep`.
        """
        wanted = name.strip().lower()
        if not wanted:
            return None
        for role in self._roles.values():
            if role.side is not Side.UNKNOWN and role.first_name.lower() == wanted:
                return role.owner
        contact = _contact_named(wanted, self._context.contacts)
        if contact is not None:
            return contact.name.split()[0]
        team = [a for a in self._people if a.domain in self._team]
        if any(a.local_words[:1] == (wanted,) for a in team):
            return "rep"
        return None

    def _place(self, label: str) -> SpeakerRole:
        return _place(label, context=self._context, people=self._people, team=self._team)


def resolve_roles(
    *,
    labels: Sequence[str],
    context: CrmContext,
    attendees: Sequence[str] = (),
    internal_domains: Iterable[str] = (),
) -> SpeakerRoles:
    """Place each label on a side from the CRM contacts, the attendees and the team's domains.

    `attendees` are the meeting's email addresses (the rep's included); `internal_domains` the
    team's own email domains. Both may be empty: the CRM contacts and labels still decide a lot.
    """
    team = frozenset({_clean_domain(d) for d in internal_domains} - {""})
    people = [a for a in (_attendee(raw) for raw in attendees) if a is not None]
    roles = SpeakerRoles(context=context, people=people, team=team)
    roles.place(labels)
    return roles


def _place(
    label: str, *, context: CrmContext, people: Sequence[_Attendee], team: frozenset[str]
) -> SpeakerRole:
    name = label_name(label)
    by_org = _side_by_org(label, context=context, people=people, team=team)
    contact = _contact_named(name, context.contacts)
    if contact is not None and by_org is not Side.INTERNAL:
        return SpeakerRole(label=label, side=Side.EXTERNAL, name=contact.name, contact=contact)
    if by_org is not None:
        return SpeakerRole(label=label, side=by_org, name=name)
    attendee = _attendee_named(name, people)
    if attendee is not None:
        side = Side.INTERNAL if attendee.domain in team else Side.EXTERNAL
        contact = context.contact_by_email(attendee.email)
        shown = contact.name if contact is not None else name
        return SpeakerRole(label=label, side=side, name=shown, contact=contact)
    return SpeakerRole(label=label, side=Side.UNKNOWN, name=name)


def _side_by_org(
    label: str, *, context: CrmContext, people: Sequence[_Attendee], team: frozenset[str]
) -> Side | None:
    account = _org_key(context.account.name)
    external = {_domain_key(a.domain) for a in people if a.domain not in team}
    if context.account.domain:
        external.add(_domain_key(_clean_domain(context.account.domain)))
    internal = {_domain_key(d) for d in team}
    for org in re.findall(r"\(([^)]*)\)", label):
        key = _org_key(org)
        if not key:
            continue
        squashed = key.replace(" ", "")
        if account and (key.startswith(account) or account.startswith(key)):
            return Side.EXTERNAL
        if squashed in internal:
            return Side.INTERNAL
        if any(squashed == k or (len(squashed) >= 4 and k.startswith(squashed)) for k in external):
            return Side.EXTERNAL
    return None


def _contact_named(name: str, contacts: Sequence[Contact]) -> Contact | None:
    """The one contact a label names, by full name or by a first name only one contact has."""
    lowered = " ".join(name.lower().split())
    if not lowered:
        return None
    full = [c for c in contacts if " ".join(c.name.lower().split()) == lowered]
    if full:
        return full[0] if len(full) == 1 else None
    if len(lowered.split()) > 1:
        return None
    first = [c for c in contacts if c.name.lower().split()[:1] == [lowered]]
    return first[0] if len(first) == 1 else None


def _attendee(raw: str) -> _Attendee | None:
    try:
        email = normalize_email(raw)
        domain = normalize_domain(email)
    except ValueError:
        return None
    words = tuple(w for w in re.split(r"[._-]+", email.split("@")[0]) if w.isalpha())
    return _Attendee(email=email, domain=domain, local_words=words)


def _attendee_named(name: str, people: Sequence[_Attendee]) -> _Attendee | None:
    words = re.findall(r"[a-z]+", name.lower())
    if not words:
        return None
    full = [a for a in people if list(a.local_words) == words]
    if len(full) == 1:
        return full[0]
    first = [a for a in people if a.local_words[:1] == (words[0],)]
    return first[0] if len(first) == 1 else None


def _infer_two_party(placed: dict[str, SpeakerRole]) -> None:
    """On a two-speaker call, one known side places the other speaker on the opposite side."""
    named = [label for label in placed if label_name(label).lower() not in _GENERIC_LABELS]
    if len(placed) != 2 or len(named) != 2:
        return
    first, second = (placed[label] for label in named)
    opposite = {Side.INTERNAL: Side.EXTERNAL, Side.EXTERNAL: Side.INTERNAL}
    for known, other in ((first, second), (second, first)):
        if known.side is not Side.UNKNOWN and other.side is Side.UNKNOWN:
            placed[other.label] = SpeakerRole(
                label=other.label, side=opposite[known.side], name=other.name
            )
            return


def _clean_domain(domain: str) -> str:
    try:
        return normalize_domain(domain)
    except ValueError:
        return ""
