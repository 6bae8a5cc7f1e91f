"""Deterministic resolvers that turn what was said into a canonical CRM value, or refuse.

Engines (a model or the rules) state values the way people speak them: "138k", "the 3rd of
February", "procurement". The validator runs every proposed value through `normalize_value`, so
the CRM only ever receives a number, an ISO date or a picklist's own spelling. When a value cannot
be resolved without guessing (a range, an ambiguous `03/04`, a stage this pipeline lacks) the
resolver refuses: a refused change is shown to nobody, a guessed one could be approved by mistake.

Date conventions (documented because speech leaves them open):
    * a month and day without a year is the next such date on or after the meeting date;
    * `Friday` / `this Friday` is the first Friday after the meeting date;
    * `next Friday` is the Friday of the week after the meeting's week (weeks start on Monday);
    * `next week` is the Friday of next week and `this week` / `end of the week` the Friday of
      this one: as a due or close date a week means its last working day;
    * `end of the month / quarter / year` is its last day, `end of Q1` the next 31 March on or
      after the meeting, `mid-January` the 15th, `beginning of January` the 1st;
    * a bare month (`in January`), `early` / `late` a month, and ranges are refused.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from rapidfuzz import fuzz

from agent.domain.fields import FieldKind, FieldSpec
from agent.domain.models import FieldValueT

__all__ = ["match_stage", "normalize_value", "ordinals_to_digits", "parse_amount", "parse_date"]

# --- amounts -------------------------------------------------------------------------------------

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_TENS = frozenset({"twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"})
_SCALES = {"thousand": 1_000, "grand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_SUFFIXES = {"k": 1_000, "m": 1_000_000, "mm": 1_000_000, "mn": 1_000_000, "b": 1_000_000_000,
             "bn": 1_000_000_000, **_SCALES}  # fmt: skip
_CURRENCY = re.compile(
    r"(us\$|\$|usd|eur|gbp|€|£|\bdollars?\b|\bbucks\b|\beuros?\b|\bpounds?\b)", re.IGNORECASE
)
_QUALIFIERS = re.compile(
    r"\b(per year|a year|annually|per annum|annual|total|in total|all in|arr|acv|tcv)\b|/\s*y(ea)?r"
)
_NUMBER = re.compile(r"^(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d+))?\s*(?P<suffix>[a-z]+)?$")
_RANGE = re.compile(r"\d\s*(?:-|–|to|or)\s*\$?\d|\bbetween\b|\d\s*(?:-|–|to|or)\s*[a-z]+ty\b")


def parse_amount(text: str | float | int) -> float | None:
    """A money amount as a float, or None when absent, negative or ambiguous (ranges, percents)."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        value = float(text)
        return value if math.isfinite(value) and value >= 0 else None
    cleaned = _QUALIFIERS.sub(" ", _CURRENCY.sub(" ", text.lower()))
    cleaned = " ".join(cleaned.replace("about ", "").split()).strip(" .,:;")
    if not cleaned or cleaned[0] == "-" or "%" in cleaned or "percent" in cleaned:
        return None
    if _RANGE.search(cleaned) or re.search(r"\b(?:minus|negative)\b", cleaned):
        return None
    match = _NUMBER.match(cleaned)
    if match is not None:
        suffix = match["suffix"]
        if suffix is not None and suffix not in _SUFFIXES:
            return None
        number = float(match["num"].replace(",", "") + "." + (match["frac"] or "0"))
        return number * (_SUFFIXES[suffix] if suffix else 1)
    return _parse_number_words(cleaned)


def _parse_number_words(text: str) -> float | None:
    """English number words: "one hundred and twenty thousand", "half a million", "one twenty k".

    Spoken prices drop "hundred": "one twenty" is 120 and "one twenty five k" is 125,000.
    """
    words = [w for w in re.split(r"[\s-]+", text) if w and w != "and"]
    if words and words[-1] == "k":
        words[-1] = "thousand"
    if words[:2] == ["half", "a"] and len(words) == 3 and words[2] in _SCALES:
        return _SCALES[words[2]] / 2
    if "point" in words:
        return _parse_decimal_words(words)
    if len(words) >= 2 and _UNITS.get(words[0], 0) in range(1, 10) and words[1] in _TENS:
        words = [words[0], "hundred", *words[1:]]
    total, current, seen = 0.0, 0.0, False
    for pos, word in enumerate(words):
        if word in _UNITS:
            current += _UNITS[word]
        elif word == "a" and pos + 1 < len(words) and words[pos + 1] in {"hundred", *_SCALES}:
            current += 1
        elif re.fullmatch(r"\d+(?:\.\d+)?", word) and not seen:
            current += float(word)
        elif word == "hundred":
            current = (current or 1) * 100
        elif word in _SCALES:
            total += (current or 1) * _SCALES[word]
            current = 0
        else:
            return None
        seen = True
    return total + current if seen else None


def _parse_decimal_words(words: list[str]) -> float | None:
    at = words.index("point")
    whole = _parse_number_words(" ".join(words[:at])) if at else 0.0
    digits, scale = words[at + 1 :], 1
    if digits and digits[-1] in _SCALES:
        scale, digits = _SCALES[digits[-1]], digits[:-1]
    if whole is None or not digits or any(_UNITS.get(d, 10) > 9 for d in digits):
        return None
    return float(f"{int(whole)}.{''.join(str(_UNITS[d]) for d in digits)}") * scale


# --- dates ---------------------------------------------------------------------------------------

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
_MONTHS["sept"] = 9
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_COUNTS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "couple": 2,
           "a couple": 2, "a couple of": 2, "few": 3, "a few": 3}  # fmt: skip
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}  # fmt: skip
_ORDINAL_WORD = (
    r"(?:(?:twenty|thirty)[\s-]+(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)"
    rf"|{'|'.join(sorted(_ORDINALS, key=len, reverse=True))})"
)
_ORDINAL_NEAR_MONTH = re.compile(
    rf"\b(?P<before>(?:{_MONTH_RE})\.?\s+(?:the\s+)?)(?P<a>{_ORDINAL_WORD})\b"
    rf"|\b(?P<b>{_ORDINAL_WORD})(?P<after>\s+of\s+(?:{_MONTH_RE})\b)",
    re.IGNORECASE,
)
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s*(?P<year>\d{4}))?"
_MONTH_DAY = re.compile(rf"^(?P<month>{_MONTH_RE})\.?\s+(?:the\s+)?{_DAY}{_YEAR}$")
_DAY_MONTH = re.compile(rf"^(?:the\s+)?{_DAY}(?:\s+of)?\s+(?P<month>{_MONTH_RE})\.?{_YEAR}$")
_PREFIXES = re.compile(
    r"^(?:(?:by|on|before|until|till|no later than|around|for|at|sometime|some time|in|the|"
    r"of|close|sign|due)\s+)+"
)


def ordinals_to_digits(text: str) -> str:
    """Write spoken days next to a month as digits: "January thirty first" → "January 31st"."""

    def digits(match: re.Match[str]) -> str:
        word = (match["a"] or match["b"]).lower()
        parts = re.split(r"[\s-]+", word)
        day = sum(_UNITS.get(p, 0) for p in parts[:-1]) + _ORDINALS[parts[-1]]
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(day % 10 if day not in (11, 12, 13) else 0, "th")
        return f"{match['before'] or ''}{day}{suffix}{match['after'] or ''}"

    return _ORDINAL_NEAR_MONTH.sub(digits, text)


def parse_date(text: str, *, meeting_date: date) -> date | None:
    """Resolve a spoken or written date against the meeting date; None when it is ambiguous."""
    cleaned = _clean_date_text(text)
    if not cleaned:
        return None
    for resolver in (_absolute_date, _relative_date, _period_end):
        found = resolver(cleaned, meeting_date)
        if found is not None:
            return found
    return None


def _clean_date_text(text: str) -> str:
    cleaned = " ".join(ordinals_to_digits(text.lower()).replace(",", ", ").split()).strip(" .,;:!?")
    cleaned = re.sub(r"^(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)(?=\S*\s*\d|\w+\s+\d)",
                     "", cleaned)  # fmt: skip
    without = _PREFIXES.sub("", cleaned)
    return without or cleaned


def _absolute_date(text: str, meeting: date) -> date | None:
    iso = re.fullmatch(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[t\s].*)?", text)
    if iso:
        return _safe_date(int(iso[1]), int(iso[2]), int(iso[3]))
    numeric = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2}|\d{4}))?", text)
    if numeric:
        return _numeric_date(numeric[1], numeric[2], numeric[3], meeting)
    for pattern in (_MONTH_DAY, _DAY_MONTH):
        found = pattern.fullmatch(text.replace(",", "").replace("  ", " "))
        if found:
            month, day = _MONTHS[found["month"]], int(found["day"])
            if found["year"]:
                return _safe_date(int(found["year"]), month, day)
            return _next_on_or_after(month, day, meeting)
    day_only = re.fullmatch(r"(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)", text)
    if day_only:
        return _next_day_of_month(int(day_only[1]), meeting)
    return None


def _numeric_date(first: str, second: str, year: str | None, meeting: date) -> date | None:
    a, b = int(first), int(second)
    if a > 12 >= b:
        day, month = a, b
    elif b > 12 >= a or a == b:
        day, month = b, a
    else:
        return None
    if year is None:
        return _next_on_or_after(month, day, meeting)
    full_year = int(year) + (2000 if len(year) == 2 else 0)
    return _safe_date(full_year, month, day)


def _relative_date(text: str, meeting: date) -> date | None:
    simple = {"today": 0, "tonight": 0, "tomorrow": 1, "day after tomorrow": 2}
    if text in simple:
        return meeting + timedelta(days=simple[text])
    weekday = re.fullmatch(r"(?:(this|next|coming|this coming)\s+)?(\w+?)s?", text)
    if weekday and weekday[2] in _WEEKDAYS:
        target = _WEEKDAYS[weekday[2]]
        if weekday[1] == "next":
            monday = meeting - timedelta(days=meeting.weekday()) + timedelta(days=7)
            return monday + timedelta(days=target)
        return meeting + timedelta(days=(target - meeting.weekday() - 1) % 7 + 1)
    span = re.fullmatch(r"(?:in\s+)?(a|one|two|three|four|five|six|a couple(?: of)?|couple(?: of)?"
                        r"|a few|few|\d+)\s+(day|week|month)s?(?:\s+from\s+(?:now|today))?",
                        text)  # fmt: skip
    if span:
        count = int(span[1]) if span[1].isdigit() else _COUNTS[span[1].removesuffix(" of")]
        unit = span[2]
        if unit == "month":
            return meeting + relativedelta(months=count)
        return meeting + timedelta(days=count * (7 if unit == "week" else 1))
    return None


def _period_end(text: str, meeting: date) -> date | None:
    friday = meeting - timedelta(days=meeting.weekday()) + timedelta(days=4)
    if text in {"this week", "end of the week", "end of week", "end of this week", "eow",
                "the end of the week", "week end"}:  # fmt: skip
        return friday if friday >= meeting else friday + timedelta(days=7)
    if text in {"next week", "end of next week"}:
        return friday + timedelta(days=7)
    month = re.fullmatch(r"(?:the\s+)?end of (?:the |this )?month|eom|month end|month-end", text)
    if month:
        return _month_end(meeting.year, meeting.month)
    if re.fullmatch(r"(?:the\s+)?end of next month", text):
        ahead = meeting + relativedelta(months=1)
        return _month_end(ahead.year, ahead.month)
    quarter = _quarter_end(text, meeting)
    if quarter is not None:
        return quarter
    if re.fullmatch(r"(?:the\s+)?end of (?:the |this )?year|eoy|year end|year-end", text):
        return date(meeting.year, 12, 31)
    return _month_part(text, meeting)


def _quarter_end(text: str, meeting: date) -> date | None:
    current_q = (meeting.month - 1) // 3 + 1
    if re.fullmatch(r"(?:the\s+)?end of (?:the |this )?quarter|eoq|quarter end|quarter-end", text):
        return _month_end(meeting.year, current_q * 3)
    if re.fullmatch(r"(?:the\s+)?end of next quarter", text):
        q_year, q = (meeting.year, current_q + 1) if current_q < 4 else (meeting.year + 1, 1)
        return _month_end(q_year, q * 3)
    named = re.fullmatch(r"(?:the\s+)?(?:end of\s+)?q([1-4])(?:\s+(?:of\s+)?(\d{4}))?", text)
    if named is None:
        return None
    quarter = int(named[1])
    if named[2]:
        return _month_end(int(named[2]), quarter * 3)
    end = _month_end(meeting.year, quarter * 3)
    return end if end >= meeting else _month_end(meeting.year + 1, quarter * 3)


def _month_part(text: str, meeting: date) -> date | None:
    found = re.fullmatch(
        rf"(?:the\s+)?(mid|middle of|end of|beginning of|start of)[\s-]+(?:the\s+)?"
        rf"(?:month of\s+)?({_MONTH_RE})(?:\s+(\d{{4}}))?",
        text,
    )
    if found is None:
        return None
    month = _MONTHS[found[2]]
    day = 1 if found[1] in {"beginning of", "start of"} else 15
    if found[1] == "end of":
        day = calendar.monthrange(int(found[3]) if found[3] else meeting.year, month)[1]
    if found[3]:
        return _safe_date(int(found[3]), month, day)
    candidate = _next_on_or_after(month, day, meeting)
    if found[1] == "end of" and candidate is not None:
        return _month_end(candidate.year, month)
    return candidate


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _next_on_or_after(month: int, day: int, meeting: date) -> date | None:
    for year in (meeting.year, meeting.year + 1, meeting.year + 4):
        found = _safe_date(year, month, day)
        if found is not None and found >= meeting:
            return found
    return None


def _next_day_of_month(day: int, meeting: date) -> date | None:
    for ahead in range(0, 13):
        month_start = date(meeting.year, meeting.month, 1) + relativedelta(months=ahead)
        found = _safe_date(month_start.year, month_start.month, day)
        if found is not None and found >= meeting:
            return found
    return None


# --- stages --------------------------------------------------------------------------------------

_STAGE_SYNONYMS: tuple[tuple[frozenset[str], tuple[str, ...]], ...] = (
    (frozenset({"procurement", "legal", "legal review", "redlines", "redline", "redlining",
                "contract review", "negotiating", "negotiations", "terms", "paperwork",
                "contracting", "contract"}), ("negotiat", "contract", "legal")),
    (frozenset({"closed", "signed", "won", "closed won", "contract signed", "deal signed",
                "signed contract", "done deal", "booked"}), ("closed won", "won")),
    (frozenset({"lost", "closed lost", "dead", "no go", "no deal", "churned", "disqualified"}),
     ("closed lost", "lost")),
    (frozenset({"quote", "pricing", "proposal sent", "quote sent", "proposal", "commercials"}),
     ("proposal", "quote")),
    (frozenset({"demo", "demonstration", "product demo"}), ("demo",)),
    (frozenset({"discovery", "qualification", "qualified", "qualify", "qualifying", "intro"}),
     ("discover", "qualif")),
    (frozenset({"evaluation", "technical evaluation", "trial", "pilot", "poc", "proof of concept",
                "technical validation"}), ("evaluat", "trial", "pilot", "poc", "validat")),
    (frozenset({"verbal", "verbal commit", "commit", "committed", "verbal yes"}),
     ("commit", "verbal")),
)  # fmt: skip
"""Spoken phrase → fragments of the pipeline's own stage names, tried in order."""
_STAGE_FILLER = frozenset({"the", "stage", "phase", "step", "to", "into", "in", "a", "our", "of"})
_FUZZY_MIN = 90


def _stage_key(text: str) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", text.lower()).split()
    return " ".join(w for w in words if w not in _STAGE_FILLER) or " ".join(words)


def match_stage(text: str, stages: Sequence[str]) -> str | None:
    """The pipeline's own stage that `text` names, or None: a miss is refused, never guessed.

    Tries, in order: the same words ignoring case, spacing and punctuation; a synonym whose stage
    fragment names exactly one stage ("procurement" → the stage containing "negotiat"); a near
    spelling (rapidfuzz ratio ≥ 90) of exactly one stage.
    """
    key = _stage_key(text)
    if not key or not stages:
        return None
    keyed = {_stage_key(stage): stage for stage in stages}
    squashed = {k.replace(" ", ""): v for k, v in keyed.items()}
    if key in keyed or key.replace(" ", "") in squashed:
        return keyed.get(key) or squashed[key.replace(" ", "")]
    for phrases, fragments in _STAGE_SYNONYMS:
        if key not in phrases:
            continue
        for fragment in fragments:
            hits = [stage for stage in stages if fragment in stage.lower()]
            if len(hits) == 1:
                return hits[0]
        return None
    scored = sorted(((fuzz.ratio(key, k), v) for k, v in keyed.items()), reverse=True)
    if scored and scored[0][0] >= _FUZZY_MIN and (len(scored) == 1 or scored[1][0] < _FUZZY_MIN):
        return scored[0][1]
    return None


# --- dispatch ------------------------------------------------------------------------------------

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_NAME_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b|\bplus\b)\s*", re.IGNORECASE)
_MIN_PHONE_DIGITS = 7
_KIND_NAMES = {
    FieldKind.AMOUNT: "an amount",
    FieldKind.DATE: "a date",
    FieldKind.PICKLIST: "a picklist value",
    FieldKind.EMAIL: "an email address",
    FieldKind.PHONE: "a phone number",
    FieldKind.TEXT: "text",
    FieldKind.NAME_LIST: "a list of names",
}


def normalize_value(
    spec: FieldSpec, value: FieldValueT, *, meeting_date: date, stages: Sequence[str]
) -> FieldValueT:
    """The canonical value for `spec`, or `ValueError` with a short reason a rep can read."""
    if spec.kind is FieldKind.NAME_LIST:
        return _name_list(value)
    if isinstance(value, list) or value is None or isinstance(value, bool):
        raise ValueError(f"not {_KIND_NAMES[spec.kind]}: {value!r}")
    if spec.kind is FieldKind.AMOUNT:
        amount = parse_amount(value)
        if amount is None:
            raise ValueError(f"not an amount: {value!r}")
        return amount
    text = str(value)
    if spec.kind is FieldKind.DATE:
        return _date_value(text, meeting_date)
    if spec.kind is FieldKind.PICKLIST:
        stage = match_stage(text, stages)
        if stage is None:
            raise ValueError(f"{text!r} is not a stage of this pipeline")
        return stage
    if spec.kind is FieldKind.EMAIL:
        email = text.strip().lower().removeprefix("mailto:")
        if not _EMAIL.match(email):
            raise ValueError(f"not an email address: {text!r}")
        return email
    if spec.kind is FieldKind.PHONE:
        return _phone(text)
    collapsed = " ".join(text.split())
    if not collapsed:
        raise ValueError("empty text")
    return collapsed


def _date_value(text: str, meeting_date: date) -> str:
    try:
        return datetime.fromisoformat(text.strip()).date().isoformat()
    except ValueError:
        pass
    found = parse_date(text, meeting_date=meeting_date)
    if found is None:
        raise ValueError(f"not a date: {text!r}")
    return found.isoformat()


def _phone(text: str) -> str:
    stripped = text.strip()
    if re.search(r"[a-z]", stripped, re.IGNORECASE):
        raise ValueError(f"not a phone number: {text!r}")
    digits = re.sub(r"\D", "", stripped)
    if len(digits) < _MIN_PHONE_DIGITS:
        raise ValueError(f"not a phone number: {text!r}")
    return ("+" if stripped.startswith("+") else "") + digits


def _name_list(value: FieldValueT) -> list[str]:
    if isinstance(value, str):
        items = [value]
    elif isinstance(value, list):
        items = value
    else:
        raise ValueError(f"not a list of names: {value!r}")
    names: list[str] = []
    seen: set[str] = set()
    for item in items:
        for part in _NAME_SPLIT.split(item):
            name = " ".join(part.split()).strip(" .")
            if name and name.lower() not in seen:
                seen.add(name.lower())
                names.append(name)
    return names
