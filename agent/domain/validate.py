"""The gate between an engine's output and the rep's screen.

Nothing an engine says reaches a proposal unless it names a canonical, writable field of the
meeting's own records, resolves to a valid value, and rests on a quote that occurs in the
transcript and speaks to the field. Every refusal is kept with its reason and counted.
"""

from __future__ import annotations

from datetime import date

from agent.domain.evidence import locate, speaks_to_field
from agent.domain.fields import FieldPolicy, FieldSpec
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
from agent.domain.normalize import normalize_value, parse_date


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
        raise ValueError(f"{update.contact} is not a contact of this deal")
    return contact.id, contact.email


def _check(
    update: RawFieldUpdate,
    *,
    transcript: Transcript,
    context: CrmContext,
    policy: FieldPolicy,
    meeting_date: date,
) -> ProposedChange:
    spec = policy.spec(update.field)
    if spec is None:
        raise ValueError(f"unknown field {update.field!r}")
    if not spec.writable:
        raise ValueError(f"{spec.name} is not writable by Engage")
    object_id, contact_email = _target(spec, update, context)
    try:
        after = normalize_value(
            spec, update.value, meeting_date=meeting_date, stages=context.stages
        )
    except ValueError as exc:
        raise ValueError(str(exc)) from None
    found = locate(update.evidence, transcript)
    if not found.ok:
        raise ValueError(found.reason or "evidence not found")
    before = current_value(context, spec, object_id)
    if not speaks_to_field(spec.kind.value, found.evidence.quote, after, before):
        raise ValueError(f"the quote does not speak to {spec.name}")
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


def _next_steps(steps: tuple[NextStep, ...], meeting_date: date) -> tuple[NextStep, ...]:
    kept: list[NextStep] = []
    for step in steps:
        action = " ".join(step.action.split())
        if not action:
            continue
        due = parse_date(step.due, meeting_date=meeting_date) if step.due else None
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
) -> ValidatedExtraction:
    """Keep what passes every check; when a field is stated twice the latest statement wins."""
    accepted: dict[tuple[str, str], ProposedChange] = {}
    dropped: list[DroppedChange] = []
    for update in output.field_updates:
        try:
            change = _check(
                update,
                transcript=transcript,
                context=context,
                policy=policy,
                meeting_date=meeting_date,
            )
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
        summary=output.summary.strip(),
        next_steps=_next_steps(output.next_steps, meeting_date),
        changes=tuple(accepted.values()),
        dropped=tuple(dropped),
    )


def _position(change: ProposedChange) -> int:
    return max(change.evidence.segment_indices, default=-1)
