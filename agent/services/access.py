"""Who may touch which CRM deal, and the access log of denials and decisions.

Meetings, proposals and audit entries carry their rep; a CRM deal carries its owner. A rep may
bring a call onto a deal only when the CRM does not name another owner for it, so nobody reads
(in a brief or a proposal's "before" values) or proposes changes to a colleague's deal through a
call of their own.

Every refusal and every decision on a proposal goes to the std `logging` logger
`engage.audit_access` as one line with the actor, plus the same facts as record attributes
(`event`, `actor`, `action`, `target`, `outcome`, `reason`) for a structured formatter. Tokens,
keys and request bodies never appear in it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from agent.domain.ports import CrmReader
from agent.errors import Forbidden
from agent.services.users import Actor

log = logging.getLogger("engage.audit_access")

ANONYMOUS = "anonymous"


def deal_owner(crm: CrmReader, deal_id: str) -> str | None:
    owner = crm.read_context(deal_id).deal.owner_email
    return owner.strip().lower() if owner else None


def check_deal(crm: CrmReader, *, deal_id: str, actor: Actor) -> None:
    """Refuse a rep a deal whose CRM owner is someone else; admins may use any deal."""
    if actor.is_admin:
        return
    owner = deal_owner(crm, deal_id)
    if owner is not None and owner != actor.email.lower():
        raise Forbidden(f"deal {deal_id} belongs to another rep")


def owns_deal(crm: CrmReader, *, deal_id: str | None, actor: Actor) -> bool:
    """Whether the actor may see what Engage knows about this deal (strict: a known owner)."""
    if actor.is_admin:
        return True
    if deal_id is None:
        return False
    return deal_owner(crm, deal_id) == actor.email.lower()


def _clean(text: str, limit: int = 300) -> str:
    """One line, bounded: a reason may echo user input, which must not forge log lines."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def denied(*, actor: str | None, action: str, target: str, status: int, reason: str) -> None:
    """A refused request: who (or `anonymous`), what, and why."""
    who, what, where, why = (
        _clean(actor or ANONYMOUS, 320),
        _clean(action, 20),
        _clean(target, 200),
        _clean(reason),
    )
    log.warning(
        "access denied: %s %s by %s (%d): %s",
        what,
        where,
        who,
        status,
        why,
        extra={
            "event": "access.denied",
            "actor": who,
            "action": what,
            "target": where,
            "outcome": status,
            "reason": why,
        },
    )


def decided(*, actor: Actor, decision: str, proposal_id: str, change_ids: Sequence[str]) -> None:
    """A rep's approval or rejection, after it was stored."""
    changes = ",".join(change_ids) or "-"
    log.info(
        "proposal %s: %s by %s (changes %s)",
        proposal_id,
        decision,
        actor.email,
        changes,
        extra={
            "event": f"proposal.{decision}",
            "actor": actor.email,
            "action": decision,
            "target": proposal_id,
            "outcome": "stored",
            "reason": changes,
        },
    )
