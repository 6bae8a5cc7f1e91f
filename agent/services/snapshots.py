"""What the CRM held when a proposal was made, kept with the proposal.

Two later readers need it and cannot get it from the CRM any more, because the CRM moves on:
the review export (a rep's decision is only a gold label against the values it was made on) and
shadow mode's report (a field a rep changed by hand since the proposal is a change Engage missed).
The snapshot is in the eval dataset's `crm_context` form, with record ids beside it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from agent.db.tables import Proposal
from agent.domain.models import CrmContext
from agent.errors import NotFound


def context_json(context: CrmContext) -> dict[str, Any]:
    deal = context.deal
    return {
        "deal": {
            "id": deal.id,
            "name": deal.name,
            "stage": deal.stage,
            "amount": deal.amount,
            "currency": deal.currency,
            "close_date": deal.close_date.isoformat() if deal.close_date else None,
            "next_step": deal.next_step,
            "competitors": list(deal.competitors),
        },
        "account": {
            "id": context.account.id,
            "name": context.account.name,
            "domain": context.account.domain,
        },
        "contacts": [
            {
                "id": c.id,
                "name": c.name,
                "email": c.email,
                "title": c.title,
                "phone": c.phone,
                "role": c.role,
            }
            for c in context.contacts
        ],
        "stages": list(context.stages),
    }


def keep_context(session: Session, *, proposal_id: str, context: CrmContext) -> None:
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(f"no proposal {proposal_id}")
    proposal.crm_context = context_json(context)
