"""The shape a language model must answer in, and its translation into domain objects.

Pydantic lives here, at the boundary: the model's JSON is validated once, then handed inward as
the plain dataclasses of `agent.domain.models`. Every string has a `maxLength` and every array a
`maxItems` because grammar-constrained decoding keeps the shape but does not stop a small model
that loops inside a string. The JSON schema sent to the endpoint is derived from these models and
made *strict* (OpenAI structured outputs): closed objects, every key required, nullables as
`anyOf`, and `field` as an enum of the policy's writable fields, so the model cannot even name
another field.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from agent.domain.fields import FieldPolicy
from agent.domain.models import (
    EngineOutput,
    Evidence,
    NextStep,
    RawFieldUpdate,
    Segment,
    TokenUsage,
    Transcript,
)
from agent.errors import ConfigError

MAX_SUMMARY = 2000
MAX_QUOTE = 600
MAX_VALUE = 300
MAX_NEXT_STEPS = 10
MAX_FIELD_UPDATES = 12
MAX_CITED_SEGMENTS = 6

ALLOWED_FIELDS_KEY = "allowed_fields"
"""Validation-context key holding the writable field names a parsed answer may use."""

_STRICT_DROPPED_KEYS = frozenset({"title", "default", "examples"})
"""Keywords pydantic emits that OpenAI's strict mode refuses or that only cost tokens."""
LENGTH_KEYWORDS = frozenset({"maxLength", "minLength", "maxItems", "minItems"})
"""Keywords some strict modes refuse (`ENGAGE_LLM_SCHEMA_LIMITS=false` strips them)."""
GRAMMAR_MAX_LENGTH = 1000
"""The longest `maxLength` sent to a llama.cpp-style grammar: its parser refuses a repetition
past about 2000 copies ("exceeds sane defaults"), so `summary`'s limit is lowered on the wire."""

SegmentIndex = Annotated[int, Field(ge=0)]


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NextStepOut(_Closed):
    owner: str = Field(
        max_length=120, description="`rep`, `customer`, or the person's name as said in the call."
    )
    action: str = Field(max_length=300, description="What will be done, in a short imperative.")
    due: str | None = Field(
        max_length=40, description="ISO date (YYYY-MM-DD) if the call gave one, else null."
    )
    evidence_quote: str = Field(
        max_length=MAX_QUOTE, description="A verbatim quote of the segment the step rests on."
    )
    segment_index: SegmentIndex | None = Field(description="The number of the quoted segment.")


class FieldUpdateOut(_Closed):
    field: str = Field(max_length=64, description="The canonical field to change.")
    contact: str | None = Field(
        max_length=254, description="For contact fields: the contact's email; otherwise null."
    )
    value: str = Field(max_length=MAX_VALUE, description="The new value as the customer said it.")
    evidence_quote: str = Field(
        max_length=MAX_QUOTE, description="A verbatim quote of the cited segment(s)."
    )
    segment_indices: list[SegmentIndex] = Field(
        max_length=MAX_CITED_SEGMENTS, description="The numbers of the quoted segments."
    )
    confidence: float = Field(ge=0.0, le=1.0, description="How sure the change is, 0 to 1.")

    @field_validator("field")
    @classmethod
    def _field_is_allowed(cls, value: str, info: ValidationInfo) -> str:
        """Refuse a field outside the policy even when the server ignored the schema's enum."""
        allowed = info.context.get(ALLOWED_FIELDS_KEY) if isinstance(info.context, dict) else None
        if allowed is not None and value not in allowed:
            raise ValueError(f"{value!r} is not one of the allowed fields: {', '.join(allowed)}")
        return value


class ExtractionOutput(_Closed):
    summary: str = Field(max_length=MAX_SUMMARY, description="A short factual summary of the call.")
    next_steps: list[NextStepOut] = Field(max_length=MAX_NEXT_STEPS)
    field_updates: list[FieldUpdateOut] = Field(max_length=MAX_FIELD_UPDATES)


def validation_context(policy: FieldPolicy) -> dict[str, Any]:
    """The context to pass to `ExtractionOutput.model_validate_json` so `field` is policed."""
    return {ALLOWED_FIELDS_KEY: tuple(spec.name for spec in policy.writable)}


def extraction_json_schema(policy: FieldPolicy) -> dict[str, Any]:
    """The strict JSON schema of `ExtractionOutput` for OpenAI structured outputs.

    Derived from the pydantic models so the two cannot drift: `$ref`s are inlined, titles and
    defaults dropped, every object closed with all its properties required, and `field` narrowed
    to the writable fields of `policy`.
    """
    raw = ExtractionOutput.model_json_schema()
    defs: Mapping[str, Any] = raw.get("$defs", {})
    schema: dict[str, Any] = _strictify(raw, defs)
    writable = [spec.name for spec in policy.writable]
    if not writable:
        raise ConfigError("the field policy has no writable field; the model could propose none")
    field_prop = schema["properties"]["field_updates"]["items"]["properties"]["field"]
    field_prop.pop("maxLength", None)
    field_prop["enum"] = writable
    return schema


def without_length_limits(node: Any) -> Any:
    """A copy of a schema without `LENGTH_KEYWORDS`, for an endpoint whose strict mode refuses
    them. The limits still hold: the Pydantic models check every answer against them."""
    if isinstance(node, list):
        return [without_length_limits(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: without_length_limits(sub) for name, sub in value.items()}
        elif key not in LENGTH_KEYWORDS:
            out[key] = without_length_limits(value)
    return out


def for_grammar(node: Any, *, max_length: int = GRAMMAR_MAX_LENGTH) -> Any:
    """A copy of a schema that a llama.cpp-style grammar can enforce whole.

    Such grammars ignore `minimum`/`maximum` on numbers, so a number bounded on both sides
    (`confidence`, 0 to 1) becomes an enum of its tenths, and every `maxLength` is capped at
    `max_length` for the grammar parser's sake. Pydantic still checks the original bounds.
    """
    if isinstance(node, list):
        return [for_grammar(item, max_length=max_length) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: for_grammar(value, max_length=max_length) for key, value in node.items()}
    if isinstance(out.get("maxLength"), int):
        out["maxLength"] = min(out["maxLength"], max_length)
    low, high = out.get("minimum"), out.get("maximum")
    if (
        out.get("type") == "number"
        and isinstance(low, int | float)
        and isinstance(high, int | float)
    ):
        out["enum"] = [round(low + (high - low) * step / 10, 6) for step in range(11)]
    return out


def _strictify(node: Any, defs: Mapping[str, Any]) -> Any:
    if isinstance(node, list):
        return [_strictify(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = str(node["$ref"]).rsplit("/", 1)[-1]
        return _strictify(copy.deepcopy(defs[name]), defs)
    out = {
        key: _strictify(value, defs)
        for key, value in node.items()
        if key not in _STRICT_DROPPED_KEYS and key != "$defs"
    }
    if out.get("type") == "object":
        out["additionalProperties"] = False
        out["required"] = list(out.get("properties", {}))
    return out


def to_engine_output(
    output: ExtractionOutput,
    *,
    transcript: Transcript,
    engine: str,
    model: str,
    prompt_version: str,
    usage: TokenUsage,
    latency_s: float,
    repaired: bool,
) -> EngineOutput:
    """Carry a validated answer inward, attaching speaker and start of the first cited segment.

    Nothing is judged here: a quote that does not occur, or a value that does not parse, is the
    validator's business, so it can count what it drops.
    """
    by_index = {segment.index: segment for segment in transcript.segments}
    return EngineOutput(
        summary=output.summary.strip(),
        next_steps=tuple(_next_step(step, by_index) for step in output.next_steps),
        field_updates=tuple(_field_update(update, by_index) for update in output.field_updates),
        engine=engine,
        model=model,
        prompt_version=prompt_version,
        usage=usage,
        latency_s=latency_s,
        repaired=repaired,
    )


def _evidence(quote: str, indices: Sequence[int], by_index: Mapping[int, Segment]) -> Evidence:
    cited = next((by_index[i] for i in indices if i in by_index), None)
    return Evidence(
        quote=quote.strip(),
        segment_indices=tuple(dict.fromkeys(indices)),
        speaker=cited.speaker if cited else None,
        start=cited.start if cited else None,
    )


def _next_step(step: NextStepOut, by_index: Mapping[int, Segment]) -> NextStep:
    indices = () if step.segment_index is None else (step.segment_index,)
    has_evidence = bool(step.evidence_quote.strip()) or bool(indices)
    due = step.due.strip() if step.due else None
    return NextStep(
        owner=step.owner.strip(),
        action=step.action.strip(),
        due=due or None,
        evidence=_evidence(step.evidence_quote, indices, by_index) if has_evidence else None,
    )


def _field_update(update: FieldUpdateOut, by_index: Mapping[int, Segment]) -> RawFieldUpdate:
    contact = update.contact.strip() if update.contact else None
    return RawFieldUpdate(
        field=update.field,
        value=update.value.strip(),
        evidence=_evidence(update.evidence_quote, update.segment_indices, by_index),
        contact=contact or None,
        confidence=update.confidence,
    )
