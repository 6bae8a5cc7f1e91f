"""Money as people say it ("eighty-five thousand", "$1.2M", "65k after the discount"), as a number.

Engines quote amounts the way they were spoken; the CRM needs one number in the deal currency.
A phrase resolves only when it holds exactly one amount: a range ("90 to 100k"), a percentage, a
unit or monthly price ("40 dollars a seat", "10k a month"), or a multi-year total is refused,
because turning any of those into a deal amount is a guess. Digits with separators (`1,200,000`,
`85.000`, `90'000`, `120 000`) are read with price-parser, which knows the separator conventions;
number words are read here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from price_parser import Price

__all__ = [
    "AmountMention",
    "amount_mentions",
    "currency_compatible",
    "currency_of",
    "parse_amount",
]

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_TENS = frozenset({"twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"})
_SCALES = {"thousand": 1_000, "grand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_SUFFIXES = {"k": 1_000, "m": 1_000_000, "mm": 1_000_000, "mn": 1_000_000, "mil": 1_000_000,
             "b": 1_000_000_000, "bn": 1_000_000_000, **_SCALES}  # fmt: skip
_CURRENCIES = (
    (r"us\$|usd|\bus dollars?\b", "USD"),
    (r"c\$|\bcad\b|canadian dollars?", "CAD"),
    (r"a\$|\baud\b|australian dollars?", "AUD"),
    (r"€|\beur\b|\beuros?\b", "EUR"),
    (r"£|\bgbp\b|\bpounds?\b|\bquid\b", "GBP"),
    (r"\bchf\b|swiss francs?", "CHF"),
    (r"\$|\bdollars?\b|\bbucks\b", "$"),
)
"""Spoken or written currency → ISO code; a bare "$" or "dollars" names no one dollar."""
_DOLLAR_CURRENCIES = frozenset({"USD", "CAD", "AUD", "NZD", "SGD", "HKD"})
_CURRENCY = re.compile("|".join(pattern for pattern, _ in _CURRENCIES), re.IGNORECASE)
_QUALIFIERS = re.compile(
    r"\b(per year|a year|annually|per annum|annual|total|in total|all in|arr|acv|net|flat"
    r"|for (?:the )?(?:first|1st) year|for year one|in year one|year one|upfront|up front"
    r"|after (?:the |our |your |a )?discount(?: you offered| you gave us)?|including [a-z ]+"
    r"|with [a-z ]+ included|about|around|approximately|approx|roughly|circa)\b|/\s*y(ea)?r|~"
)
"""Context that does not change the number: the period is the deal's, the discount included."""
_NOT_ONE_AMOUNT = re.compile(
    r"%|\bpercent\b|\bper (?:month|seat|user|head|licen[cs]e|week|day|hour|rep)\b"
    r"|\ba (?:month|seat|user|head|licen[cs]e|week|day|rep)\b|\bmonthly\b|\bweekly\b|\beach\b"
    r"|/\s*(?:mo|month|seat|user)\b|\bover (?:a |the )?(?:two|three|four|five|\d+) years\b"
    r"|\bmulti-?year\b|\bminus\b|\bnegative\b|\bbetween\b"
)
_RANGE = re.compile(r"\d\s*(?:-|–|to|or)\s*\$?\d|\d\s*(?:-|–|to|or)\s*[a-z]+ty\b")
_NUMBER = re.compile(r"^(?P<num>\d[\d,.' ]*\d|\d)\s*(?P<suffix>[a-z]+)?$")
_UNIT_AFTER = re.compile(
    r"\s*(?:seats?|users?|licen[cs]es?|people|employees|reps|heads|agents|units|calls|minutes"
    r"|hours|days|weeks|months|years|sites|locations|accounts|members)\b"
)
_MIN_CONTEXT_AMOUNT = 1_000.0
"""Below this, a number amid other words is an amount only when a currency is said with it."""
_SCALE_RE = r"(?:k|m|mm|mn|mil|bn|b|thousand|million|billion|grand)"
_DIGIT_MENTION = re.compile(
    rf"(?<![\w.,/:-])\d{{1,3}}(?:[,.']\d{{3}})+(?:[.,]\d+)?(?:\s?{_SCALE_RE}(?!\w))?"
    rf"|(?<![\w.,/:-])\d+(?:\.\d+)?(?:\s?{_SCALE_RE}(?!\w))?"
)
_WORD = (
    r"(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen"
    r"|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy"
    r"|eighty|ninety|hundred|thousand|million|billion|grand|point|half|quarter)"
)
_WORD_MENTION = re.compile(
    rf"\b(?:(?:a|half a|a quarter)\s+)?{_WORD}(?:[\s-]+(?:and[\s-]+(?:a[\s-]+)?)?{_WORD})*\b"
    r"(?:\s?k\b)?"
)


@dataclass(frozen=True)
class AmountMention:
    """One amount in a text: its value and where it stands (`start`, `end` in the text)."""

    value: float
    start: int
    end: int


def parse_amount(text: str | float | int) -> float | None:
    """A money amount as a float, or None when absent, negative or not exactly one amount."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        value = float(text)
        return value if math.isfinite(value) and value >= 0 else None
    lowered = text.lower()
    if _NOT_ONE_AMOUNT.search(lowered) or _RANGE.search(lowered):
        return None
    cleaned = " ".join(_QUALIFIERS.sub(" ", _CURRENCY.sub(" ", lowered)).split()).strip(" .,:;")
    if not cleaned or cleaned[0] == "-":
        return None
    exact = _exact(cleaned)
    if exact is not None:
        return exact
    return _single_mention(cleaned, stated_currency=currency_of(lowered) is not None)


def _single_mention(cleaned: str, *, stated_currency: bool) -> float | None:
    """The one amount in a phrase with context around it ("the number is 65k")."""
    mentions = amount_mentions(cleaned)
    if len(mentions) != 1:
        return None
    mention = mentions[0]
    rest = cleaned[: mention.start] + " " + cleaned[mention.end :]
    money_like = stated_currency or mention.value >= _MIN_CONTEXT_AMOUNT
    if re.search(r"\d", rest) or not money_like or _UNIT_AFTER.match(cleaned[mention.end :]):
        return None
    return mention.value


def _exact(cleaned: str) -> float | None:
    match = _NUMBER.match(cleaned)
    if match is None:
        return _parse_number_words(cleaned)
    suffix = match["suffix"]
    if suffix is not None and suffix not in _SUFFIXES:
        return None
    number = _digits(match["num"])
    if number is None:
        return None
    return number * (_SUFFIXES[suffix] if suffix else 1)


def _digits(raw: str) -> float | None:
    """Digits with any thousands and decimal separators; "1,2" alone is refused as ambiguous."""
    if re.fullmatch(r"\d+", raw):
        return float(raw)
    if re.fullmatch(r"\d+\.\d{1,2}", raw):
        return float(raw)
    if not re.fullmatch(r"\d{1,3}(?:([,.' ])\d{3})(?:\1\d{3})*(?:[.,]\d{1,2})?|\d+\.\d+", raw):
        return None
    parsed = Price.fromstring(raw).amount_float
    return float(parsed) if parsed is not None else None


def amount_mentions(text: str) -> list[AmountMention]:
    """Every amount-like mention in a text, in order: digits (with a scale) and number words.

    A bare small number ("80 seats") is a mention too; callers decide what its unit is.
    """
    lowered = text.lower()
    found: list[AmountMention] = []
    for match in _DIGIT_MENTION.finditer(lowered):
        value = _exact(match.group())
        if value is not None:
            found.append(AmountMention(value, match.start(), match.end()))
    for match in _WORD_MENTION.finditer(lowered):
        if any(m.start < match.end() and match.start() < m.end for m in found):
            continue
        value = _parse_number_words(match.group())
        if value is not None:
            found.append(AmountMention(value, match.start(), match.end()))
    return sorted(found, key=lambda m: m.start)


def currency_of(text: str) -> str | None:
    """The currency a phrase names (ISO code, or "$" for an unspecified dollar), or None."""
    for pattern, code in _CURRENCIES:
        if re.search(pattern, text, re.IGNORECASE):
            return code
    return None


def currency_compatible(stated: str | None, deal_currency: str) -> bool:
    """Whether an amount said in `stated` can be the amount of a deal kept in `deal_currency`."""
    deal = deal_currency.upper()
    if stated is None or stated == deal:
        return True
    return stated == "$" and deal in _DOLLAR_CURRENCIES


def _parse_number_words(text: str) -> float | None:
    """English number words: "one hundred and twenty thousand", "a million and a half".

    Spoken prices drop "hundred": "one twenty" is 120 and "one twenty five k" is 125,000; two
    units in a row ("ninety-two five") are refused rather than added up.
    """
    words = [w for w in re.split(r"[\s-]+", text) if w]
    if words and words[-1] == "k":
        words[-1] = "thousand"
    fraction = _fraction_words(words)
    if fraction is not None:
        return fraction
    words = [w for w in words if w != "and"]
    if "point" in words:
        return _parse_decimal_words(words)
    if len(words) >= 2 and _UNITS.get(words[0], 0) in range(1, 10) and words[1] in _TENS:
        words = [words[0], "hundred", *words[1:]]
    return _sum_words(words)


def _fraction_words(words: list[str]) -> float | None:
    """ "half a million", "a quarter million", "a million and a half", "two and a half million"."""
    joined = " ".join(words)
    found = re.fullmatch(r"(half|a quarter|quarter of) a (\w+)|a quarter (\w+)", joined)
    if found:
        scale = _SCALES.get(found[2] or found[3] or "")
        return None if scale is None else scale * (0.5 if found[1] == "half" else 0.25)
    found = re.fullmatch(r"(?:a|one) (\w+) and a half|(\w+) and a half (\w+)", joined)
    if not found:
        return None
    if found[1]:
        scale = _SCALES.get(found[1])
        return None if scale is None else scale * 1.5
    whole, scale = _UNITS.get(found[2]), _SCALES.get(found[3])
    return None if whole is None or scale is None else (whole + 0.5) * scale


def _sum_words(words: list[str]) -> float | None:
    total, current, previous = 0.0, 0.0, ""
    for pos, word in enumerate(words):
        if word in _UNITS:
            if previous in _UNITS and (previous not in _TENS or _UNITS[word] >= 10):
                return None
            current += _UNITS[word]
        elif word == "a" and pos + 1 < len(words) and words[pos + 1] in {"hundred", *_SCALES}:
            current += 1
        elif re.fullmatch(r"\d+(?:\.\d+)?", word) and not previous:
            current += float(word)
        elif word == "hundred":
            current = (current or 1) * 100
        elif word in _SCALES:
            total += (current or 1) * _SCALES[word]
            current = 0
        else:
            return None
        previous = word
    return total + current if previous else None


def _parse_decimal_words(words: list[str]) -> float | None:
    at = words.index("point")
    whole = _sum_words(words[:at]) if at else 0.0
    digits, scale = words[at + 1 :], 1
    if digits and digits[-1] in _SCALES:
        scale, digits = _SCALES[digits[-1]], digits[:-1]
    if whole is None or not digits or any(_UNITS.get(d, 10) > 9 for d in digits):
        return None
    return float(f"{int(whole)}.{''.join(str(_UNITS[d]) for d in digits)}") * scale
