"""Evidence matching: an update stands only on a quote that really occurs where it says.

Quotes are compared after folding case, whitespace, typographic quotes and dashes, so that an
engine's harmless re-spacing passes while an invented sentence fails.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from agent.domain.amounts import amount_mentions
from agent.domain.dates import find_dates, ordinals_to_digits
from agent.domain.models import Evidence, Transcript
from agent.domain.normalize import match_stage

_FOLD = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}
)
_SPACE = re.compile(r"\s+")
_EDGE = " \t\n\"'.,;:…-"
MIN_QUOTE_CHARS = 8


def fold(text: str) -> str:
    """The form in which quotes are compared: lower-case, one space, plain quote marks."""
    return _SPACE.sub(" ", text.translate(_FOLD)).strip().lower()


def _core(quote: str) -> str:
    return fold(quote).replace("...", " ").replace("…", " ").strip(_EDGE)


@dataclass(frozen=True, kw_only=True)
class EvidenceCheck:
    ok: bool
    evidence: Evidence
    reason: str | None = None


def locate(evidence: Evidence, transcript: Transcript) -> EvidenceCheck:
    """Check the quote occurs in the cited segments (or, if none are cited, find them).

    The returned evidence carries the segment indices, speaker and start time of where the quote
    was found, so the rep can jump to the moment.
    """
    core = _core(evidence.quote)
    if len(core) < MIN_QUOTE_CHARS:
        return EvidenceCheck(
            ok=False, evidence=evidence, reason="evidence quote is missing or too short"
        )
    by_index = {s.index: s for s in transcript.segments}
    cited = [i for i in evidence.segment_indices if i in by_index]
    if evidence.segment_indices and not cited:
        return EvidenceCheck(ok=False, evidence=evidence, reason="cited segment does not exist")
    candidates = [by_index[i] for i in cited] if cited else list(transcript.segments)
    for segment in candidates:
        if core in fold(segment.text):
            found = Evidence(
                quote=evidence.quote.strip(),
                segment_indices=(segment.index,),
                speaker=segment.speaker,
                start=segment.start,
            )
            return EvidenceCheck(ok=True, evidence=found)
    if len(cited) > 1:
        joined = fold(" ".join(by_index[i].text for i in sorted(cited)))
        if core in joined:
            first = by_index[min(cited)]
            found = Evidence(
                quote=evidence.quote.strip(),
                segment_indices=tuple(sorted(cited)),
                speaker=first.speaker,
                start=first.start,
            )
            return EvidenceCheck(ok=True, evidence=found)
    where = "the cited segments" if cited else "the transcript"
    return EvidenceCheck(ok=False, evidence=evidence, reason=f"quote does not occur in {where}")


def prepare(quote: str) -> str:
    """The form value mentions are looked for in: folded, with spoken ordinals as digits."""
    return ordinals_to_digits(fold(quote))


@dataclass(frozen=True, kw_only=True)
class FieldFacts:
    """What a value is checked against: the CRM's current value and the call's calendar."""

    before: object = None
    meeting_date: date | None = None
    stages: Sequence[str] = ()
    day_first: bool | None = None


def speaks_to_field(
    kind: str,
    quote: str,
    value: object,
    before: object = None,
    *,
    meeting_date: date | None = None,
    stages: Sequence[str] = (),
    day_first: bool | None = None,
) -> bool:
    """Whether the quote states this very value (or something it follows from).

    A quote about seats is no evidence for a close date, and a quote with some other date is no
    evidence for this one: small models quote exactly but irrelevantly, so the value itself must
    be found in the quote. Without a meeting date a date can only be checked for being a date.
    """
    given = FieldFacts(before=before, meeting_date=meeting_date, stages=stages, day_first=day_first)
    text = prepare(quote)
    if kind == "date" and given.meeting_date is None:
        return bool(_DATE_WORDS.search(f" {text} "))
    if kind in _SPAN_FINDERS:
        return bool(value_spans(kind, text, value, given))
    padded = f" {text} "
    if kind == "name_list":
        previous = {fold(str(v)) for v in given.before} if isinstance(given.before, list) else set()
        added = [fold(str(v)) for v in value] if isinstance(value, list) else [fold(str(value))]
        return all(name in padded for name in added if name not in previous)
    if kind in ("email", "phone"):
        digits = re.sub(r"\D", "", str(value))
        if kind == "email":
            return fold(str(value)) in padded
        return digits[-7:] in re.sub(r"\D", "", padded)
    if kind == "text":
        words = [w for w in re.findall(r"[a-z0-9]+", fold(str(value))) if len(w) > 2]
        return not words or sum(w in padded for w in words) * 2 >= len(words)
    return True


def value_spans(kind: str, text: str, value: object, facts: FieldFacts) -> list[tuple[int, int]]:
    """Where in `text` (see `prepare`) the value of an amount, date or stage is said."""
    finder = _SPAN_FINDERS.get(kind)
    return finder(text, value, facts) if finder is not None else []


def _amount_spans(text: str, value: object, facts: FieldFacts) -> list[tuple[int, int]]:
    """The value as said, in thousands ("one twenty" for 120,000) or millions, or an increase.

    "We have 80 seats" cannot support 138,000; "$138k", "1.2M" and "one twenty K" can, and
    "another 20k" can support 110,000 when the CRM holds 90,000.
    """
    if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
        return []
    spans: list[tuple[int, int]] = []
    before = facts.before if isinstance(facts.before, int | float) else None
    increase = _INCREASE.search(text) is not None
    for mention in amount_mentions(text):
        scales = (1.0, 1e3, 1e6) if mention.value < 1000 else (1.0,)
        said = [mention.value * scale for scale in scales]
        if increase and before is not None:
            said += [before + amount for amount in said]
        if any(abs(amount - value) <= 0.005 * value for amount in said):
            spans.append((mention.start, mention.end))
    return spans


def _date_spans(text: str, value: object, facts: FieldFacts) -> list[tuple[int, int]]:
    """The date's own phrase, or a slip ("push it a full quarter") from the CRM's date.

    A bare day ("put the 29th") takes its month from the conversation, which the quote does not
    carry: it supports a date with that day within the year after the meeting.
    """
    if facts.meeting_date is None or not isinstance(value, str):
        return []
    try:
        wanted = date.fromisoformat(value)
    except ValueError:
        return []
    spans = []
    for m in find_dates(text, meeting_date=facts.meeting_date, day_first=facts.day_first):
        bare = _BARE_DAY.fullmatch(text[m.start : m.end]) is not None
        within_year = facts.meeting_date <= wanted <= facts.meeting_date + timedelta(days=366)
        if m.when == wanted or (bare and m.when.day == wanted.day and within_year):
            spans.append((m.start, m.end))
    before = _as_date(facts.before)
    if before is not None:
        for match in _SLIP.finditer(text):
            if _slipped(before, match) == wanted:
                spans.append(match.span())
    return spans


def _stage_spans(text: str, value: object, facts: FieldFacts) -> list[tuple[int, int]]:
    """Words that name the stage (its name or a synonym), or say the deal was won or lost.

    A closed stage is named only by its own name or by a won/lost phrase: the bare synonym
    "signed" also fits "we signed three new properties".
    """
    if not isinstance(value, str) or not facts.stages:
        return []
    outcomes = {
        marker: match_stage(f"closed {marker}", facts.stages) == value for marker in ("won", "lost")
    }
    closed = any(outcomes.values())
    words = list(re.finditer(r"[a-z0-9]+(?:[-'][a-z0-9]+)*", text))
    spans: list[tuple[int, int]] = []
    for size in range(4, 0, -1):
        for at in range(len(words) - size + 1):
            first, last = words[at], words[at + size - 1]
            said = text[first.start() : last.end()]
            if any(s <= first.start() and last.end() <= e for s, e in spans):
                continue
            named = said == value.lower() if closed else match_stage(said, facts.stages) == value
            if named:
                spans.append((first.start(), last.end()))
    spans += _passed_spans(text, value, facts.stages)
    for pattern, marker in ((_LOST, "lost"), (_WON, "won")):
        if outcomes[marker]:
            spans += [m.span() for m in pattern.finditer(text)]
    return sorted(spans)


def _passed_spans(text: str, value: str, stages: Sequence[str]) -> list[tuple[int, int]]:
    """ "We're through technical validation" / "validation is done": the stage after that one."""
    spans: list[tuple[int, int]] = []
    for match in _PASSED.finditer(text):
        named = match["before"] or match["after"]
        words = named.split()
        for size in range(min(4, len(words)), 0, -1):
            stage = match_stage(
                " ".join(words[-size:] if match["before"] else words[:size]), stages
            )
            if stage is not None:
                at = list(stages).index(stage) if stage in stages else -1
                if 0 <= at < len(stages) - 1 and stages[at + 1] == value:
                    spans.append(match.span())
                break
    return spans


def _as_date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _slipped(before: date, match: re.Match[str]) -> date:
    count = (
        _SLIP_COUNTS.get(match["count"], 1) if not match["count"].isdigit() else int(match["count"])
    )
    months = {"week": 0, "month": 1, "quarter": 3}[match["unit"]] * count
    if months == 0:
        return before + timedelta(weeks=count)
    moved = before + relativedelta(months=months)
    month_end = before.day == calendar.monthrange(before.year, before.month)[1]
    return (
        moved.replace(day=calendar.monthrange(moved.year, moved.month)[1]) if month_end else moved
    )


_SpanFinder = Callable[[str, object, FieldFacts], list[tuple[int, int]]]
_SPAN_FINDERS: dict[str, _SpanFinder] = {
    "amount": _amount_spans,
    "date": _date_spans,
    "picklist": _stage_spans,
}
_PASSED = re.compile(
    r"\b(?:through|past|done with|finished with|out of|wrapped up|completed|finished)\s+"
    r"(?:the\s+)?(?P<after>[a-z]+(?:\s+[a-z]+){0,3})"
    r"|(?P<before>[a-z]+(?:\s+[a-z]+){0,3})\s+(?:is|was|has been)\s+(?:now\s+)?"
    r"(?:done|complete|completed|finished|wrapped up|over)\b"
)
_BARE_DAY = re.compile(r"(?:the\s+)?\d{1,2}(?:st|nd|rd|th)")
_INCREASE = re.compile(r"\b(?:another|additional|an extra|extra|on top|more)\b")
_SLIP_COUNTS = {"a": 1, "a full": 1, "one": 1, "two": 2, "three": 3, "four": 4, "six": 6}
_SLIP = re.compile(
    r"\b(?:slip|slips|slipping|slipped|push|pushes|pushed|pushing|move|moves|moved|moving"
    r"|delay|delays|delayed|shift|shifts|shifted|bump|bumped)\s+(?:it\s+|that\s+|this\s+|us\s+"
    r"|things\s+|the (?:close |signature )?date\s+)?(?:back\s+|out\s+)?(?:by\s+)?"
    r"(?P<count>a full|a|one|two|three|four|six|\d+)\s+(?P<unit>week|month|quarter)s?\b"
)
_LOST = re.compile(
    r"\b(?:go|going|went|gone|decided to go|decided on)\s+with\b|\bchose\b|\bchosen\b"
    r"|\bnot (?:going to |to )?(?:move|moving|proceed|proceeding|go|going) (?:forward|ahead)\b"
    r"|\b(?:pass|passing)\b|\bcancel+(?:ed|ing)?\b|\bkilled\b|\bshelved\b|\bscrapped\b"
    r"|\bdecided against\b|\bdifferent direction\b|\bpulling the plug\b|\blost\b"
)
_WON = re.compile(
    r"\b(?:signed|countersigned|executed|closed|booked)\b(?!\s+(?:up\s+)?(?:a|an|one|two|three"
    r"|four|five|\d+|new|another|other|more|several|some|with|to)\b)|\bpurchase order\b|\bpo\b"
)
"""Won, unless something else was signed ("we signed three new properties", "signed with X")."""
_DATE_WORDS = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b"
    r"|\b(mon|tues|wednes|thurs|fri|satur|sun)day\b|\b(week|month|quarter|year)s?\b"
    r"|\bq[1-4]\b|\btomorrow\b|\btoday\b|\bend of\b|\b\d{1,4}[/.-]\d{1,2}([/.-]\d{1,4})?\b"
    r"|\b\d{1,2}(st|nd|rd|th)\b"
)
