from __future__ import annotations

from agent.domain.evidence import locate, speaks_to_field
from agent.domain.models import Evidence, Segment, Transcript

TRANSCRIPT = Transcript(
    segments=(
        Segment(index=0, speaker="Riley", text="Thanks for joining, everyone.", start=0.0),
        Segment(
            index=1,
            speaker="Dana (Acme)",
            text="We’re now at 120 seats, so the number is $138,000 for year one.",
            start=12.5,
        ),
        Segment(
            index=2, speaker="Dana (Acme)", text="We need signature by December 15th.", start=30.0
        ),
    )
)


def test_a_quote_in_the_cited_segment_is_found_with_its_moment() -> None:
    check = locate(Evidence(quote="so the number is $138,000", segment_indices=(1,)), TRANSCRIPT)
    assert check.ok
    assert check.evidence.speaker == "Dana (Acme)"
    assert check.evidence.start == 12.5


def test_case_spacing_and_typographic_quotes_are_folded() -> None:
    check = locate(Evidence(quote="WE'RE  now at 120   seats"), TRANSCRIPT)
    assert check.ok
    assert check.evidence.segment_indices == (1,)


def test_an_invented_quote_fails() -> None:
    check = locate(Evidence(quote="the budget is one million dollars"), TRANSCRIPT)
    assert not check.ok
    assert check.reason == "quote does not occur in the transcript"


def test_a_real_quote_cited_at_the_wrong_segment_fails() -> None:
    check = locate(Evidence(quote="signature by December 15th", segment_indices=(1,)), TRANSCRIPT)
    assert not check.ok
    assert "cited segments" in (check.reason or "")


def test_a_missing_segment_and_a_short_quote_fail() -> None:
    assert not locate(Evidence(quote="signature by December", segment_indices=(9,)), TRANSCRIPT).ok
    assert not locate(Evidence(quote="yes"), TRANSCRIPT).ok


def test_relevance_by_kind() -> None:
    assert speaks_to_field("amount", "the number is $138,000", 138000.0)
    assert not speaks_to_field("amount", "Thanks for joining, everyone.", 138000.0)
    assert speaks_to_field("date", "We need signature by December 15th.", "2026-12-15")
    assert not speaks_to_field("date", "so the number is big", "2026-12-15")
    assert speaks_to_field("name_list", "we're also looking at Gong", ["Clari", "Gong"], ["Clari"])
    assert not speaks_to_field("name_list", "we like your product", ["Clari", "Gong"], ["Clari"])
    assert speaks_to_field("text", "I've been promoted to VP of Operations", "VP of Operations")
    assert not speaks_to_field("text", "the weather is nice", "VP of Operations")


def test_an_amount_needs_its_own_number_or_spoken_words() -> None:
    assert speaks_to_field("amount", "so we're at $1.2M all in", 1_200_000.0)
    assert speaks_to_field("amount", "it lands at 65k after the discount", 65000.0)
    assert speaks_to_field("amount", "call it one twenty K for the year", 120000.0)
    assert speaks_to_field("amount", "sorry, I meant 95, not 90", 95000.0)
    assert not speaks_to_field("amount", "we have 80 seats today", 138000.0)
    assert not speaks_to_field("amount", "the number is $138,000", "138000")
