"""The stored (JSON) form of what the screen and the history checks add to a proposal.

A change keeps its flags and where its confidence came from; a proposal keeps the changes its
call mentioned without Engage proposing them. The same shapes go out in the API's JSON.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from agent.domain.models import ChangeFlag, ConfidenceBasis, Evidence, MentionedChange


def flags_json(flags: tuple[ChangeFlag, ...]) -> list[dict[str, Any]]:
    return [
        {
            "kind": flag.kind,
            "message": flag.message,
            "earlier": asdict(flag.earlier) if flag.earlier is not None else None,
        }
        for flag in flags
    ]


def basis_json(basis: ConfidenceBasis | None) -> dict[str, Any] | None:
    if basis is None:
        return None
    return {"engine": basis.engine, "evidence": basis.evidence, "notes": list(basis.notes)}


def _evidence(evidence: Evidence) -> dict[str, Any]:
    return {
        "quote": evidence.quote,
        "segment_indices": list(evidence.segment_indices),
        "speaker": evidence.speaker,
        "start": evidence.start,
    }


def mentioned_json(item: MentionedChange) -> dict[str, Any]:
    change = item.change
    return {
        "field": change.field,
        "object_type": change.object_type.value,
        "object_id": change.object_id,
        "contact_email": change.contact_email,
        "before": change.before,
        "value": change.after,
        "confidence": change.confidence,
        "confidence_basis": basis_json(change.basis),
        "reason": item.reason,
        "evidence": _evidence(change.evidence),
    }
