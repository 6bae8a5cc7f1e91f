"""What the service adds to a call: attendees and team domains place speakers; prompt v2."""

from __future__ import annotations

from agent.domain.fields import DEFAULT_POLICY
from agent.domain.ports import ExtractionRequest
from agent.llm.prompts import extraction_context, load_prompt
from agent.llm.rules import RulesEngine
from agent.services.extract import ExtractionOptions, run_extraction
from agent.settings import Settings
from tests.unit.rules_helpers import MEETING, context, transcript

CALL = transcript(
    ("Jordan Lee", "Olivia, where did finance land?"),
    ("Olivia Grant", "Finance approved 120k."),
    ("Dana Whitfield", "And we need signature by December 15th."),
)
ATTENDEES = ("jordan.lee@engage.io", "olivia.grant@acme.com", "dana@acme.com")


def test_an_attendee_who_is_no_crm_contact_still_speaks_for_the_customer() -> None:
    unplaced = run_extraction(
        engine=RulesEngine(), transcript=CALL, context=context(), meeting_date=MEETING
    )
    placed = run_extraction(
        engine=RulesEngine(),
        transcript=CALL,
        context=context(),
        meeting_date=MEETING,
        options=ExtractionOptions(attendees=ATTENDEES, internal_domains=frozenset({"engage.io"})),
    )

    assert {c.field: c.after for c in unplaced.validated.changes} == {
        "deal.close_date": "2026-12-15"
    }
    assert {c.field: c.after for c in placed.validated.changes} == {
        "deal.amount": 120_000.0,
        "deal.close_date": "2026-12-15",
    }


def test_the_date_order_setting_reads_numeric_dates() -> None:
    assert Settings(ENGAGE_DATE_ORDER="dmy").day_first is True
    assert Settings(ENGAGE_DATE_ORDER="mdy").day_first is False
    assert Settings().day_first is None


def test_prompt_v2_shows_each_speakers_side_and_the_rules_v1_lacked() -> None:
    request = ExtractionRequest(
        transcript=CALL,
        context=context(),
        meeting_date=MEETING,
        policy=DEFAULT_POLICY,
        prompt_version="v2",
        attendees=ATTENDEES,
        internal_domains=frozenset({"engage.io"}),
    )
    system, user = load_prompt("extract", "v2").render(**extraction_context(request))

    assert "[1] (00:10) Olivia Grant [customer]: Finance approved 120k." in user["content"]
    assert "[0] (00:00) Jordan Lee [seller]:" in user["content"]
    assert "If we went to 200 seats it would be 150k" in system["content"]
    assert "must itself contain the new value" in system["content"]
    v1_user = load_prompt("extract", "v1").render(**extraction_context(request))[1]["content"]
    assert "[1] (00:10) Olivia Grant: Finance approved 120k." in v1_user
