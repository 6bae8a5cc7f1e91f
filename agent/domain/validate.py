"""The gate between an engine's output and the rep's screen.

Nothing an engine says reaches a proposal unless it names a canonical, writable field of the
meeting's own records, resolves to a valid value, and rests on a quote that occurs in the cited
segments and states that very value: not as a condition, hedge, question, past value or rep's
wish, not corrected right after, and (for deal values) said or agreed by the customer. Every
refusal is kept with its reason and counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from agent.domain.evidence import FieldFacts, locate, prepare, speaks_to_field, value_spans
from agent.domain.fields import FieldKind, FieldPolicy, FieldSpec
from agent.domain.guards import GuardInput, guard_reason
from agent.domain.injection import injection_reason, instruction_cue, without_instructions
from agent.domain.models import (
    CrmContext,
    DroppedChange,
    EngineOutput,
    FieldValueT,
    NextStep,
    ObjectType,
    ProposedChange,
    RawFieldUpdate,
    Transcript,
    ValidatedExtraction,
)
from agent.domain.normalize import match_stage, normalize_value, parse_date
from agent.domain.roles import SpeakerRoles, resolve_roles

_VALUE_KINDS = frozenset({FieldKind.AMOUNT, FieldKind.DATE, FieldKind.PICKLIST})
"""Kinds whose value is looked for in the quote, and whose statement is checked clause by clause."""


@dataclass(frozen=True, kw_only=True)
class _Call:
    transcript: Transcript
    context: CrmContext
    policy: FieldPolicy
    meeting_date: date
    roles: SpeakerRoles
    day_first: bool | None


def current_value(context: CrmContext, spec: FieldSpec, object_id: str) -> FieldValueT:
    """The CRM's value of a canonical field as the context shows it, in canonical form."""
    attr = spec.attribute
    if spec.object_type is ObjectType.DEAL:
        deal = context.deal
        values: dict[str, FieldValueT] = {
            "stage": deal.stage,
            "amount": deal.amount,
            "close_date": deal.close_date.isoformat() if deal.close_date else None,
            "next_step": deal.next_step,
            "competitors": list(deal.competitors),
            "name": deal.name,
        }
        return values.get(attr)
    if spec.object_type is ObjectType.ACCOUNT:
        return {"name": context.account.name, "domain": context.account.domain}.get(attr)
    contact = next((c for c in context.contacts if c.id == object_id), None)
    if contact is None:
        return None
    return {
        "title": contact.title,
        "phone": contact.phone,
        "email": contact.email,
        "name": contact.name,
    }.get(attr)


def same_value(a: FieldValueT, b: FieldValueT) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return sorted(x.casefold() for x in a) == sorted(x.casefold() for x in b)
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(float(a) - float(b)) < 0.005
    if isinstance(a, str) and isinstance(b, str):
        return a.strip().casefold() == b.strip().casefold()
    return a == b


def _target(spec: FieldSpec, update: RawFieldUpdate, context: CrmContext) -> tuple[str, str | None]:
    """The record a change lands on; contact changes must name one of the meeting's contacts."""
    if spec.object_type is ObjectType.DEAL:
        return context.deal.id, None
    if spec.object_type is ObjectType.ACCOUNT:
        return context.account.id, None
    if not update.contact:
        raise ValueError("a contact field needs the contact's email")
    contact = context.contact_by_email(update.contact)
    if contact is None:
        raise ValueError("the contact it names is not one of this deal's contacts")
    return contact.id, contact.email


def _check(update: RawFieldUpdate, call: _Call) -> ProposedChange:
    spec = call.policy.spec(update.field)
    if spec is None:
        raise ValueError(f"unknown field {update.field!r}")
    if not spec.writable:
        raise ValueError(f"{spec.name} is not writable by Engage")
    object_id, contact_email = _target(spec, update, call.context)
    after = normalize_value(
        spec,
        update.value,
        meeting_date=call.meeting_date,
        stages=call.context.stages,
        currency=call.context.deal.currency,
        day_first=call.day_first,
    )
    found = locate(update.evidence, call.transcript)
    if not found.ok:
        raise ValueError(found.reason or "evidence not found")
    before = current_value(call.context, spec, object_id)
    spans = _stated(spec, found.evidence.quote, after, before, call)
    planted = injection_reason(found.evidence, spans, call.transcript)
    if planted is not None:
        raise ValueError(planted)
    reason = guard_reason(
        GuardInput(
            kind=spec.kind.value,
            value=after,
            evidence=found.evidence,
            spans=spans,
            transcript=call.transcript,
            roles=call.roles,
            meeting_date=call.meeting_date,
            outcome=_outcome(after, call.context.stages)
            if spec.kind is FieldKind.PICKLIST
            else None,
        )
    )
    if reason is not None:
        raise ValueError(reason)
    if same_value(before, after):
        raise ValueError("already the CRM's value")
    return ProposedChange(
        field=spec.name,
        object_type=spec.object_type,
        object_id=object_id,
        before=before,
        after=after,
        evidence=found.evidence,
        confidence=max(0.0, min(1.0, update.confidence)),
        critical=spec.critical,
        contact_email=contact_email,
    )


def _stated(
    spec: FieldSpec, quote: str, after: FieldValueT, before: FieldValueT, call: _Call
) -> list[tuple[int, int]]:
    """Where the quote says the value; `ValueError` when it does not speak to the field at all."""
    facts = FieldFacts(
        before=before,
        meeting_date=call.meeting_date,
        stages=call.context.stages,
        day_first=call.day_first,
    )
    if spec.kind in _VALUE_KINDS:
        spans = value_spans(spec.kind.value, prepare(quote), after, facts)
        if spans:
            return spans
    elif speaks_to_field(spec.kind.value, quote, after, before):
        return []
    raise ValueError(f"the quote does not speak to {spec.name}")


def _outcome(stage: FieldValueT, stages: tuple[str, ...]) -> str | None:
    """`won` or `lost` for a closed stage: its evidence may be past ("we signed") or a denial."""
    for outcome, query in (("lost", "closed lost"), ("won", "closed won")):
        if stage == match_stage(query, stages):
            return outcome
    return None


def _next_steps(
    steps: tuple[NextStep, ...], meeting_date: date, day_first: bool | None
) -> tuple[NextStep, ...]:
    kept: list[NextStep] = []
    for step in steps:
        action = " ".join(step.action.split())
        quote = step.evidence.quote if step.evidence else ""
        if not action or instruction_cue(action) or instruction_cue(quote):
            continue
        due = (
            parse_date(step.due, meeting_date=meeting_date, day_first=day_first)
            if step.due
            else None
        )
        kept.append(
            NextStep(
                owner=step.owner.strip() or "rep",
                action=action,
                due=due.isoformat() if due else None,
                evidence=step.evidence,
            )
        )
    return tuple(kept)


def validate_output(
    output: EngineOutput,
    *,
    transcript: Transcript,
    context: CrmContext,
    policy: FieldPolicy,
    meeting_date: date,
    roles: SpeakerRoles | None = None,
    day_first: bool | None = None,
) -> ValidatedExtraction:
    """Keep what passes every check; when a field is stated twice the latest statement wins.

    `roles` places the speakers (by default from the CRM contacts and the labels alone);
    `day_first` is the locale's order for numeric dates.
    """
    call = _Call(
        transcript=transcript,
        context=context,
        policy=policy,
        meeting_date=meeting_date,
        roles=roles
        or resolve_roles(labels=[s.speaker for s in transcript.segments], context=context),
        day_first=day_first,
    )
    accepted: dict[tuple[str, str], ProposedChange] = {}
    dropped: list[DroppedChange] = []
    for update in output.field_updates:
        try:
            change = _check(update, call)
        except ValueError as exc:
            dropped.append(DroppedChange(field=update.field, value=update.value, reason=str(exc)))
            continue
        key = (change.field, change.object_id)
        earlier = accepted.get(key)
        if earlier is None or _position(change) >= _position(earlier):
            if earlier is not None:
                dropped.append(
                    DroppedChange(
                        field=earlier.field,
                        value=earlier.after,
                        reason="superseded by a later statement",
                    )
                )
            accepted[key] = change
        else:
            dropped.append(
                DroppedChange(
                    field=change.field, value=change.after, reason="superseded by a later statement"
                )
            )
    return ValidatedExtraction(
        summary=without_instructions(output.summary.strip()),
        next_steps=_next_steps(output.next_steps, meeting_date, day_first),
        changes=tuple(accepted.values()),
        dropped=tuple(dropped),
    )


def _position(change: ProposedChange) -> int:
    return max(change.evidence.segment_indices, default=-1)
