"""Stage and value guards: unusual moves are flagged, ordinary ones are not, and a flag never
removes a change."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from agent.domain.fields import DEFAULT_POLICY, FieldSpec
from agent.domain.models import Evidence, FieldValueT, ObjectType, ProposedChange
from agent.domain.value_guards import guard_flags

STAGES = ("Discovery", "Demo", "Proposal", "Negotiation", "Closed Won", "Closed Lost")
CALL_DAY = date(2026, 11, 20)


def change(field: str, before: FieldValueT, after: FieldValueT, quote: str) -> ProposedChange:
    return ProposedChange(
        field=field,
        object_type=ObjectType.DEAL,
        object_id="D1",
        before=before,
        after=after,
        evidence=Evidence(quote=quote, segment_indices=(0,)),
        confidence=0.8,
        critical=True,
    )


def spec(name: str) -> FieldSpec:
    found = DEFAULT_POLICY.spec(name)
    assert found is not None
    return found


def kinds(field: str, before: FieldValueT, after: FieldValueT, quote: str) -> list[str]:
    flags = guard_flags(
        change(field, before, after, quote), spec(field), stages=STAGES, meeting_date=CALL_DAY
    )
    return [f.kind for f in flags]


@pytest.mark.parametrize(
    ("before", "after", "quote", "expected"),
    [
        ("Demo", "Proposal", "Send us the proposal.", []),
        ("Discovery", "Proposal", "We're ready for a proposal.", ["stage_skip"]),
        ("Discovery", "Proposal", "Let's skip the demo and go to a proposal.", []),
        ("Discovery", "Negotiation", "We can go straight to negotiation.", []),
        ("Negotiation", "Demo", "The new VP wants a demo first.", ["stage_back"]),
        ("Negotiation", "Demo", "We have to go back to a demo for the new VP.", []),
        ("Closed Won", "Negotiation", "Procurement reopened the contract.", []),
        ("Closed Won", "Negotiation", "Legal wants to renegotiate the terms.", ["stage_back"]),
        ("Discovery", "Closed Lost", "We went with another vendor.", []),
        ("Proposal", "Closed Won", "We signed this morning.", ["stage_skip"]),
        ("Negotiation", "Closed Won", "We signed this morning.", []),
        ("Legacy", "Proposal", "Send the proposal.", []),
    ],
)
def test_stage_moves_follow_the_pipeline_unless_the_evidence_says_otherwise(
    before: str, after: str, quote: str, expected: list[str]
) -> None:
    assert kinds("deal.stage", before, after, quote) == expected


def test_a_skip_names_the_stages_skipped() -> None:
    flags = guard_flags(
        change("deal.stage", "Discovery", "Negotiation", "Let's talk terms."),
        spec("deal.stage"),
        stages=STAGES,
        meeting_date=CALL_DAY,
    )
    assert flags[0].message == "skips Demo, Proposal (Discovery → Negotiation)"


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (90_000.0, 120_000.0, []),
        (90_000.0, 135_000.0, []),
        (90_000.0, 180_000.0, ["amount_jump"]),
        (90_000.0, 45_000.0, ["amount_jump"]),
        (None, 500_000.0, []),
    ],
)
def test_amounts_moving_beyond_the_fields_ratio_are_flagged(
    before: float | None, after: float, expected: list[str]
) -> None:
    assert kinds("deal.amount", before, after, "The budget is set.") == expected


def test_the_ratio_is_the_fields_own() -> None:
    loose = replace(spec("deal.amount"), max_change_ratio=3.0)
    flags = guard_flags(
        change("deal.amount", 90_000.0, 180_000.0, "It is 180k."),
        loose,
        stages=STAGES,
        meeting_date=CALL_DAY,
    )
    assert flags == []


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ("2026-12-31", "2027-01-31", []),
        ("2026-12-31", "2026-11-02", ["date_past"]),
        ("2026-12-31", "2027-06-30", ["date_shift"]),
        ("2027-06-30", "2026-12-31", ["date_shift"]),
        (None, "2026-10-01", ["date_past"]),
        ("2027-06-30", "2026-10-01", ["date_past", "date_shift"]),
    ],
)
def test_close_dates_into_the_past_or_moved_far_are_flagged(
    before: str | None, after: str, expected: list[str]
) -> None:
    assert kinds("deal.close_date", before, after, "Put it in for then.") == expected


def test_other_fields_have_no_guard() -> None:
    assert kinds("deal.competitors", ["Gong"], ["Gong", "Clari"], "And Clari.") == []
