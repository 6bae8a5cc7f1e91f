"""Resolving spoken values to canonical ones, and refusing what cannot be resolved."""

from __future__ import annotations

from datetime import date

import pytest

from agent.domain.fields import DEFAULT_POLICY, FieldSpec
from agent.domain.models import FieldValueT
from agent.domain.normalize import match_stage, normalize_value, parse_amount, parse_date

MEETING = date(2026, 11, 18)
"""A Wednesday."""
STAGES = ("Discovery", "Demo", "Proposal", "Negotiation", "Closed Won", "Closed Lost")


def spec(name: str) -> FieldSpec:
    found = DEFAULT_POLICY.spec(name)
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$138,000", 138_000.0),
        ("138k", 138_000.0),
        ("138K", 138_000.0),
        ("1.2M", 1_200_000.0),
        ("$1.2 million", 1_200_000.0),
        ("eighty-five thousand", 85_000.0),
        ("one hundred and twenty thousand dollars", 120_000.0),
        ("two hundred fifty thousand", 250_000.0),
        ("120,000 USD", 120_000.0),
        ("120 thousand", 120_000.0),
        ("a hundred grand", 100_000.0),
        ("half a million", 500_000.0),
        ("one point two million", 1_200_000.0),
        ("$95k per year", 95_000.0),
        ("€40,500.50", 40_500.5),
        ("138000", 138_000.0),
        (138000, 138_000.0),
        (99.5, 99.5),
    ],
)
def test_parse_amount(text: str | float, expected: float) -> None:
    assert parse_amount(text) == expected


@pytest.mark.parametrize(
    "text",
    ["100 to 120k", "90-100k", "between 100k and 120k", "100k or 120k", "15%", "ten percent",
     "soonish", "", "1,2", "12 bananas", "-5", "minus five thousand", -5, float("nan"), True],
)  # fmt: skip
def test_parse_amount_refuses_ranges_percents_and_noise(text: str | float | bool) -> None:
    assert parse_amount(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-15", date(2026, 12, 15)),
        ("2027/01/05", date(2027, 1, 5)),
        ("December 15th", date(2026, 12, 15)),
        ("Dec 15", date(2026, 12, 15)),
        ("Dec. 15, 2027", date(2027, 12, 15)),
        ("by December 15th", date(2026, 12, 15)),
        ("Friday, December 18", date(2026, 12, 18)),
        ("the 3rd of February", date(2027, 2, 3)),
        ("15 Dec 2027", date(2027, 12, 15)),
        ("Nov 1", date(2027, 11, 1)),
        ("Nov 18", date(2026, 11, 18)),
        ("15/12/2026", date(2026, 12, 15)),
        ("12/15/2026", date(2026, 12, 15)),
        ("05/05/26", date(2026, 5, 5)),
        ("the 30th", date(2026, 11, 30)),
        ("the 2nd", date(2026, 12, 2)),
        ("next Friday", date(2026, 11, 27)),
        ("this Friday", date(2026, 11, 20)),
        ("Friday", date(2026, 11, 20)),
        ("Wednesday", date(2026, 11, 25)),
        ("monday", date(2026, 11, 23)),
        ("today", date(2026, 11, 18)),
        ("tomorrow", date(2026, 11, 19)),
        ("this week", date(2026, 11, 20)),
        ("next week", date(2026, 11, 27)),
        ("end of the month", date(2026, 11, 30)),
        ("end of next month", date(2026, 12, 31)),
        ("end of the quarter", date(2026, 12, 31)),
        ("end of next quarter", date(2027, 3, 31)),
        ("end of Q1", date(2027, 3, 31)),
        ("Q4", date(2026, 12, 31)),
        ("end of Q2 2028", date(2028, 6, 30)),
        ("end of the year", date(2026, 12, 31)),
        ("mid-January", date(2027, 1, 15)),
        ("middle of December", date(2026, 12, 15)),
        ("end of February", date(2027, 2, 28)),
        ("beginning of March", date(2027, 3, 1)),
        ("in two weeks", date(2026, 12, 2)),
        ("in 10 days", date(2026, 11, 28)),
        ("in a couple of weeks", date(2026, 12, 2)),
        ("two weeks from now", date(2026, 12, 2)),
        ("in three months", date(2027, 2, 18)),
    ],
)
def test_parse_date(text: str, expected: date) -> None:
    assert parse_date(text, meeting_date=MEETING) == expected


@pytest.mark.parametrize(
    "text",
    ["soonish", "in January", "early January", "late December", "03/04/2026", "Feb 30",
     "sometime", "", "next year-ish", "the new year"],
)  # fmt: skip
def test_parse_date_refuses_what_is_ambiguous(text: str) -> None:
    assert parse_date(text, meeting_date=MEETING) is None


def test_next_weekday_on_a_friday_means_the_following_week() -> None:
    friday = date(2026, 11, 20)

    assert parse_date("Friday", meeting_date=friday) == date(2026, 11, 27)
    assert parse_date("next Friday", meeting_date=friday) == date(2026, 11, 27)
    assert parse_date("next Monday", meeting_date=friday) == date(2026, 11, 23)


def test_end_of_week_said_on_a_weekend_is_the_coming_friday() -> None:
    assert parse_date("end of the week", meeting_date=date(2026, 11, 21)) == date(2026, 11, 27)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Negotiation", "Negotiation"),
        ("  negotiation ", "Negotiation"),
        ("CLOSED-WON", "Closed Won"),
        ("closedwon", "Closed Won"),
        ("the proposal stage", "Proposal"),
        ("procurement", "Negotiation"),
        ("legal review", "Negotiation"),
        ("redlines", "Negotiation"),
        ("closed", "Closed Won"),
        ("signed", "Closed Won"),
        ("lost", "Closed Lost"),
        ("Negotation", "Negotiation"),
    ],
)
def test_match_stage(text: str, expected: str) -> None:
    assert match_stage(text, STAGES) == expected


@pytest.mark.parametrize("text", ["Procurement-ish", "pilot", "banana", "", "stage"])
def test_match_stage_refuses_a_miss(text: str) -> None:
    assert match_stage(text, STAGES) is None


def test_match_stage_uses_the_pipelines_own_spelling() -> None:
    stages = ("Qualify", "Solution Fit", "Contracting", "Won", "Lost")

    assert match_stage("procurement", stages) == "Contracting"
    assert match_stage("signed", stages) == "Won"
    assert match_stage("closed lost", stages) == "Lost"
    assert match_stage("qualification", stages) == "Qualify"


def test_match_stage_refuses_when_a_synonym_fits_two_stages() -> None:
    stages = ("Negotiation", "Negotiation Review", "Closed Won")

    assert match_stage("procurement", stages) is None
    assert match_stage("anything", ()) is None


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("deal.amount", "$120k", 120_000.0),
        ("deal.amount", 120000, 120_000.0),
        ("deal.close_date", "December 15th", "2026-12-15"),
        ("deal.close_date", "2026-12-15", "2026-12-15"),
        ("deal.close_date", "2026-12-15T10:00:00", "2026-12-15"),
        ("deal.stage", "procurement", "Negotiation"),
        ("deal.competitors", "Gong, Clari and chorus", ["Gong", "Clari", "chorus"]),
        ("deal.competitors", ["Gong", " gong ", "Clari & Outreach"], ["Gong", "Clari", "Outreach"]),
        ("deal.competitors", [], []),
        ("contact.email", " Dana@Acme.COM ", "dana@acme.com"),
        ("contact.email", "mailto:dana@acme.com", "dana@acme.com"),
        ("contact.phone", "+1 (415) 555-0100", "+14155550100"),
        ("contact.phone", "415.555.0100", "4155550100"),
        ("contact.title", "  Chief   Operating\nOfficer ", "Chief Operating Officer"),
        ("deal.next_step", "Send the order form", "Send the order form"),
    ],
)
def test_normalize_value(field: str, value: FieldValueT, expected: FieldValueT) -> None:
    result = normalize_value(spec(field), value, meeting_date=MEETING, stages=STAGES)

    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("deal.amount", "100 to 120k", "not an amount: '100 to 120k'"),
        ("deal.amount", True, "not an amount: True"),
        ("deal.close_date", "soonish", "not a date: 'soonish'"),
        ("deal.stage", "Procurement-ish", "'Procurement-ish' is not a stage of this pipeline"),
        ("deal.stage", None, "not a picklist value: None"),
        ("deal.close_date", ["2026-12-15"], "not a date: ['2026-12-15']"),
        ("deal.competitors", 3, "not a list of names: 3"),
        ("contact.email", "dana at acme", "not an email address: 'dana at acme'"),
        ("contact.phone", "call me maybe", "not a phone number: 'call me maybe'"),
        ("contact.phone", "555-01", "not a phone number: '555-01'"),
        ("contact.title", "   ", "empty text"),
        ("contact.title", ["COO"], "not text: ['COO']"),
    ],
)
def test_normalize_value_refuses_with_a_reason(field: str, value: FieldValueT, reason: str) -> None:
    with pytest.raises(ValueError, match="^" + reason.replace("(", r"\(").replace("[", r"\[")):
        normalize_value(spec(field), value, meeting_date=MEETING, stages=STAGES)
