"""Redaction of personal data in free text, by pattern: emails, phone numbers, card and account
numbers.

Used wherever text leaves the place it was collected for: reps' decisions exported as eval data,
and (issue 7) logs. Patterns are tuned to leave what a sales call is about untouched — amounts
("$120,000", "1.2M"), dates ("2026-11-20", "11/20"), seat counts, percentages — and to take
what identifies or charges a person. A card number is taken only when its digits pass the Luhn
check, so an order number of the same length survives; any other run of nine or more digits,
and an IBAN, is taken as an account number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

KINDS = ("emails", "phones", "numbers")
"""What can be redacted; `numbers` means card, account and national identity numbers."""

EMAIL_MARK, PHONE_MARK, CARD_MARK, ACCOUNT_MARK = "[email]", "[phone]", "[card]", "[account]"

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_DIGIT_GROUPS = re.compile(r"(?<![\d.,+])\d(?:[ -]?\d){8,22}(?!\d|[.,]\d)")
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){1,4}(?![\w-])"
)
_PHONE_MIN_DIGITS, _PHONE_MAX_DIGITS = 7, 15
NATIONAL_ID_MARK = "[national-id]"
_NATIONAL_ID = re.compile(
    r"\b\d{3}-\d{2}-\d{4}\b"  # US social security number
    r"|\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"  # UK NI number
    r"|(?i:\b(?:passport|national id|id card|id number|identity number|tax id|ssn|personalausweis"
    r"|dni|nif|nie|codice fiscale|bsn)(?: number| no\.?| #)?(?: is)?:? )[A-Z0-9][A-Z0-9 -]{4,18}\d"
)
"""National identity numbers: by shape where one is distinctive, else after a cue word."""
_DATE_LIKE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}\.\d{1,2}\.\d{2,4}")


@dataclass(frozen=True, kw_only=True)
class Redacted:
    text: str
    counts: dict[str, int] = field(default_factory=dict)
    """How many of each mark were put in, e.g. {"[email]": 1}."""


def parse_kinds(text: str) -> frozenset[str]:
    """`emails,phones,numbers` (the privacy setting) as a set; an unknown kind is refused."""
    kinds = frozenset(part.strip().lower() for part in text.split(",") if part.strip())
    unknown = sorted(kinds - set(KINDS))
    if unknown:
        raise ValueError(f"unknown redaction kind(s) {', '.join(unknown)}; use {', '.join(KINDS)}")
    return kinds


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _is_phone(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    if not _PHONE_MIN_DIGITS <= len(digits) <= _PHONE_MAX_DIGITS:
        return False
    if _DATE_LIKE.fullmatch(candidate):
        return False
    return candidate.startswith(("+", "(")) or bool(re.search(r"\d{3}[ .-]\d{3,4}", candidate))


def redact(text: str, kinds: Iterable[str] = KINDS) -> Redacted:
    """`text` with each personal item of the given kinds replaced by its mark."""
    counts: dict[str, int] = {}

    def mark(found: str, label: str) -> str:
        counts[label] = counts.get(label, 0) + 1
        return label

    return Redacted(text=replace_personal(text, kinds, mark), counts=counts)


def replace_personal(text: str, kinds: Iterable[str], replace: Callable[[str, str], str]) -> str:
    """`text` with each personal item of the given kinds replaced by `replace(item, mark)`: the
    mark for `redact`, a numbered placeholder that can be mapped back for the model's request
    (`agent.llm.redaction`)."""
    wanted = set(kinds)
    if "emails" in wanted:
        text = _EMAIL.sub(lambda m: replace(m.group(0), EMAIL_MARK), text)
    if "numbers" in wanted:
        text = _NATIONAL_ID.sub(lambda m: replace(m.group(0), NATIONAL_ID_MARK), text)
        text = _IBAN.sub(lambda m: replace(m.group(0), ACCOUNT_MARK), text)
        text = _DIGIT_GROUPS.sub(
            lambda m: _number_mark(m.group(0), lambda label: replace(m.group(0), label)), text
        )
    if "phones" in wanted:
        text = _PHONE.sub(
            lambda m: replace(m.group(0), PHONE_MARK) if _is_phone(m.group(0)) else m.group(0),
            text,
        )
    return text


def _number_mark(candidate: str, mark: Callable[[str], str]) -> str:
    digits = re.sub(r"\D", "", candidate)
    if 13 <= len(digits) <= 19 and luhn_ok(digits):
        return mark(CARD_MARK)
    if candidate.isdigit() and len(digits) >= 9:
        return mark(ACCOUNT_MARK)
    return candidate
