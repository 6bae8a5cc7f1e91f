"""How reps decide: acceptance, edit and rejection rates per field and per prompt version.

A falling acceptance rate on one field after a prompt change is the earliest sign of a worse
prompt, long before anyone labels a new eval set; these rates are what the dashboard shows next to
the eval's figures. Only decided changes count (a pending change says nothing yet).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.db.tables import Meeting, Proposal, ProposedChangeRow
from agent.services.review_export import decision_of
from agent.services.users import Actor


@dataclass(frozen=True, kw_only=True)
class Rates:
    key: str
    decided: int
    approved: int
    edited: int
    rejected: int

    @property
    def acceptance_rate(self) -> float:
        return self.approved / self.decided if self.decided else 0.0

    @property
    def edit_rate(self) -> float:
        return self.edited / self.decided if self.decided else 0.0

    @property
    def rejection_rate(self) -> float:
        return self.rejected / self.decided if self.decided else 0.0

    def as_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "decided": self.decided,
            "approved": self.approved,
            "edited": self.edited,
            "rejected": self.rejected,
            "acceptance_rate": round(self.acceptance_rate, 4),
            "edit_rate": round(self.edit_rate, 4),
            "rejection_rate": round(self.rejection_rate, 4),
        }


@dataclass(frozen=True, kw_only=True)
class ReviewRates:
    overall: Rates
    by_field: tuple[Rates, ...]
    by_prompt_version: tuple[Rates, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "overall": self.overall.as_json(),
            "by_field": [r.as_json() for r in self.by_field],
            "by_prompt_version": [r.as_json() for r in self.by_prompt_version],
        }


def _rates(key: str, decisions: Iterable[str]) -> Rates:
    seen = list(decisions)
    return Rates(
        key=key,
        decided=len(seen),
        approved=seen.count("approved"),
        edited=seen.count("edited"),
        rejected=seen.count("rejected"),
    )


def review_rates(session: Session, *, actor: Actor | None, since: datetime | None) -> ReviewRates:
    """Rates over changes decided since `since`; a rep sees their own meetings', an admin (or
    the local CLI, `actor` None) everyone's."""
    query = (
        select(ProposedChangeRow, Proposal.prompt_version)
        .join(Proposal, Proposal.id == ProposedChangeRow.proposal_id)
        .join(Meeting, Meeting.id == Proposal.meeting_id)
        .where(ProposedChangeRow.decided_by.is_not(None))
    )
    if since is not None:
        query = query.where(ProposedChangeRow.decided_at >= since)
    if actor is not None and not actor.is_admin:
        query = query.where(Meeting.rep_id == actor.id)
    by_field: dict[str, list[str]] = defaultdict(list)
    by_prompt: dict[str, list[str]] = defaultdict(list)
    every: list[str] = []
    for row, prompt_version in session.execute(query):
        decision = decision_of(row)
        if decision is None:
            continue
        by_field[row.field].append(decision)
        by_prompt[prompt_version].append(decision)
        every.append(decision)
    return ReviewRates(
        overall=_rates("all", every),
        by_field=tuple(_rates(k, v) for k, v in sorted(by_field.items())),
        by_prompt_version=tuple(_rates(k, v) for k, v in sorted(by_prompt.items())),
    )
