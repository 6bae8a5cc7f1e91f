"""Score one call's predictions against its gold labels with every metric at once.

The per-call result keeps the matched pairs, not just counts, so the report can show each miss
and false positive next to its evidence, and the run totals are sums of the same pairs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.domain.fields import DEFAULT_POLICY, FieldPolicy
from eval.dataset import EvalCall
from eval.embeddings import Embedder
from eval.metrics import (
    FieldMatch,
    StepMatch,
    evidence_flags,
    faithfulness,
    key_point_coverage,
    match_field_updates,
    match_next_steps,
    split_sentences,
    unchanged_violations,
)
from eval.predictions import PredictedUpdate, Prediction


@dataclass(frozen=True, kw_only=True)
class CallScore:
    """Everything the metrics found for one call; tuples align with what they score."""

    call: EvalCall
    prediction: Prediction
    fields: FieldMatch
    violations: tuple[PredictedUpdate, ...]
    evidence_ok: tuple[bool, ...]
    """One flag per predicted update, in the prediction's order."""
    steps: StepMatch
    key_points: tuple[bool, ...]
    """One flag per gold key point."""
    summary_sentences: tuple[str, ...]
    faithful: tuple[bool, ...]
    """One flag per summary sentence."""


def owner_sides(call: EvalCall) -> dict[str, str]:
    """First names (lower case) of the people in the call, each mapped to `rep` or `customer`.

    Contacts on the deal and speakers labelled with the account's name, e.g. "Dana (Acme)", are
    the customer; every other speaker is on the rep's side.
    """
    sides: dict[str, str] = {}
    account = call.context.account.name.casefold()
    contacts = {c.name.split()[0].casefold() for c in call.context.contacts if c.name.split()}
    for segment in call.transcript.segments:
        match = re.match(r"\s*([^\W\d_]+)[^(]*(?:\((.*)\))?", segment.speaker)
        if not match:
            continue
        first, company = match.group(1).casefold(), (match.group(2) or "").casefold()
        customer = first in contacts or bool(company and (company in account or account in company))
        sides.setdefault(first, "customer" if customer else "rep")
    for name in contacts:
        sides[name] = "customer"
    return sides


def score_call(
    call: EvalCall,
    prediction: Prediction,
    embedder: Embedder,
    *,
    policy: FieldPolicy = DEFAULT_POLICY,
) -> CallScore:
    updates = prediction.field_updates
    sentences = split_sentences(prediction.summary)
    return CallScore(
        call=call,
        prediction=prediction,
        fields=match_field_updates(call.gold.field_updates, updates, policy=policy),
        violations=tuple(unchanged_violations(call.gold.unchanged, updates)),
        evidence_ok=tuple(evidence_flags(updates, call.transcript)),
        steps=match_next_steps(
            call.gold.next_steps, prediction.next_steps, embedder, sides=owner_sides(call)
        ),
        key_points=tuple(key_point_coverage(call.gold.key_points, prediction.summary, embedder)),
        summary_sentences=tuple(sentences),
        faithful=tuple(faithfulness(prediction.summary, call.transcript, embedder)),
    )
