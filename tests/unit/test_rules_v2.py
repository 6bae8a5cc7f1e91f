"""The `rules/v2` lexicon: the known misses of v1, each with its own example."""

from __future__ import annotations

import pytest

from agent.domain.fields import DEFAULT_POLICY
from agent.domain.ports import ExtractionRequest
from agent.llm.rules import RulesEngine
from tests.unit.rules_helpers import DANA, MARCUS, MEETING, RILEY, context, run, transcript, values


def steps(*lines: tuple[str, str]) -> list[tuple[str, str, str | None]]:
    return [(s.owner, s.action, s.due) for s in run(*lines).next_steps]


# --- next steps ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "Can you hear me?",
        "Can you both hear me okay?",
        "Can you all see the deck?",
        "Can you guys see my screen?",
    ],
)
def test_small_talk_is_not_a_next_step(line: str) -> None:
    assert steps((RILEY, line), (DANA, "Yes, all good.")) == []


def test_a_date_inside_the_action_does_not_cut_it_short() -> None:
    line = "And I'll take the proposal to the budget committee at the end of the month."
    assert steps((DANA, line)) == [
        ("Dana", "take the proposal to the budget committee", "2026-11-30")
    ]


def test_it_and_both_are_replaced_by_what_they_point_at() -> None:
    found = steps(
        (DANA, "Send me both options, one year and two years."),
        (RILEY, "I'll send both by Friday."),
        (DANA, "The big one for me is the pen test report."),
        (RILEY, "We have one from September. I'll send it over under NDA today."),
    )
    assert found == [
        ("rep", "send both options", "2026-11-20"),
        ("rep", "send the pen test report over under NDA", "2026-11-18"),
    ]


def test_record_keeping_and_determiners_are_not_resolved() -> None:
    found = steps(
        (DANA, "My new mobile is 415 555 0173."),
        (RILEY, "Got it. I'll update that. I'll look at that recording specifically."),
    )
    assert found == [("rep", "look at that recording specifically", None)]


def test_a_second_action_after_a_comma_and_is_its_own_step() -> None:
    line = "I'll send a short note summarising what we discussed, and check in next September."
    assert steps((RILEY, line)) == [
        ("rep", "send a short note summarising what we discussed", None),
        ("rep", "check in next September", None),
    ]


def test_a_customer_asking_a_colleague_by_name_makes_the_colleague_the_owner() -> None:
    found = steps(
        (DANA, "Marcus, can you pull a list of the five reps for the trial group?"),
        (MARCUS, "Yes, I'll get you that list by Monday."),
    )
    assert found == [("Marcus", "pull a list of the five reps for the trial group", "2026-11-23")]


def test_their_team_is_the_customer() -> None:
    line = "Our IT team needs the DPA too, they'll send their template next week."
    assert steps((DANA, line)) == [("customer", "send their template", "2026-11-27")]


def test_updating_the_crm_is_not_a_next_step() -> None:
    assert steps((RILEY, "Okay, so I'll put mid-January as the close date.")) == []


# --- field values --------------------------------------------------------------------------------


def test_spoken_asr_amount() -> None:
    line = "yeah so the budget got through we're at one twenty K for the year"
    assert values(run((RILEY, "so how did it go"), (DANA, line))) == {"deal.amount": 120_000.0}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param("Honestly, the whole thing is on hold until the Q2 budget.", {},
                     id="on-hold-until-a-budget"),
        pytest.param("Once Marcus gives the go-ahead we send it to legal.", {},
                     id="pending-event"),
        pytest.param("We'll decide between the three of you by mid-February.", {},
                     id="vendor-decision"),
        pytest.param("Exhausting, but we signed three new properties, so worth it.", {},
                     id="something-else-signed"),
        pytest.param("We have a $1.2M budget for the whole program, your piece is one line in it.",
                     {}, id="program-budget"),
        pytest.param("We signed this morning.", {"deal.stage": "Closed Won"},
                     id="won-but-no-close-date-in-the-past"),
    ],
)  # fmt: skip
def test_what_v1_took_for_a_change(line: str, expected: dict[str, object]) -> None:
    assert values(run((DANA, line))) == expected


def test_a_later_restatement_of_the_crms_amount_undoes_a_decoy() -> None:
    found = values(
        run(
            (DANA, "Our total budget is $1.2M this year."),
            (RILEY, "Our piece is the 90,000 we discussed."),
            (DANA, "Yes, 90,000 is fine."),
        )
    )
    assert "deal.amount" not in found


def test_a_quarter_named_for_its_numbers_is_no_date() -> None:
    line = "no that's gonna slip the board wants to see the Q4 numbers so we'll sign by end of Q1"
    assert values(run((DANA, line))) == {"deal.close_date": "2027-03-31"}


def test_a_bare_correction_carries_to_the_next_sentence() -> None:
    found = values(
        run(
            (RILEY, "Where are we on the signature?"),
            (DANA, "We're targeting the 3rd of February."),
            (RILEY, "Okay, a few days after the end of January."),
            (DANA, "Actually, no, sorry. Procurement told me this morning it's the 10th of "
                   "February, because the board meets on the 9th."),
        )
    )  # fmt: skip
    assert found == {"deal.close_date": "2027-02-10"}


def test_that_is_the_number_points_back() -> None:
    found = values(
        run((DANA, "We're at 65k after the discount. That's the number I've got approval for."))
    )
    assert found == {"deal.amount": 65_000.0}


def test_moves_said_with_from_and_with_talk() -> None:
    assert values(run((DANA, "We're ready to move from proposal to negotiation."))) == {
        "deal.stage": "Negotiation"
    }
    assert values(run((DANA, "Yes, we're ready to talk negotiation."))) == {
        "deal.stage": "Negotiation"
    }


def test_attendees_place_a_bare_rep_name_on_the_team() -> None:
    request = ExtractionRequest(
        transcript=transcript(
            ("Jordan Lee", "Is the budget still 90k?"),
            ("Sam Park", "Yes."),
            ("Dana Whitfield", "Finance approved 120k."),
        ),
        context=context(),
        meeting_date=MEETING,
        policy=DEFAULT_POLICY,
        prompt_version="rules/v2",
        attendees=("jordan.lee@engage.io", "sam.park@engage.io", "dana@acme.com"),
        internal_domains=frozenset({"engage.io"}),
    )
    output = RulesEngine().extract(request)
    assert {u.field: u.value for u in output.field_updates} == {"deal.amount": 120_000.0}
