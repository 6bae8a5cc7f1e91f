"""The validator: only canonical, writable, normalized, evidenced changes reach the rep."""

from __future__ import annotations

from datetime import date

from agent.domain.fields import DEFAULT_POLICY
from agent.domain.models import (
    Account,
    Contact,
    CrmContext,
    Deal,
    EngineOutput,
    Evidence,
    NextStep,
    RawFieldUpdate,
    Segment,
    Transcript,
)
from agent.domain.validate import validate_output

CONTEXT = CrmContext(
    deal=Deal(
        id="D1",
        name="Acme - Platform",
        account_id="A1",
        stage="Proposal",
        amount=90000.0,
        close_date=date(2026, 12, 31),
        competitors=("Clari",),
    ),
    account=Account(id="A1", name="Acme", domain="acme.com"),
    contacts=(Contact(id="C1", name="Dana Reyes", email="dana@acme.com", title="VP Ops"),),
    stages=("Discovery", "Demo", "Proposal", "Negotiation", "Closed Won", "Closed Lost"),
)
TRANSCRIPT = Transcript(
    segments=(
        Segment(index=0, speaker="Riley", text="How did the budget review go?", start=0.0),
        Segment(index=1, speaker="Dana (Acme)", text="We're approved for $120,000 now.", start=5.0),
        Segment(
            index=2, speaker="Dana (Acme)", text="Sorry, it's $125,000 with the EU team.", start=9.0
        ),
        Segment(index=3, speaker="Dana (Acme)", text="I'm now the COO, by the way.", start=14.0),
        Segment(index=4, speaker="Dana (Acme)", text="Let's move into negotiation.", start=20.0),
    )
)
MEETING = date(2026, 11, 20)


def update(
    field: str,
    value: object,
    quote: str,
    *,
    segments: tuple[int, ...] = (),
    contact: str | None = None,
) -> RawFieldUpdate:
    return RawFieldUpdate(
        field=field,
        value=value,  # type: ignore[arg-type]
        evidence=Evidence(quote=quote, segment_indices=segments),
        contact=contact,
        confidence=0.8,
    )


def run(
    *updates: RawFieldUpdate, steps: tuple[NextStep, ...] = ()
) -> tuple[dict[str, object], list[str]]:
    output = EngineOutput(
        summary=" Budget grew. ",
        next_steps=steps,
        field_updates=updates,
        engine="test",
        model="m",
        prompt_version="t/1",
    )
    result = validate_output(
        output, transcript=TRANSCRIPT, context=CONTEXT, policy=DEFAULT_POLICY, meeting_date=MEETING
    )
    return {c.field: c.after for c in result.changes}, [d.reason for d in result.dropped]


def test_a_sound_update_is_normalized_and_keeps_its_evidence() -> None:
    output = EngineOutput(
        summary="s",
        next_steps=(),
        engine="t",
        model="m",
        prompt_version="p",
        field_updates=(update("deal.amount", "125k", "it's $125,000 with the", segments=(2,)),),
    )
    result = validate_output(
        output, transcript=TRANSCRIPT, context=CONTEXT, policy=DEFAULT_POLICY, meeting_date=MEETING
    )
    (change,) = result.changes
    assert (change.before, change.after, change.critical) == (90000.0, 125000.0, True)
    assert change.evidence.speaker == "Dana (Acme)"
    assert change.evidence.start == 9.0


def test_a_value_corrected_right_after_is_dropped_for_the_correction() -> None:
    changes, dropped = run(
        update("deal.amount", "120000", "approved for $120,000"),
        update("deal.amount", "125000", "it's $125,000 with the EU team"),
    )
    assert changes == {"deal.amount": 125000.0}
    assert dropped == ["corrected later in the call (to 125,000)"]


def test_the_latest_statement_wins() -> None:
    transcript = Transcript(
        segments=(
            Segment(index=0, speaker="Dana (Acme)", text="The budget is 100k for now.", start=0.0),
            Segment(index=1, speaker="Riley", text="Understood.", start=4.0),
            Segment(index=2, speaker="Riley", text="Anything new on budget?", start=60.0),
            Segment(index=3, speaker="Dana (Acme)", text="Finance approved 110k.", start=64.0),
        )
    )
    output = EngineOutput(
        summary="s",
        next_steps=(),
        engine="t",
        model="m",
        prompt_version="p",
        field_updates=(
            update("deal.amount", "110k", "Finance approved 110k"),
            update("deal.amount", "100k", "The budget is 100k"),
        ),
    )
    result = validate_output(
        output, transcript=transcript, context=CONTEXT, policy=DEFAULT_POLICY, meeting_date=MEETING
    )
    assert [c.after for c in result.changes] == [110000.0]
    assert [d.reason for d in result.dropped] == ["superseded by a later statement"]


def test_unknown_and_read_only_fields_are_dropped() -> None:
    changes, dropped = run(
        update("deal.owner", "mallory", "approved for $120,000"),
        update("account.name", "Evil Corp", "approved for $120,000"),
    )
    assert changes == {}
    assert dropped == ["unknown field 'deal.owner'", "account.name is not writable by Engage"]


def test_invented_and_irrelevant_evidence_is_dropped() -> None:
    changes, dropped = run(
        update("deal.amount", "1000000", "the budget is one million"),
        update("deal.close_date", "2027-01-15", "We're approved for $120,000 now."),
    )
    assert changes == {}
    assert dropped == [
        "quote does not occur in the transcript",
        "the quote does not speak to deal.close_date",
    ]


def test_picklist_misses_and_unchanged_values_are_dropped() -> None:
    changes, dropped = run(
        update("deal.stage", "Legal-ish", "Let's move into negotiation."),
        update("deal.competitors", ["clari"], "approved for $120,000"),
    )
    assert changes == {}
    assert "not a stage" in dropped[0] or "stage" in dropped[0]
    assert dropped[1] == "already the CRM's value"


def test_contact_changes_must_name_a_contact_of_the_deal() -> None:
    changes, dropped = run(
        update("contact.title", "COO", "I'm now the COO", contact="dana@acme.com"),
        update("contact.title", "CEO", "I'm now the COO", contact="ceo@other.com"),
    )
    assert changes == {"contact.title": "COO"}
    assert dropped == ["the contact it names is not one of this deal's contacts"]


def test_next_steps_get_resolved_due_dates() -> None:
    output = EngineOutput(
        summary="s",
        field_updates=(),
        engine="t",
        model="m",
        prompt_version="p",
        next_steps=(
            NextStep(owner="rep", action="  send the   order form ", due="2026-11-27"),
            NextStep(owner="", action="  ", due=None),
        ),
    )
    result = validate_output(
        output, transcript=TRANSCRIPT, context=CONTEXT, policy=DEFAULT_POLICY, meeting_date=MEETING
    )
    assert [(s.owner, s.action, s.due) for s in result.next_steps] == [
        ("rep", "send the order form", "2026-11-27")
    ]
