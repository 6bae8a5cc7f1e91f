"""Shadow mode: Engage proposes but writes nothing, and later measures itself against the CRM.

RevOps switches writes on per connector (`ENGAGE_SHADOW_CRMS`) or per team of reps
(`ENGAGE_SHADOW_TEAMS`) only once it trusts what Engage would have written. Meanwhile each
proposal is stamped `shadow` when it is made (a later switch never writes an old proposal
behind the reps' backs), the apply path refuses to write it — each approved change says so — and
the report compares every proposed value with what the CRM shows after the reps' own edits:

- `matched`: the CRM now holds Engage's value (the rep made the same edit by hand);
- `other_value`: the rep changed the field, to something else;
- `not_made`: the field still holds the value the proposal was made on;
- `missed`: a field of the deal or its contacts a rep changed that Engage did not propose (read
  for the newest shadow proposal of each deal, against the CRM snapshot kept with it).

Would-have-been accuracy is `matched / (proposed + missed)`: the share of all the edits either
side wanted that Engage would have got right.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.db.tables import Meeting, Proposal, ProposedChangeRow, User
from agent.domain.models import FieldRef, FieldValueT, ObjectType
from agent.domain.ports import CrmReader
from agent.domain.validate import same_value
from agent.errors import NotFound

log = logging.getLogger("engage.shadow")

OUTCOMES = ("matched", "other_value", "not_made", "missed")
DEAL_FIELDS = ("deal.stage", "deal.amount", "deal.close_date", "deal.competitors")
CONTACT_FIELDS = ("contact.title", "contact.phone", "contact.email")
"""What `missed` looks at: the scored fields (free-text next steps are judged in the eval)."""


@dataclass(frozen=True, kw_only=True)
class ShadowScope:
    """Which connectors (`all` for every one) and which teams write nothing."""

    crms: frozenset[str] = frozenset()
    teams: frozenset[str] = frozenset()

    def covers(self, *, crm_system: str, team: str | None) -> bool:
        if "all" in self.crms or crm_system.lower() in self.crms:
            return True
        return team is not None and team.strip().lower() in self.teams

    def describe(self) -> str:
        parts = [f"CRM {', '.join(sorted(self.crms))}"] if self.crms else []
        parts += [f"team {', '.join(sorted(self.teams))}"] if self.teams else []
        return "; ".join(parts) or "off"


def mark(session: Session, *, proposal_id: str, scope: ShadowScope) -> bool:
    """Stamp a new proposal as shadow when its connector or its rep's team is in scope."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(f"no proposal {proposal_id}")
    meeting = session.get(Meeting, proposal.meeting_id)
    assert meeting is not None
    rep = session.get(User, meeting.rep_id)
    proposal.shadow = scope.covers(crm_system=meeting.crm_system, team=rep.team if rep else None)
    return proposal.shadow


def hold(session: Session, *, proposal_id: str, crm_system: str) -> bool:
    """The apply path's refusal: True (nothing may be written) for a shadow proposal, whose
    approved changes are then labelled with the reason."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or not proposal.shadow:
        return False
    label = f"shadow mode: not written to {crm_system}"
    for row in session.scalars(
        select(ProposedChangeRow).where(
            ProposedChangeRow.proposal_id == proposal_id,
            ProposedChangeRow.status.in_(("approved", "edited")),
        )
    ):
        row.error = label
    log.info("proposal %s is in shadow mode: nothing written to %s", proposal_id, crm_system)
    return True


@dataclass(kw_only=True)
class FieldTally:
    field: str
    proposed: int = 0
    matched: int = 0
    other_value: int = 0
    not_made: int = 0
    missed: int = 0

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        if outcome != "missed":
            self.proposed += 1

    @property
    def accuracy(self) -> float | None:
        """Would-have-been accuracy; None when neither side wanted an edit."""
        total = self.proposed + self.missed
        return self.matched / total if total else None

    @property
    def precision(self) -> float | None:
        return self.matched / self.proposed if self.proposed else None

    @property
    def recall(self) -> float | None:
        wanted = self.matched + self.other_value + self.missed
        return self.matched / wanted if wanted else None

    def as_json(self) -> dict[str, Any]:
        def share(value: float | None) -> float | None:
            return None if value is None else round(value, 4)

        return {
            "field": self.field,
            "proposed": self.proposed,
            **{o: getattr(self, o) for o in OUTCOMES},
            "accuracy": share(self.accuracy),
            "precision": share(self.precision),
            "recall": share(self.recall),
        }


@dataclass(frozen=True, kw_only=True)
class Finding:
    proposal_id: str
    deal_id: str
    field: str
    object_id: str
    outcome: str
    before: FieldValueT
    proposed: FieldValueT
    crm_now: FieldValueT


@dataclass(kw_only=True)
class ShadowReport:
    since: datetime
    scope: str
    proposals: int = 0
    findings: list[Finding] = field(default_factory=list)

    def tallies(self) -> tuple[FieldTally, list[FieldTally]]:
        overall = FieldTally(field="all")
        by_field: dict[str, FieldTally] = {}
        for finding in self.findings:
            overall.add(finding.outcome)
            by_field.setdefault(finding.field, FieldTally(field=finding.field)).add(finding.outcome)
        return overall, [by_field[k] for k in sorted(by_field)]

    def as_json(self) -> dict[str, Any]:
        overall, by_field = self.tallies()
        return {
            "since": self.since.isoformat(),
            "scope": self.scope,
            "proposals": self.proposals,
            "overall": overall.as_json(),
            "by_field": [t.as_json() for t in by_field],
            "findings": [f.__dict__ for f in self.findings],
        }


def outcome(*, before: FieldValueT, proposed: FieldValueT, now: FieldValueT) -> str:
    if same_value(now, proposed):
        return "matched"
    if same_value(now, before):
        return "not_made"
    return "other_value"


def report(
    session: Session, *, crm: CrmReader, since: datetime, scope: ShadowScope
) -> ShadowReport:
    """Compare every shadow proposal made since `since` with the CRM as it is now (read-only)."""
    result = ShadowReport(since=since, scope=scope.describe())
    rows = session.execute(
        select(Proposal, Meeting.deal_id)
        .join(Meeting, Meeting.id == Proposal.meeting_id)
        .where(Proposal.shadow.is_(True), Proposal.created_at >= since)
        .order_by(Proposal.created_at, Proposal.id)
    )
    newest: dict[str, Proposal] = {}
    proposed_by_deal: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for proposal, deal_id in rows:
        result.proposals += 1
        changes = list(
            session.scalars(
                select(ProposedChangeRow).where(ProposedChangeRow.proposal_id == proposal.id)
            )
        )
        result.findings += _judge_changes(crm, proposal.id, deal_id, changes)
        proposed_by_deal[deal_id] |= {(c.field, c.object_id) for c in changes}
        newest[deal_id] = proposal
    for deal_id, proposal in newest.items():
        result.findings += _missed(crm, proposal, deal_id, proposed_by_deal[deal_id])
    return result


def _judge_changes(
    crm: CrmReader, proposal_id: str, deal_id: str, changes: Sequence[ProposedChangeRow]
) -> list[Finding]:
    refs = [
        FieldRef(object_type=ObjectType(c.object_type), object_id=c.object_id, field=c.field)
        for c in changes
    ]
    current = crm.read_values(refs) if refs else []
    return [
        Finding(
            proposal_id=proposal_id,
            deal_id=deal_id,
            field=c.field,
            object_id=c.object_id,
            outcome=outcome(before=c.before, proposed=c.after, now=now.value),
            before=c.before,
            proposed=c.after,
            crm_now=now.value,
        )
        for c, now in zip(changes, current, strict=True)
    ]


def _snapshot_values(snapshot: dict[str, Any]) -> Iterable[tuple[FieldRef, FieldValueT]]:
    deal = snapshot.get("deal", {})
    for name in DEAL_FIELDS:
        attr = name.split(".", 1)[1]
        yield (
            FieldRef(object_type=ObjectType.DEAL, object_id=str(deal["id"]), field=name),
            deal.get(attr),
        )
    for contact in snapshot.get("contacts", []):
        for name in CONTACT_FIELDS:
            ref = FieldRef(object_type=ObjectType.CONTACT, object_id=str(contact["id"]), field=name)
            yield ref, contact.get(name.split(".", 1)[1])


def _missed(
    crm: CrmReader, proposal: Proposal, deal_id: str, proposed: set[tuple[str, str]]
) -> list[Finding]:
    if not proposal.crm_context:
        return []
    pairs = [
        (ref, value)
        for ref, value in _snapshot_values(proposal.crm_context)
        if (ref.field, ref.object_id) not in proposed
    ]
    if not pairs:
        return []
    current = crm.read_values([ref for ref, _ in pairs])
    return [
        Finding(
            proposal_id=proposal.id,
            deal_id=deal_id,
            field=ref.field,
            object_id=ref.object_id,
            outcome="missed",
            before=value,
            proposed=None,
            crm_now=now.value,
        )
        for (ref, value), now in zip(pairs, current, strict=True)
        if not _same_or_empty(value, now.value)
    ]


def _same_or_empty(then: FieldValueT, now: FieldValueT) -> bool:
    """Unchanged, treating empty text and an empty list as nothing (CRMs differ on which)."""
    return (_empty(then) and _empty(now)) or same_value(then, now)


def _empty(value: FieldValueT) -> bool:
    return value is None or value == "" or value == []
