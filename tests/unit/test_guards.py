"""The validator's second guard: evidence that states the value, said or agreed by the customer.

Each case gives the engine's raw update and the short call it quotes, and checks the change the
rep would see, or the reason it is dropped.
"""

from __future__ import annotations

from datetime import date

import pytest

from agent.domain.fields import DEFAULT_POLICY
from agent.domain.models import (
    Account,
    Contact,
    CrmContext,
    Deal,
    EngineOutput,
    Evidence,
    FieldValueT,
    RawFieldUpdate,
    Segment,
    Transcript,
)
from agent.domain.validate import validate_output

NOT_A_DATE = "the quote does not speak to deal.close_date"
MEETING = date(2026, 11, 18)
"""A Wednesday."""
REP, DANA = "Riley (Engage)", "Dana (Acme)"
CONTEXT = CrmContext(
    deal=Deal(
        id="D1",
        name="Acme platform",
        account_id="A1",
        stage="Proposal",
        amount=90_000.0,
        close_date=date(2026, 12, 31),
    ),
    account=Account(id="A1", name="Acme", domain="acme.com"),
    contacts=(Contact(id="C1", name="Dana Reyes", email="dana@acme.com"),),
    stages=("Discovery", "Demo", "Proposal", "Negotiation", "Closed Won", "Closed Lost"),
)


def check(
    field: str, value: FieldValueT, quote: str, *turns: tuple[str, str]
) -> tuple[FieldValueT, str | None]:
    """The value proposed (or None) and the reason it was dropped (or None)."""
    transcript = Transcript(
        segments=tuple(
            Segment(index=i, speaker=speaker, text=text, start=5.0 * i)
            for i, (speaker, text) in enumerate(turns)
        )
    )
    output = EngineOutput(
        summary="",
        next_steps=(),
        field_updates=(
            RawFieldUpdate(
                field=field, value=value, evidence=Evidence(quote=quote), confidence=0.8
            ),
        ),
        engine="test",
        model="m",
        prompt_version="p",
    )
    result = validate_output(
        output, transcript=transcript, context=CONTEXT, policy=DEFAULT_POLICY, meeting_date=MEETING
    )
    after = result.changes[0].after if result.changes else None
    reason = result.dropped[0].reason if result.dropped else None
    return after, reason


@pytest.mark.parametrize(
    ("field", "value", "quote", "line", "reason"),
    [
        pytest.param("deal.amount", "150k", "it would be 150k",
                     "If we went to 200 seats it would be 150k.", "stated as a condition",
                     id="hypothetical"),
        pytest.param("deal.amount", "125k", "stretch to 125k",
                     "We might stretch to 125k, but I wouldn't count on it.", "hedged, not stated",
                     id="hedge"),
        pytest.param("deal.amount", "20k", "add another twenty thousand",
                     "If security signs off, we'd add another twenty thousand.",
                     "stated as a condition", id="condition-first"),
        pytest.param("deal.amount", "48k", "we paid 48k for the old tool",
                     "Last year we paid 48k for the old tool.", "a past value", id="past"),
        pytest.param("deal.close_date", "December 15th", "I can't commit to December 15th",
                     "I can't commit to December 15th.", "denied in the quote", id="denied"),
        pytest.param("deal.close_date", "2027-06-30", "until the end of June",
                     "The whole thing is on hold until the end of June.",
                     "a pause, not a decision", id="on-hold"),
        pytest.param("deal.amount", "95k", "Is it 95k now?", "Is it 95k now?",
                     "asked, not stated", id="customer-question"),
        pytest.param("deal.amount", "78k", "The provost approved seventy-eight thousand.",
                     "The provost approved seventy-eight thousand. Sorry, not seventy-eight, "
                     "eighty-seven thousand.", "corrected later in the call (to 87,000)",
                     id="corrected-right-after"),
    ],
)  # fmt: skip
def test_a_value_not_plainly_stated_is_dropped(
    field: str, value: FieldValueT, quote: str, line: str, reason: str
) -> None:
    assert check(field, value, quote, (REP, "Where are we?"), (DANA, line)) == (None, reason)


def test_the_corrected_value_itself_stands() -> None:
    quote = "Sorry, not seventy-eight, eighty-seven thousand."
    line = f"The provost approved seventy-eight thousand. {quote}"

    assert check("deal.amount", "87k", quote, (REP, "And?"), (DANA, line)) == (87_000.0, None)


def test_a_correction_in_the_speakers_next_turn_counts() -> None:
    found = check(
        "deal.close_date",
        "the 3rd of February",
        "We're targeting the 3rd of February",
        (DANA, "We're targeting the 3rd of February for signature."),
        (REP, "Okay, a few days after the end of January."),
        (DANA, "Actually, no, sorry. Procurement said it's the 10th of February."),
    )
    assert found == (None, "corrected later in the call (to 2027-02-10)")


@pytest.mark.parametrize(
    ("field", "value", "rep_line", "answer", "expected"),
    [
        pytest.param("deal.close_date", "January 29th",
                     "Should we push the close date to January 29th?",
                     "Yes, January 29th is more realistic.", ("2027-01-29", None),
                     id="asked-and-agreed"),
        pytest.param("deal.stage", "Negotiation",
                     "Can I put you down for the negotiation stage?",
                     "Not yet. Our GM hasn't seen it.",
                     (None, "not stated or agreed by the customer"), id="asked-and-refused"),
        pytest.param("deal.close_date", "December 15th",
                     "I'd love to get this signed by December 15th.",
                     "That would be nice, but not before February.",
                     (None, "not stated or agreed by the customer"), id="rep-wish"),
        pytest.param("deal.stage", "Negotiation", "So we move into negotiation now?",
                     "Yes, but not before legal has read it.",
                     (None, "not stated or agreed by the customer"), id="yes-with-reservation"),
        pytest.param("deal.amount", "65k", "So 65,000 for the first year.", "Correct.",
                     (65_000.0, None), id="amount-confirmed"),
        pytest.param("deal.stage", "Negotiation", "So we're ready for negotiation?", "We are.",
                     ("Negotiation", None), id="bare-we-are"),
    ],
)  # fmt: skip
def test_deal_values_need_the_customer(
    field: str,
    value: FieldValueT,
    rep_line: str,
    answer: str,
    expected: tuple[FieldValueT, str | None],
) -> None:
    assert check(field, value, rep_line, (REP, rep_line), (DANA, answer)) == expected


def test_without_a_known_customer_speaker_the_side_is_not_demanded() -> None:
    found = check(
        "deal.close_date",
        "March 31st",
        "signature date moves to March 31st",
        ("Speaker", "Good news, the signature date moves to March 31st."),
        ("Speaker 2", "Great."),
    )
    assert found == ("2027-03-31", None)


@pytest.mark.parametrize(
    ("field", "value", "quote", "line", "expected"),
    [
        pytest.param("deal.close_date", "2027-01-15", "We now have 80 seats",
                     "We now have 80 seats.", (None, NOT_A_DATE), id="seats-are-no-date"),
        pytest.param("deal.close_date", "2027-01-22", "We'll sign mid-January",
                     "We'll sign mid-January.", (None, NOT_A_DATE), id="another-date"),
        pytest.param("deal.close_date", "2027-03-31", "we have to slip a full quarter",
                     "Sorry, we have to slip a full quarter.", ("2027-03-31", None),
                     id="slip-from-the-crm-date"),
        pytest.param("deal.amount", "110k", "add another twenty thousand",
                     "Finance will add another twenty thousand.", (110_000.0, None),
                     id="increase-from-the-crm-amount"),
        pytest.param("deal.amount", "138000", "We have 80 seats", "We have 80 seats.",
                     (None, "the quote does not speak to deal.amount"), id="seats-are-no-amount"),
        pytest.param("deal.stage", "Negotiation", "We're ready to talk budget",
                     "We're ready to talk budget.",
                     (None, "the quote does not speak to deal.stage"), id="stage-not-named"),
        pytest.param("deal.stage", "Negotiation", "It's with procurement now",
                     "It's with procurement now.", ("Negotiation", None), id="stage-synonym"),
        pytest.param("deal.stage", "Negotiation", "we're through the proposal",
                     "Good, we're through the proposal.", ("Negotiation", None),
                     id="through-a-stage"),
        pytest.param("deal.stage", "Closed Lost", "We're not moving forward with you",
                     "We're not moving forward with you this year.", ("Closed Lost", None),
                     id="lost-is-a-denial"),
        pytest.param("deal.stage", "Closed Lost", "We've decided not to move forward.",
                     "We've decided not to move forward.", ("Closed Lost", None),
                     id="decided-not-to"),
        pytest.param("deal.close_date", "2027-01-29", "Yes, put the 29th.", "Yes, put the 29th.",
                     ("2027-01-29", None), id="bare-day-month-from-the-call"),
        pytest.param("deal.close_date", "2027-01-28", "Yes, put the 29th.", "Yes, put the 29th.",
                     (None, NOT_A_DATE), id="bare-day-must-match"),
        pytest.param("deal.stage", "Closed Won", "we signed three new properties",
                     "Busy month, we signed three new properties.",
                     (None, "the quote does not speak to deal.stage"), id="something-else-signed"),
        pytest.param("deal.stage", "Closed Won", "We signed this morning",
                     "We signed this morning.", ("Closed Won", None), id="won"),
    ],
)  # fmt: skip
def test_the_quote_must_state_the_value(
    field: str,
    value: FieldValueT,
    quote: str,
    line: str,
    expected: tuple[FieldValueT, str | None],
) -> None:
    assert check(field, value, quote, (REP, "Any news?"), (DANA, line)) == expected
