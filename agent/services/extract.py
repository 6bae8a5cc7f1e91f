"""Extraction as the service and the eval both run it: engine, then the validator.

The eval calls `run_extraction` too, so the figures RevOps reads are the figures of this code.
After validation the screen (`agent.domain.screen`) scores each change's confidence, holds back
what the field policy or the confidence threshold keeps out, and flags unusual moves.
A transcript longer than the engine's context is read in overlapping parts and the answers are
merged before validation (`agent.domain.chunking`), so every engine gets long calls right.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from agent.domain.chunking import CHARS_PER_TOKEN, merge_outputs, split_transcript
from agent.domain.fields import DEFAULT_POLICY, FieldPolicy
from agent.domain.models import CrmContext, EngineOutput, Transcript, ValidatedExtraction
from agent.domain.ports import BoundedContext, ExtractionEngine, ExtractionRequest
from agent.domain.roles import resolve_roles
from agent.domain.screen import screen
from agent.domain.transcripts import speakers_unknown
from agent.domain.validate import validate_output

RESERVED_TOKENS = 3_000
"""Of an engine's context, what the instructions, the CRM context and the answer need."""
MIN_PART_CHARS = 2_000
OVERLAP_SHARE = 0.1
"""How much of a part the next part reads again, so an answer split from its question is seen."""


@dataclass(frozen=True, kw_only=True)
class ExtractionOptions:
    """What the service knows about a call beyond its transcript and CRM record.

    Attributes:
        attendees: the meeting's attendee emails (the rep's included), to tell speakers apart.
        internal_domains: the seller's own email domains.
        day_first: the locale's order for numeric dates; None refuses an ambiguous `03/04`.
        context_tokens: the engine's context, overriding what the engine says of itself.
    """

    attendees: tuple[str, ...] = ()
    internal_domains: frozenset[str] = frozenset()
    day_first: bool | None = None
    context_tokens: int | None = None


UNKNOWN_SPEAKERS_NOTE = (
    "Speakers were not identified: the recording is one mixed track, so who said what is unknown."
)


@dataclass(frozen=True, kw_only=True)
class ExtractionResult:
    output: EngineOutput
    validated: ValidatedExtraction


def run_extraction(
    *,
    engine: ExtractionEngine,
    transcript: Transcript,
    context: CrmContext,
    meeting_date: date,
    policy: FieldPolicy = DEFAULT_POLICY,
    prompt_version: str | None = None,
    options: ExtractionOptions | None = None,
) -> ExtractionResult:
    given = options or ExtractionOptions()
    request = ExtractionRequest(
        transcript=transcript,
        context=context,
        meeting_date=meeting_date,
        policy=policy,
        prompt_version=prompt_version or "v1",
        attendees=given.attendees,
        internal_domains=given.internal_domains,
    )
    output = _extract(engine, request, given)
    roles = resolve_roles(
        labels=[s.speaker for s in transcript.segments],
        context=context,
        attendees=given.attendees,
        internal_domains=given.internal_domains,
    )
    validated = validate_output(
        output,
        transcript=transcript,
        context=context,
        policy=policy,
        meeting_date=meeting_date,
        roles=roles,
        day_first=given.day_first,
    )
    validated = screen(
        validated, transcript=transcript, context=context, policy=policy, meeting_date=meeting_date
    )
    if speakers_unknown(transcript):
        validated = replace(validated, summary=f"{UNKNOWN_SPEAKERS_NOTE} {validated.summary}")
    return ExtractionResult(output=output, validated=validated)


def part_chars(engine: ExtractionEngine, options: ExtractionOptions) -> int | None:
    """How much transcript one request may carry, or None when the engine has no limit."""
    tokens = options.context_tokens
    if tokens is None and isinstance(engine, BoundedContext):
        tokens = engine.context_tokens
    if tokens is None:
        return None
    return max(MIN_PART_CHARS, int((tokens - RESERVED_TOKENS) * CHARS_PER_TOKEN))


def _extract(
    engine: ExtractionEngine, request: ExtractionRequest, options: ExtractionOptions
) -> EngineOutput:
    limit = part_chars(engine, options)
    if limit is None:
        return engine.extract(request)
    parts = split_transcript(
        request.transcript, max_chars=limit, overlap_chars=int(limit * OVERLAP_SHARE)
    )
    return merge_outputs([engine.extract(replace(request, transcript=part)) for part in parts])
