"""Long calls: split on speaker turns with overlap, extract per part, merge, validate once."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

import pytest

from agent.domain.chunking import merge_outputs, segment_chars, split_transcript
from agent.domain.models import (
    EngineOutput,
    Evidence,
    NextStep,
    RawFieldUpdate,
    Segment,
    TokenUsage,
    Transcript,
)
from agent.domain.ports import ExtractionRequest
from agent.llm.rules import RulesEngine
from agent.services.extract import ExtractionOptions, part_chars, run_extraction
from tests.unit.rules_helpers import DANA, MEETING, RILEY, context

_FILLER = (
    (RILEY, "Let me walk you through how the review screen works for a manager."),
    (DANA, "Sure. The managers mostly care about seeing what changed on each account."),
    (RILEY, "Each change shows the quote it came from, so nobody has to replay the call."),
    (DANA, "That would save my team a lot of evenings, honestly."),
    (RILEY, "And the summary goes to the account as a note once the rep approves it."),
    (DANA, "Our ops lead asked how the notes look in the timeline view."),
    (RILEY, "They show up as one note per meeting, with the next steps listed under it."),
    (DANA, "Good. Marcus will want to see the permissions model as well."),
)
_PLANTED = {
    5: (DANA, "The budget is 100k for this year."),
    40: (DANA, "Finance approved 140k, that's the number."),
    60: (DANA, "We need signature by December 15th."),
    75: (RILEY, "I'll send the revised order form by Friday."),
    85: (DANA, "We're also evaluating Clari."),
}
"""Facts at these minutes of the call: the amount is stated twice, the later one wins."""


def ninety_minute_call() -> Transcript:
    """A 90-minute call: a turn every six seconds, neutral talk around the planted facts."""
    segments: list[Segment] = []
    planted = {minute * 10: line for minute, line in _PLANTED.items()}
    for index in range(90 * 10):
        speaker, text = planted.get(index, _FILLER[index % len(_FILLER)])
        segments.append(Segment(index=index, speaker=speaker, text=text, start=6.0 * index))
    return Transcript(segments=tuple(segments), source_format="json")


@dataclass
class RecordingEngine:
    """The rules engine behind a small context window, keeping every part it was given."""

    context_tokens: int = 4_096
    parts: list[Transcript] = field(default_factory=list)
    inner: RulesEngine = field(default_factory=RulesEngine)

    @property
    def name(self) -> str:
        return "recording"

    def extract(self, request: ExtractionRequest) -> EngineOutput:
        self.parts.append(request.transcript)
        return self.inner.extract(request)


def changes_of(engine: RulesEngine | RecordingEngine, transcript: Transcript) -> dict[str, object]:
    result = run_extraction(
        engine=engine, transcript=transcript, context=context(), meeting_date=MEETING
    )
    return {c.field: c.after for c in result.validated.changes}


def test_a_ninety_minute_call_read_in_parts_gives_the_whole_calls_answer() -> None:
    call = ninety_minute_call()
    engine = RecordingEngine()

    chunked = run_extraction(
        engine=engine, transcript=call, context=context(), meeting_date=MEETING
    )

    assert call.segments[-1].start >= 89 * 60
    assert len(engine.parts) > 10
    assert {c.field: c.after for c in chunked.validated.changes} == {
        "deal.amount": 140_000.0,
        "deal.close_date": "2026-12-15",
        "deal.competitors": ["Gong", "Clari"],
    }
    assert changes_of(RulesEngine(), call) == {c.field: c.after for c in chunked.validated.changes}
    assert [(s.owner, s.action, s.due) for s in chunked.validated.next_steps] == [
        ("rep", "send the revised order form", "2026-11-20")
    ]
    amount = next(c for c in chunked.validated.changes if c.field == "deal.amount")
    assert amount.evidence.segment_indices == (400,)
    assert any(d.reason == "superseded by a later statement" for d in chunked.validated.dropped)


def test_parts_fit_the_context_are_cut_between_turns_and_overlap() -> None:
    call = ninety_minute_call()
    engine = RecordingEngine(context_tokens=4_096)
    run_extraction(engine=engine, transcript=call, context=context(), meeting_date=MEETING)
    limit = part_chars(engine, ExtractionOptions())

    assert limit is not None
    indices = [[s.index for s in part.segments] for part in engine.parts]
    for part, numbers in zip(engine.parts, indices, strict=True):
        assert sum(segment_chars(s) for s in part.segments) <= limit
        assert numbers == list(range(numbers[0], numbers[-1] + 1))
    for before, after in pairwise(indices):
        assert before[0] < after[0] <= before[-1]
    assert indices[0][0] == 0
    assert indices[-1][-1] == len(call.segments) - 1


def test_an_option_overrides_what_the_engine_says_of_its_context() -> None:
    engine = RecordingEngine(context_tokens=1_000_000)
    options = ExtractionOptions(context_tokens=4_096)
    run_extraction(
        engine=engine,
        transcript=ninety_minute_call(),
        context=context(),
        meeting_date=MEETING,
        options=options,
    )

    assert len(engine.parts) > 10
    assert part_chars(RulesEngine(), ExtractionOptions()) is None


def test_a_turn_longer_than_a_part_is_a_part_of_its_own() -> None:
    long_turn = Segment(index=1, speaker=DANA, text="word " * 400)
    short = [Segment(index=i, speaker=RILEY, text="Okay.") for i in (0, 2)]
    call = Transcript(segments=(short[0], long_turn, short[1]))

    parts = split_transcript(call, max_chars=300, overlap_chars=30)

    assert [[s.index for s in p.segments] for p in parts] == [[0], [1], [2]]
    with pytest.raises(ValueError, match="positive"):
        split_transcript(call, max_chars=0, overlap_chars=0)


def test_a_call_that_fits_is_one_part() -> None:
    call = ninety_minute_call()
    assert split_transcript(call, max_chars=10**7, overlap_chars=100) == [call]


def _output(
    *updates: RawFieldUpdate, steps: tuple[NextStep, ...] = (), summary: str = ""
) -> EngineOutput:
    return EngineOutput(
        summary=summary,
        next_steps=steps,
        field_updates=updates,
        engine="e",
        model="m",
        prompt_version="p",
        usage=TokenUsage(prompt=100, completion=10),
        latency_s=1.0,
    )


def test_merging_keeps_each_statement_once_and_sums_the_cost() -> None:
    quote = Evidence(quote="The budget is 100k", segment_indices=(5,))
    later = Evidence(quote="Finance approved 140k", segment_indices=(40,))
    same = RawFieldUpdate(field="deal.amount", value="100k", evidence=quote, confidence=0.7)
    first = _output(
        same,
        steps=(NextStep(owner="rep", action="send the revised order form"),),
        summary="Budget set.",
    )
    second = _output(
        same,
        RawFieldUpdate(field="deal.amount", value="140k", evidence=later),
        steps=(NextStep(owner="Rep", action="Send the revised order form", due="2026-11-20"),),
        summary="Budget set. Finance approved more.",
    )

    merged = merge_outputs([first, second])

    assert [u.value for u in merged.field_updates] == ["100k", "140k"]
    assert [(s.owner, s.due) for s in merged.next_steps] == [("rep", "2026-11-20")]
    assert merged.summary == "Budget set. Finance approved more."
    assert (merged.usage.prompt, merged.usage.completion, merged.latency_s) == (200, 20, 2.0)
    with pytest.raises(ValueError, match="nothing"):
        merge_outputs([])
