"""Dates as people say them, resolved against the meeting date (a Wednesday), or refused."""

from __future__ import annotations

from datetime import date

import pytest

from agent.domain.dates import find_dates, ordinals_to_digits, parse_date

MEETING = date(2026, 11, 18)
"""Wednesday 18 November 2026."""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("next Friday", date(2026, 11, 27), id="next-weekday-is-next-weeks"),
        pytest.param("mid-January", date(2027, 1, 15), id="mid-month-next-year"),
        pytest.param("the 3rd of February", date(2027, 2, 3), id="ordinal-of-month"),
        pytest.param("the third of February", date(2027, 2, 3), id="spoken-ordinal"),
        pytest.param("end of Q1", date(2027, 3, 31), id="quarter-end-ahead"),
        pytest.param("end of Q1 next year", date(2027, 3, 31), id="quarter-next-year"),
        pytest.param("Q4 next year", date(2027, 12, 31), id="q4-next-year"),
        pytest.param("the end of the first quarter", date(2027, 3, 31), id="quarter-in-words"),
        pytest.param("the second quarter of next year", date(2027, 6, 30), id="q2-words-next"),
        pytest.param("Thursday the 28th", date(2027, 1, 28), id="weekday-and-day-agree"),
        pytest.param("thursday the twenty eighth", date(2027, 1, 28), id="weekday-spoken-day"),
        pytest.param("Friday, December 18", date(2026, 12, 18), id="weekday-confirms-date"),
        pytest.param("next Friday the 27th", date(2026, 11, 27), id="next-weekday-with-day"),
        pytest.param("the 15th of next month", date(2026, 12, 15), id="day-of-next-month"),
        pytest.param("beginning of next month", date(2026, 12, 1), id="start-of-next-month"),
        pytest.param("middle of next month", date(2026, 12, 15), id="middle-of-next-month"),
        pytest.param("the last day of January", date(2027, 1, 31), id="last-day-of-month"),
        pytest.param("end of November", date(2026, 11, 30), id="this-months-end"),
        pytest.param("in a fortnight", date(2026, 12, 2), id="fortnight"),
        pytest.param("within two weeks", date(2026, 12, 2), id="within"),
        pytest.param("two weeks from Friday", date(2026, 12, 4), id="weeks-from-weekday"),
        pytest.param("a week from tomorrow", date(2026, 11, 26), id="week-from-tomorrow"),
        pytest.param("the week after next", date(2026, 12, 4), id="week-after-next"),
        pytest.param("close of business Friday", date(2026, 11, 20), id="cob-weekday"),
        pytest.param("by EOD tomorrow", date(2026, 11, 19), id="eod-tomorrow"),
    ],
)
def test_spoken_dates(text: str, expected: date) -> None:
    assert parse_date(text, meeting_date=MEETING) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Friday, December 17", id="weekday-contradicts-date"),
        pytest.param("Q1 this year", id="quarter-already-past"),
        pytest.param("first week of March", id="a-week-is-a-range"),
        pytest.param("end of fiscal year", id="fiscal-calendar-unknown"),
        pytest.param("before Christmas", id="vague"),
        pytest.param("03/04/2027", id="numeric-both-orders"),
    ],
)
def test_refused_dates(text: str) -> None:
    assert parse_date(text, meeting_date=MEETING) is None


def test_the_locale_reads_a_numeric_date_both_orders_fit() -> None:
    assert parse_date("03/04/2027", meeting_date=MEETING, day_first=True) == date(2027, 4, 3)
    assert parse_date("03/04/2027", meeting_date=MEETING, day_first=False) == date(2027, 3, 4)
    assert parse_date("13/04/2027", meeting_date=MEETING, day_first=False) == date(2027, 4, 13)


def test_ordinals_next_to_a_weekday_become_digits() -> None:
    assert ordinals_to_digits("on Friday the twenty first") == "on Friday the 21st"


def test_find_dates_gives_each_resolvable_date_with_its_place() -> None:
    text = "it's the 10th of february, because the board meets on the 9th, not friday."
    found = [(m.when, text[m.start : m.end]) for m in find_dates(text, meeting_date=MEETING)]

    assert found == [
        (date(2027, 2, 10), "the 10th of february"),
        (date(2026, 12, 9), "the 9th"),
        (date(2026, 11, 20), "friday"),
    ]


def test_find_dates_skips_numbers_that_are_not_dates() -> None:
    assert find_dates("the price is 1.2 million and 3.5 percent", meeting_date=MEETING) == []
