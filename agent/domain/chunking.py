"""Long calls: split a transcript that does not fit an engine's context, and merge the answers.

A 90-minute call is 15–20 thousand tokens; small local models take 2–8 thousand. The transcript is
cut only between speaker turns, so a quote never straddles two parts, and consecutive parts share
a few turns so that a question at the end of one part and its answer at the start of the next
are read together at least once. Every part keeps the original segments (and their indices), so
evidence from any part cites the whole call and is checked against it.

Merging keeps every field update (exact duplicates from the overlap once): the validator then
applies "the latest statement wins" across the whole call, with the superseded ones counted.
Next steps said twice (in an overlap, or restated later) are merged into the first, keeping a
due date and evidence from either.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from rapidfuzz import fuzz

from agent.domain.models import (
    EngineOutput,
    NextStep,
    RawFieldUpdate,
    Segment,
    TokenUsage,
    Transcript,
)

__all__ = [
    "CHARS_PER_TOKEN",
    "merge_outputs",
    "merge_steps",
    "segment_chars",
    "split_transcript",
]

CHARS_PER_TOKEN = 3.5
"""A conservative average for English speech; token counts run higher on names and numbers."""
_LINE_OVERHEAD = 16
"""What the prompt adds around each segment: its number, clock and separators."""
_SAME_STEP = 88
"""rapidfuzz token-set ratio above which two actions of one owner are the same step."""


def segment_chars(segment: Segment) -> int:
    """The size a segment takes in a prompt, in characters."""
    return len(segment.speaker) + len(segment.text) + _LINE_OVERHEAD


def split_transcript(
    transcript: Transcript, *, max_chars: int, overlap_chars: int
) -> list[Transcript]:
    """Parts of at most `max_chars` each, cut between turns, overlapping by about `overlap_chars`.

    A single turn longer than `max_chars` becomes a part of its own: cutting inside a turn would
    cut quotes. The overlap always moves forward, so the parts end.
    """
    if max_chars <= 0:
        raise ValueError("max_chars must be positive")
    segments = transcript.segments
    if sum(segment_chars(s) for s in segments) <= max_chars:
        return [transcript]
    parts: list[Transcript] = []
    start = 0
    while start < len(segments):
        end, size = start, 0
        while end < len(segments) and (
            end == start or size + segment_chars(segments[end]) <= max_chars
        ):
            size += segment_chars(segments[end])
            end += 1
        parts.append(replace(transcript, segments=segments[start:end]))
        if end >= len(segments):
            break
        start = _overlap_start(segments, start, end, overlap_chars)
    return parts


def _overlap_start(segments: Sequence[Segment], start: int, end: int, overlap_chars: int) -> int:
    """Where the next part begins: the last turn of this part, and more up to `overlap_chars`.

    It is always after `start`, so every part moves the reading forward.
    """
    if end - 1 <= start:
        return end
    back, size = end - 1, segment_chars(segments[end - 1])
    while back - 1 > start and size + segment_chars(segments[back - 1]) <= overlap_chars:
        back -= 1
        size += segment_chars(segments[back])
    return back


def merge_outputs(outputs: Sequence[EngineOutput]) -> EngineOutput:
    """One answer for the whole call from the answers for its parts, in call order."""
    if not outputs:
        raise ValueError("nothing to merge")
    if len(outputs) == 1:
        return outputs[0]
    first = outputs[0]
    return replace(
        first,
        summary=_merge_summaries(o.summary for o in outputs),
        next_steps=merge_steps([s for o in outputs for s in o.next_steps]),
        field_updates=_merge_updates([u for o in outputs for u in o.field_updates]),
        usage=TokenUsage(
            prompt=sum(o.usage.prompt for o in outputs),
            completion=sum(o.usage.completion for o in outputs),
        ),
        latency_s=sum(o.latency_s for o in outputs),
        repaired=any(o.repaired for o in outputs),
    )


def _merge_summaries(summaries: Iterable[str]) -> str:
    """The parts' summaries in order, each sentence once (overlaps repeat some)."""
    seen: dict[str, str] = {}
    for summary in summaries:
        for sentence in re.split(r"(?<=[.!?])\s+", " ".join(summary.split())):
            if sentence:
                seen.setdefault(sentence.casefold(), sentence)
    return " ".join(seen.values())


def _merge_updates(updates: Sequence[RawFieldUpdate]) -> tuple[RawFieldUpdate, ...]:
    """Every update once; the overlap repeats the same statement with the same quote."""
    kept: dict[tuple[str, str, str, str, tuple[int, ...]], RawFieldUpdate] = {}
    for update in updates:
        key = (
            update.field,
            (update.contact or "").casefold(),
            repr(update.value),
            " ".join(update.evidence.quote.split()).casefold(),
            update.evidence.segment_indices,
        )
        earlier = kept.get(key)
        if earlier is None or update.confidence > earlier.confidence:
            kept[key] = update
    return tuple(kept.values())


def merge_steps(steps: Sequence[NextStep]) -> tuple[NextStep, ...]:
    """Steps in order, one per owner and action: a restatement adds its due date, if any."""
    merged: list[NextStep] = []
    for step in steps:
        at = next((i for i, known in enumerate(merged) if _same_step(known, step)), None)
        if at is None:
            merged.append(step)
            continue
        known = merged[at]
        merged[at] = replace(
            known, due=known.due or step.due, evidence=known.evidence or step.evidence
        )
    return tuple(merged)


def _same_step(a: NextStep, b: NextStep) -> bool:
    if a.owner.strip().casefold() != b.owner.strip().casefold():
        return False
    return fuzz.token_set_ratio(a.action.casefold(), b.action.casefold()) >= _SAME_STEP
