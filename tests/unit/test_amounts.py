"""Amounts as people say them: words, "k", "M", separators, currencies; ranges refused."""

from __future__ import annotations

from datetime import date

import pytest

from agent.domain.amounts import (
    amount_mentions,
    currency_compatible,
    currency_of,
    parse_amount,
)
from agent.domain.fields import DEFAULT_POLICY
from agent.domain.normalize import normalize_value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("eighty-five thousand", 85_000.0, id="words"),
        pytest.param("$1.2M", 1_200_000.0, id="millions-suffix"),
        pytest.param("65k after the discount", 65_000.0, id="k-after-discount"),
        pytest.param("65k after the discount you offered", 65_000.0, id="discount-clause"),
        pytest.param("one twenty K", 120_000.0, id="asr-dropped-hundred"),
        pytest.param("one twenty five k", 125_000.0, id="asr-one-twenty-five"),
        pytest.param("€85.000", 85_000.0, id="european-thousands"),
        pytest.param("40.500,50 €", 40_500.5, id="european-decimals"),
        pytest.param("CHF 90'000", 90_000.0, id="swiss-apostrophe"),
        pytest.param("120 000", 120_000.0, id="space-thousands"),
        pytest.param("1.2 mil", 1_200_000.0, id="mil"),
        pytest.param("$65k net", 65_000.0, id="net"),
        pytest.param("65k including onboarding", 65_000.0, id="including"),
        pytest.param("120k for the first year", 120_000.0, id="first-year"),
        pytest.param("around 120k", 120_000.0, id="approximate"),
        pytest.param("a million and a half", 1_500_000.0, id="and-a-half"),
        pytest.param("two and a half million", 2_500_000.0, id="n-and-a-half"),
        pytest.param("a quarter million", 250_000.0, id="quarter-million"),
        pytest.param("ten grand", 10_000.0, id="grand"),
        pytest.param("the number is 65k", 65_000.0, id="amount-in-a-phrase"),
        pytest.param("twelve hundred dollars", 1_200.0, id="hundreds"),
    ],
)
def test_spoken_amounts(text: str, expected: float) -> None:
    assert parse_amount(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("ninety-two five", id="two-units-in-a-row"),
        pytest.param("twenty twenty", id="a-year-in-words"),
        pytest.param("120k a month", id="monthly"),
        pytest.param("40 dollars a seat", id="unit-price"),
        pytest.param("$2.4 million over three years", id="multi-year-total"),
        pytest.param("somewhere between 800 and 950 thousand", id="range-words"),
        pytest.param("100k or 120k", id="alternatives"),
        pytest.param("12 bananas", id="no-money"),
        pytest.param("1200 seats", id="headcount"),
    ],
)
def test_refused_amounts(text: str) -> None:
    assert parse_amount(text) is None


def test_currency_is_named_and_checked_against_the_deal() -> None:
    assert (currency_of("€85.000"), currency_of("$1.2M"), currency_of("85k")) == ("EUR", "$", None)
    assert currency_compatible("$", "CAD")
    assert currency_compatible(None, "EUR")
    assert not currency_compatible("EUR", "USD")


def test_an_amount_in_another_currency_is_refused_not_converted() -> None:
    spec = DEFAULT_POLICY.spec("deal.amount")
    assert spec is not None
    meeting = date(2026, 11, 18)

    assert normalize_value(spec, "$95k", meeting_date=meeting, stages=(), currency="USD") == 95e3
    with pytest.raises(ValueError, match=r"not in the deal's currency \(USD\)"):
        normalize_value(spec, "€95.000", meeting_date=meeting, stages=(), currency="USD")


def test_mentions_give_every_amount_with_its_place() -> None:
    text = "not seventy-eight, eighty-seven thousand for 80 seats"
    found = [(m.value, text[m.start : m.end]) for m in amount_mentions(text)]

    assert found == [
        (78.0, "seventy-eight"),
        (87_000.0, "eighty-seven thousand"),
        (80.0, "80"),
    ]
