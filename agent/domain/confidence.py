"""How sure a proposed change is, and abstaining when it is not sure enough.

The engine gives its own number; the evidence then lowers it for what a careful rep would hear as
doubt around the value: hedges ("maybe", "probably", "I think", "if we") in the quote, or doubt
in the rest of the cited turn. The validator already refuses a value said *as* a hedge, a
condition or an unanswered question; this reads the whole quote and its turn, so "I think we're
at 120k" is proposed with less confidence than "we're at 120k". Below its field's threshold a
change is not proposed but listed as mentioned, with the reason, so the rep still sees what was
said.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from agent.domain.fields import FieldPolicy
from agent.domain.models import ConfidenceBasis, MentionedChange, ProposedChange, Transcript

__all__ = ["HEDGE_FACTOR", "abstain", "hedges_in", "score_change"]

_HEDGES = re.compile(
    r"\b(?:maybe|perhaps|possibly|probably|likely|hopefully|tentatively|ballpark|roughly"
    r"|approximately|presumably|i think|i guess|i believe|i suppose|i assume|not sure"
    r"|should be|might|could|if we|if they|if it|if you|assuming|depending)\b",
    re.IGNORECASE,
)
HEDGE_FACTOR = 0.75
"""Each distinct hedge in the quote multiplies the evidence's strength by this."""
NEARBY_HEDGE_FACTOR = 0.9
"""Doubt elsewhere in the cited turn, outside the quote, weighs less than doubt in it."""


def hedges_in(text: str) -> list[str]:
    """The distinct hedges in `text`, lower-cased, in order of appearance."""
    found = (m.group(0).lower() for m in _HEDGES.finditer(text))
    return list(dict.fromkeys(" ".join(h.split()) for h in found))


def _turn_text(change: ProposedChange, transcript: Transcript) -> str:
    cited = set(change.evidence.segment_indices)
    return " ".join(s.text for s in transcript.segments if s.index in cited)


def score_change(change: ProposedChange, transcript: Transcript) -> ProposedChange:
    """The change with its confidence as engine × evidence, and the reasons for the latter."""
    quote = change.evidence.quote
    notes: list[str] = []
    strength = 1.0
    for hedge in hedges_in(quote):
        strength *= HEDGE_FACTOR
        notes.append(f"hedged: “{hedge}”")
    rest = _turn_text(change, transcript).replace(quote, " ")
    nearby = [h for h in hedges_in(rest) if h not in hedges_in(quote)]
    if nearby:
        strength *= NEARBY_HEDGE_FACTOR
        notes.append(f"doubt nearby: “{nearby[0]}”")
    engine = max(0.0, min(1.0, change.confidence))
    basis = ConfidenceBasis(engine=engine, evidence=round(strength, 3), notes=tuple(notes))
    return replace(change, confidence=round(engine * strength, 3), basis=basis)


def abstain(
    changes: Sequence[ProposedChange], policy: FieldPolicy
) -> tuple[list[ProposedChange], list[MentionedChange]]:
    """Split changes into those sure enough to propose and those only mentioned."""
    kept: list[ProposedChange] = []
    mentioned: list[MentionedChange] = []
    for change in changes:
        spec = policy.spec(change.field)
        threshold = spec.min_confidence if spec is not None else 0.0
        if change.confidence < threshold:
            reason = (
                f"confidence {change.confidence:.2f} is below the {change.field} "
                f"threshold {threshold:.2f}"
            )
            mentioned.append(MentionedChange(change=change, reason=reason))
        else:
            kept.append(change)
    return kept, mentioned
