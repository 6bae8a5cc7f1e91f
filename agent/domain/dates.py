"""Spoken and written dates resolved against the meeting date, or refused.

A close date or a due date is said the way people speak ("next Friday", "the 3rd of February",
"end of Q1 next year"); the CRM needs one calendar day. Everything here is relative to the meeting
date, never to today, so re-running an old call gives the same answer. What speech leaves open is
settled by the conventions below; what they do not settle is refused (None), because a guessed
date can be approved by mistake while a refused one only costs the rep a click.

Conventions:
    * a month and day without a year is the next such date on or after the meeting date;
    * `Friday` / `this Friday` is the first Friday after the meeting date;
    * `next Friday` is the Friday of the week after the meeting's week (weeks start on Monday);
    * a weekday with a day ("Thursday the 28th") is the next day that is both; a weekday that
      contradicts a full date ("Friday, December 17" when the 17th is a Thursday) is refused;
    * `next week` is the Friday of next week and `this week` / `end of the week` the Friday of
      this one: as a due or close date a week means its last working day;
    * `end of the month / quarter / year` is its last day, `end of Q1` the next 31 March on or
      after the meeting (`Q1 next year` the one in the following year), `mid-January` the 15th,
      `beginning of January` the 1st, and the same for `next month`;
    * `a week from Friday` counts from that Friday, `in a fortnight` is fourteen days;
    * numeric dates are read month first or day first only when one reading is impossible, or
      when the locale says which (`day_first`); `03/04` with no locale is refused;
    * a bare month (`in January`), `early` / `late` a month, and ranges are refused.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

__all__ = ["DATE_SPAN", "MONTHS", "DateMention", "find_dates", "ordinals_to_digits", "parse_date"]

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
MONTHS["sept"] = 9
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_COUNTS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "couple": 2,
           "a couple": 2, "a few": 3, "few": 3}  # fmt: skip
_COUNT_RE = r"a couple(?: of)?|couple(?: of)?|a few|few|a|one|two|three|four|five|six|\d+"
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY_RE = "|".join(_WEEKDAYS)
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}  # fmt: skip
_QUARTER_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": 4}
_ORDINAL_WORD = (
    r"(?:(?:twenty|thirty)[\s-]+(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)"
    rf"|{'|'.join(sorted(_ORDINALS, key=len, reverse=True))})"
)
_ORDINAL_NEAR_MONTH = re.compile(
    rf"\b(?P<before>(?:{_MONTH_RE})\.?\s+(?:the\s+)?)(?P<a>{_ORDINAL_WORD})\b"
    rf"|\b(?P<b>{_ORDINAL_WORD})(?P<after>\s+of\s+(?:{_MONTH_RE}|next month|this month)\b)"
    rf"|\b(?P<c>(?:{_WEEKDAY_RE}),?\s+the\s+)(?P<d>{_ORDINAL_WORD})\b",
    re.IGNORECASE,
)
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s*(?P<year>\d{4}))?"
_MONTH_DAY = re.compile(rf"^(?P<month>{_MONTH_RE})\.?\s+(?:the\s+)?{_DAY}{_YEAR}$")
_DAY_MONTH = re.compile(rf"^(?:the\s+)?{_DAY}(?:\s+of)?\s+(?P<month>{_MONTH_RE})\.?{_YEAR}$")
_PREFIXES = re.compile(
    r"^(?:(?:by|on|before|until|till|no later than|around|for|at|sometime|some time|in|the|"
    r"of|close(?! of business)|sign|due|within)\s+)+"
)
_WEEKDAY_LEAD = re.compile(
    rf"^(?:(?:this|next|coming)\s+)?(?P<weekday>{_WEEKDAY_RE}),?\s+(?=\S*\s*\d|\w+\s+\d)"
)
_DAY_ENDS = re.compile(r"^(?:close of business|end of (?:the )?day|eod|cob)\s+(?:on\s+)?(?=\w)")


_SPAN_COUNT = r"(?:a couple(?: of)?|a few|a|one|two|three|four|five|six|\d+)"
DATE_SPAN = re.compile(
    "|".join(
        (
            r"\b\d{4}-\d{2}-\d{2}\b",
            r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\b\d{1,2}\.\d{1,2}\.\d{2,4}\b",
            rf"\b(?:(?:this|next|coming)\s+)?(?:{_WEEKDAY_RE}),?\s+(?:the\s+)?\d{{1,2}}"
            r"(?:st|nd|rd|th)\b",
            rf"\b(?:(?:{_WEEKDAY_RE}),?\s+)?(?:{_MONTH_RE})\.?\s+(?:the\s+)?\d{{1,2}}"
            r"(?:st|nd|rd|th)?\b(?:,?\s+\d{4})?",
            rf"\b(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:(?:{_MONTH_RE})\b"
            r"(?:,?\s+\d{4})?|next month|this month)",
            r"\b(?:the\s+)?(?:mid|middle of|end of|beginning of|start of|last day of)[\s-]+"
            rf"(?:the\s+)?(?:(?:{_MONTH_RE})\b(?:\s+\d{{4}})?|next month)",
            r"\b(?:the\s+)?end of (?:the |this |next )?(?:month|quarter|year|week)\b"
            r"(?: after next)?",
            r"\b(?:the\s+)?(?:end of\s+)?(?:the\s+)?(?:q[1-4]|(?:first|second|third|fourth|last)"
            r" quarter)(?:\s+(?:of\s+)?(?:\d{4}|next year|this year))?\b",
            r"\b(?:eom|eoq|eoy|eow|year[- ]end|quarter[- ]end|month[- ]end)\b",
            rf"\b{_SPAN_COUNT}\s+(?:days?|weeks?|months?)\s+from\s+(?:now|today|tomorrow"
            rf"|(?:this |next )?(?:{_WEEKDAY_RE}))\b",
            rf"\b(?:in|within)\s+{_SPAN_COUNT}\s+(?:days?|weeks?|months?)\b",
            r"\b(?:in\s+)?a fortnight\b|\b(?:the\s+)?week after next\b",
            r"\b(?:(?:close of business|end of (?:the )?day|eod|cob)\s+(?:on\s+)?)?"
            rf"(?:(?:this|next|coming)\s+)?(?:{_WEEKDAY_RE})\b",
            r"\b(?:today|tonight|tomorrow|day after tomorrow|this (?:morning|afternoon|evening)"
            r"|end of (?:the )?day|eod|close of business|cob)\b",
            r"\b(?:next|this) week\b",
            r"\b(?:the\s+)?\d{1,2}(?:st|nd|rd|th)\b",
        )
    )
)
"""Where a date is said in running text; each span resolves with `parse_date` (run on text whose
spoken ordinals were first written as digits by `ordinals_to_digits`)."""


@dataclass(frozen=True)
class DateMention:
    when: date
    start: int
    end: int


def find_dates(
    text: str, *, meeting_date: date, day_first: bool | None = None
) -> list[DateMention]:
    """Every resolvable date said in `text` (lower-case, ordinals as digits), in order."""
    found: list[DateMention] = []
    for match in DATE_SPAN.finditer(text):
        when = parse_date(match.group(), meeting_date=meeting_date, day_first=day_first)
        if when is not None:
            found.append(DateMention(when, match.start(), match.end()))
    return found


def ordinals_to_digits(text: str) -> str:
    """Write spoken days as digits next to a month or weekday: "January thirty first" → "31st"."""

    def digits(match: re.Match[str]) -> str:
        word = (match["a"] or match["b"] or match["d"]).lower()
        parts = re.split(r"[\s-]+", word)
        day = sum({"twenty": 20, "thirty": 30}.get(p, 0) for p in parts[:-1]) + _ORDINALS[parts[-1]]
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(day % 10 if day not in (11, 12, 13) else 0, "th")
        return f"{match['before'] or match['c'] or ''}{day}{suffix}{match['after'] or ''}"

    return _ORDINAL_NEAR_MONTH.sub(digits, text)


def parse_date(text: str, *, meeting_date: date, day_first: bool | None = None) -> date | None:
    """Resolve a spoken or written date against the meeting date; None when it is ambiguous.

    `day_first` is the locale's order for numeric dates (True for 03/04 = 3 April); None refuses
    a numeric date that both orders could read.
    """
    cleaned = _clean(text)
    if not cleaned:
        return None
    weekday_match = _WEEKDAY_LEAD.match(cleaned)
    if weekday_match is not None:
        return _with_weekday(
            _WEEKDAYS[weekday_match["weekday"]],
            _PREFIXES.sub("", cleaned[weekday_match.end() :]),
            meeting_date,
            day_first,
        )
    return _resolve(cleaned, meeting_date, day_first)


def _resolve(text: str, meeting: date, day_first: bool | None) -> date | None:
    found = _absolute(text, meeting, day_first)
    if found is None:
        found = _relative(text, meeting)
    if found is None:
        found = _period_end(text, meeting)
    return found


def _clean(text: str) -> str:
    cleaned = " ".join(ordinals_to_digits(text.lower()).replace(",", ", ").split()).strip(" .,;:!?")
    cleaned = _PREFIXES.sub("", cleaned) or cleaned
    return _DAY_ENDS.sub("", cleaned)


def _with_weekday(weekday: int, rest: str, meeting: date, day_first: bool | None) -> date | None:
    """ "Thursday the 28th": the next 28th that is a Thursday; "Friday, Dec 17": only if it is."""
    day_only = re.fullmatch(r"(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?", rest)
    if day_only:
        day, start = int(day_only[1]), date(meeting.year, meeting.month, 1)
        for ahead in range(0, 15):
            month = start + relativedelta(months=ahead)
            found = _safe_date(month.year, month.month, day)
            if found is not None and found >= meeting and found.weekday() == weekday:
                return found
        return None
    found = _resolve(rest, meeting, day_first)
    return found if found is not None and found.weekday() == weekday else None


def _absolute(text: str, meeting: date, day_first: bool | None) -> date | None:
    iso = re.fullmatch(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[t\s].*)?", text)
    if iso:
        return _safe_date(int(iso[1]), int(iso[2]), int(iso[3]))
    numeric = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2}|\d{4}))?", text)
    if numeric:
        return _numeric(numeric[1], numeric[2], numeric[3], meeting, day_first)
    for pattern in (_MONTH_DAY, _DAY_MONTH):
        found = pattern.fullmatch(text.replace(",", "").replace("  ", " "))
        if found:
            month, day = MONTHS[found["month"]], int(found["day"])
            if found["year"]:
                return _safe_date(int(found["year"]), month, day)
            return _next_on_or_after(month, day, meeting)
    of_month = re.fullmatch(r"(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)?\s+of\s+(next|this) month", text)
    if of_month:
        base = meeting + relativedelta(months=1 if of_month[2] == "next" else 0)
        return _safe_date(base.year, base.month, int(of_month[1]))
    day_only = re.fullmatch(r"(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)", text)
    if day_only:
        return _next_day_of_month(int(day_only[1]), meeting)
    return None


def _numeric(
    first: str, second: str, year: str | None, meeting: date, day_first: bool | None
) -> date | None:
    a, b = int(first), int(second)
    if a > 12 >= b:
        day, month = a, b
    elif b > 12 >= a or a == b:
        day, month = b, a
    elif day_first is not None:
        day, month = (a, b) if day_first else (b, a)
    else:
        return None
    if year is None:
        return _next_on_or_after(month, day, meeting)
    full_year = int(year) + (2000 if len(year) == 2 else 0)
    return _safe_date(full_year, month, day)


def _relative(text: str, meeting: date) -> date | None:
    simple = {"today": 0, "tonight": 0, "this morning": 0, "this afternoon": 0, "this evening": 0,
              "end of day": 0, "end of the day": 0, "eod": 0, "close of business": 0, "cob": 0,
              "tomorrow": 1, "day after tomorrow": 2, "the day after tomorrow": 2,
              "a fortnight": 14, "fortnight": 14, "a fortnight from now": 14}  # fmt: skip
    if text in simple:
        return meeting + timedelta(days=simple[text])
    weekday = _weekday(text, meeting)
    if weekday is not None:
        return weekday
    span = re.fullmatch(
        rf"(?:in\s+)?({_COUNT_RE})\s+(day|week|month)s?(?:\s+from\s+(.+))?",
        text,
    )
    if span is None:
        return None
    start = meeting if span[3] in (None, "now", "today") else _relative(span[3], meeting)
    if start is None:
        return None
    count = int(span[1]) if span[1].isdigit() else _COUNTS[span[1].removesuffix(" of")]
    if span[2] == "month":
        return start + relativedelta(months=count)
    return start + timedelta(days=count * (7 if span[2] == "week" else 1))


def _weekday(text: str, meeting: date) -> date | None:
    found = re.fullmatch(r"(?:(this|next|coming|this coming)\s+)?(\w+?)s?", text)
    if found is None or found[2] not in _WEEKDAYS:
        return None
    target = _WEEKDAYS[found[2]]
    if found[1] == "next":
        monday = meeting - timedelta(days=meeting.weekday()) + timedelta(days=7)
        return monday + timedelta(days=target)
    return meeting + timedelta(days=(target - meeting.weekday() - 1) % 7 + 1)


def _period_end(text: str, meeting: date) -> date | None:
    friday = meeting - timedelta(days=meeting.weekday()) + timedelta(days=4)
    if text in {"this week", "end of the week", "end of week", "end of this week", "eow",
                "the end of the week", "week end"}:  # fmt: skip
        return friday if friday >= meeting else friday + timedelta(days=7)
    if text in {"next week", "end of next week"}:
        return friday + timedelta(days=7)
    if text in {"the week after next", "week after next", "end of the week after next"}:
        return friday + timedelta(days=14)
    month = _month_end_phrase(text, meeting)
    if month is not None:
        return month
    quarter = _quarter_end(text, meeting)
    if quarter is not None:
        return quarter
    if re.fullmatch(r"(?:the\s+)?end of (?:the |this )?year|eoy|year end|year-end", text):
        return date(meeting.year, 12, 31)
    if re.fullmatch(r"(?:the\s+)?end of next year", text):
        return date(meeting.year + 1, 12, 31)
    return _month_part(text, meeting)


def _month_end_phrase(text: str, meeting: date) -> date | None:
    if re.fullmatch(r"(?:the\s+)?end of (?:the |this )?month|eom|month end|month-end", text):
        return _month_end(meeting.year, meeting.month)
    relative = re.fullmatch(
        r"(?:the\s+)?(mid|middle of|end of|beginning of|start of)[\s-]+next month", text
    )
    if relative is None:
        return None
    ahead = meeting + relativedelta(months=1)
    day = _part_day(relative[1], ahead.year, ahead.month)
    return date(ahead.year, ahead.month, day)


def _quarter_end(text: str, meeting: date) -> date | None:
    current_q = (meeting.month - 1) // 3 + 1
    if re.fullmatch(r"(?:the\s+)?end of (?:the |this )?quarter|eoq|quarter end|quarter-end", text):
        return _month_end(meeting.year, current_q * 3)
    if re.fullmatch(r"(?:the\s+)?end of next quarter", text):
        q_year, q = (meeting.year, current_q + 1) if current_q < 4 else (meeting.year + 1, 1)
        return _month_end(q_year, q * 3)
    named = re.fullmatch(
        r"(?:the\s+)?(?:end of\s+)?(?:the\s+)?(?:q([1-4])|(first|second|third|fourth|last)"
        r" quarter)(?:\s+(?:of\s+)?(?:(\d{4})|(next year|this year)))?",
        text,
    )
    if named is None:
        return None
    quarter = int(named[1]) if named[1] else _QUARTER_WORDS[named[2]]
    if named[3]:
        return _month_end(int(named[3]), quarter * 3)
    if named[4] == "next year":
        return _month_end(meeting.year + 1, quarter * 3)
    end = _month_end(meeting.year, quarter * 3)
    if named[4] == "this year":
        return end if end >= meeting else None
    return end if end >= meeting else _month_end(meeting.year + 1, quarter * 3)


def _month_part(text: str, meeting: date) -> date | None:
    found = re.fullmatch(
        rf"(?:the\s+)?(mid|middle of|end of|beginning of|start of|last day of)[\s-]+"
        rf"(?:the\s+)?(?:month of\s+)?({_MONTH_RE})(?:\s+(\d{{4}}))?",
        text,
    )
    if found is None:
        return None
    month, part = MONTHS[found[2]], found[1]
    years = (int(found[3]),) if found[3] else (meeting.year, meeting.year + 1)
    for year in years:
        candidate = date(year, month, _part_day(part, year, month))
        if found[3] or candidate >= meeting:
            return candidate
    return None


def _part_day(part: str, year: int, month: int) -> int:
    if part in {"end of", "last day of"}:
        return calendar.monthrange(year, month)[1]
    return 15 if part in {"mid", "middle of"} else 1


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
