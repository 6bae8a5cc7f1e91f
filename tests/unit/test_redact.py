"""Redaction by pattern: personal data goes, what the call is about stays."""

from __future__ import annotations

import pytest

from agent.domain.redact import luhn_ok, parse_kinds, redact


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("write to dana.price+eu@acme.co.uk today", "write to [email] today"),
        ("my cell is +1 (415) 555-0134.", "my cell is [phone]."),
        ("call 415-555-0134 or 020 7946 0958", "call [phone] or [phone]"),
        ("card 4111 1111 1111 1111, thanks", "card [card], thanks"),
        ("card 4111-1111-1111-1111.", "card [card]."),
        ("wire it to account 123456789012", "wire it to account [account]"),
        ("IBAN DE89 3704 0044 0532 0130 00 please", "IBAN [account] please"),
    ],
)
def test_personal_data_is_replaced(said: str, expected: str) -> None:
    assert redact(said).text == expected


@pytest.mark.parametrize(
    "said",
    [
        "The budget is $120,000 for 250 seats, 1,200,000 over three years.",
        "We sign on 2026-11-20, or 20.11.2026, or 11/20 at the latest.",
        "A 12.5% discount and 3 x 40,000 in instalments; ticket 12345678.",
    ],
)
def test_amounts_dates_and_counts_survive(said: str) -> None:
    assert redact(said).text == said


def test_only_the_chosen_kinds_are_redacted_and_counted() -> None:
    said = "dana@acme.com, +1 415 555 0134, 4111111111111111"
    result = redact(said, {"emails"})
    assert result.text == "[email], +1 415 555 0134, 4111111111111111"
    assert redact(said).counts == {"[email]": 1, "[card]": 1, "[phone]": 1}


def test_a_card_number_needs_its_luhn_check() -> None:
    assert luhn_ok("4111111111111111")
    assert not luhn_ok("4111111111111112")
    assert redact("order 4111111111111112").text == "order [account]"


def test_the_privacy_setting_is_checked() -> None:
    assert parse_kinds(" Emails, phones ") == frozenset({"emails", "phones"})
    with pytest.raises(ValueError, match="faces"):
        parse_kinds("emails,faces")
