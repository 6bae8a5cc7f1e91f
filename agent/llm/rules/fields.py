"""Detectors for the deal fields the `rules` engine can propose: amount, close date, stage.

Each detector looks at one sentence and either states one value with the sentence as its evidence
or abstains. Abstaining is the default: a missed update costs the rep a click, a wrong one could
be approved by mistake.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from agent.domain.models import CrmContext, FieldValueT
from agent.domain.normalize import match_stage, ordinals_to_digits, parse_amount, parse_date
from agent.llm.rules import lexicon
from agent.llm.rules.text import Sentence, agreed_by_customer

BLOCKING = frozenset({"hedge", "question", "past", "negation", "injection"})
_ABSOLUTE_DATE = re.compile(r"\d{4}|/|[a-z]{3,}\.?\s+\d|\d(?:st|nd|rd|th)?\s+(?:of\s+)?[a-z]{3,}")


@dataclass(frozen=True, kw_only=True)
class Finding:
    field: str
    value: FieldValueT
    sentence: Sentence
    confidence: float
    contact: str | None = None


@dataclass(frozen=True, kw_only=True)
class Cues:
    """Field cues a sentence inherits: "What's the number?" … "We're at 150,000 now." """

    amount: bool = False
    close: bool = False
    correction: bool = False
    """The sentence before, in the same turn, was a bare correction ("Actually, no, sorry.")."""


def admission(
    sentence: Sentence,
    sentences: Sequence[Sentence],
    at: int,
    *,
    ignore: frozenset[str] = frozenset(),
) -> str | None:
    """`direct` when the customer states it unhedged, `agreed` when the customer says yes to it."""
    blocking = (sentence.flags & BLOCKING) - ignore
    if sentence.customer:
        return None if blocking else "direct"
    if blocking - {"question"}:
        return None
    return "agreed" if agreed_by_customer(sentence, sentences, at) else None


def _blank(text: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(lambda m: " " * len(m.group()), text)


@dataclass(frozen=True)
class AmountScan:
    values: tuple[float, ...]
    """Amounts of at least `MIN_AMOUNT`, distinct, in order of mention."""
    small: tuple[float, ...]
    """Bare small numbers ("the budget is 90"), which only a reference scale can read."""
    ambiguous: bool


def scan_amounts(norm: str) -> AmountScan:
    """Money amounts in a sentence, without percents, headcounts, years, dates and phone numbers."""
    text = _blank(_blank(norm, lexicon.PHONE_LIKE), lexicon.DATE_SPAN)
    spans = [m.span() for m in lexicon.AMOUNT_NUMBER.finditer(text)]
    spans += [
        m.span()
        for m in lexicon.AMOUNT_WORDS.finditer(text)
        if lexicon.AMOUNT_WORDS_END.search(m.group()) or len(m.group().split()) > 1
    ]
    spans.sort()
    ambiguous = "between" in text
    kept: list[tuple[int, int]] = []
    for pos, (start, end) in enumerate(spans):
        nxt = spans[pos + 1] if pos + 1 < len(spans) else None
        prev = spans[pos - 1] if pos else None
        if (nxt and lexicon.RANGE_JOIN.match(text[end : nxt[0]])) or (
            prev and lexicon.RANGE_JOIN.match(text[prev[1] : start])
        ):
            ambiguous = True
        elif not (
            lexicon.NOT_AN_AMOUNT_AFTER.match(text[end : end + 24])
            or lexicon.NOT_AN_AMOUNT_BEFORE.search(text[max(0, start - 20) : start])
        ):
            kept.append((start, end))
    values: list[float] = []
    small: list[float] = []
    for start, end in kept:
        raw = text[start:end].strip(" ,.")
        value = parse_amount(raw)
        if value is None or (re.fullmatch(r"\d{4}", raw) and 1900 <= value <= 2100):
            continue
        (values if value >= lexicon.MIN_AMOUNT else small).append(value)
    return AmountScan(tuple(dict.fromkeys(values)), tuple(small), ambiguous)


def detect_amount(
    sentence: Sentence,
    sentences: Sequence[Sentence],
    at: int,
    *,
    last: float | None,
    reference: float | None,
    carried: bool = False,
    corrected: bool = False,
) -> Finding | None:
    """`last` is the amount stated earlier in the call, `reference` the CRM's, for scale.

    A plain restatement of the CRM's own amount counts even without a cue ("Yes, 180,000 is
    fine"): the latest statement wins, so it undoes an earlier, bigger number.
    """
    if lexicon.NOT_DEAL_AMOUNT.search(sentence.norm):
        return None
    correcting = (sentence.is_correction or corrected) and last is not None
    strong = carried or lexicon.AMOUNT_CUES_STRONG.search(sentence.norm) is not None
    scan = scan_amounts(sentence.norm)
    if not (strong or correcting or lexicon.AMOUNT_CUES.search(sentence.norm)):
        return _restated(sentence, sentences, at, scan, reference)
    mode = admission(sentence, sentences, at, ignore=frozenset({"negation"} if correcting else ()))
    if mode is None or scan.ambiguous or len(scan.values) > 1:
        return None
    kind = "correction" if correcting else "strong" if strong else "cue"
    value = scan.values[0] if scan.values else None
    base = last if correcting else reference if strong else None
    if value is None and base is not None and base >= lexicon.MIN_AMOUNT and len(scan.small) == 1:
        scaled = scan.small[0] * 1000
        value, kind = (scaled, "inferred") if 0.5 <= scaled / base <= 2 else (None, kind)
    if value is None:
        return None
    confidence = lexicon.CONFIDENCE["agreed" if mode == "agreed" else kind]
    return Finding(field="deal.amount", value=value, sentence=sentence, confidence=confidence)


def _restated(
    sentence: Sentence,
    sentences: Sequence[Sentence],
    at: int,
    scan: AmountScan,
    reference: float | None,
) -> Finding | None:
    if reference is None or scan.ambiguous or len(scan.values) != 1:
        return None
    if abs(scan.values[0] - reference) > 0.005 * reference:
        return None
    if admission(sentence, sentences, at) is None:
        return None
    return Finding(
        field="deal.amount",
        value=reference,
        sentence=sentence,
        confidence=lexicon.CONFIDENCE["cue"],
    )


@dataclass(frozen=True)
class DateMention:
    when: date
    absolute: bool
    """A calendar date ("December 15th"), as opposed to a relative one ("Friday")."""
    window: tuple[date, date]
    """The days a vague date covers: "end of February" agrees with any day from the 21st."""


def scan_dates(
    norm: str, meeting_date: date, *, day_anchor: date | None = None
) -> list[DateMention]:
    """Distinct dates in a sentence, without the ones being replaced ("instead of Friday").

    `day_anchor`, when given, is where a bare day ("the 20th") is counted from instead of the
    meeting date: a correction of December 15th to "the 20th" means December 20th.
    """
    text = ordinals_to_digits(norm)
    found: dict[date, DateMention] = {}
    for match in lexicon.DATE_SPAN.finditer(text):
        if lexicon.NOT_A_DATE_BEFORE.search(text[max(0, match.start() - 20) : match.start()]):
            continue
        if lexicon.NOT_A_DATE_AFTER.match(text[match.end() : match.end() + 12]):
            continue
        anchor = meeting_date
        if day_anchor is not None and lexicon.DAY_ONLY.match(match.group()):
            anchor = max(meeting_date, day_anchor)
        parsed = parse_date(match.group(), meeting_date=anchor)
        if parsed is not None and parsed not in found:
            absolute = _ABSOLUTE_DATE.search(match.group()) is not None
            found[parsed] = DateMention(parsed, absolute, _window(match.group(), parsed))
    return list(found.values())


def _window(span: str, when: date) -> tuple[date, date]:
    kind = next((k for pattern, k in lexicon.PERIOD_WINDOW if pattern.search(span)), None)
    last_day = calendar.monthrange(when.year, when.month)[1]
    if kind == "week":
        monday = when - timedelta(days=when.weekday())
        return monday, monday + timedelta(days=6)
    if kind == "month_end":
        return when.replace(day=min(21, last_day)), when.replace(day=last_day)
    if kind == "mid_month":
        return when.replace(day=10), when.replace(day=20)
    if kind == "month_start":
        return when.replace(day=1), when.replace(day=10)
    if kind == "quarter_end":
        return when.replace(day=1), when
    if kind == "year_end":
        return date(when.year, 12, 1), date(when.year, 12, 31)
    return when, when


def detect_close_date(
    sentence: Sentence,
    sentences: Sequence[Sentence],
    at: int,
    *,
    meeting_date: date,
    last: str | None,
    current: date | None,
    carried: Cues | None = None,
    month: date | None = None,
) -> Finding | None:
    """A vague restatement that covers the CRM's date ("still end of February") keeps it.

    `month` is the month of the last calendar date said, where a bare "the 18th" falls.
    """
    if lexicon.CLOSE_VETO.search(sentence.norm):
        return None
    correcting = (sentence.is_correction or bool(carried and carried.correction)) and bool(last)
    cued = (carried and carried.close) or lexicon.CLOSE_CUES.search(
        _blank(sentence.norm, lexicon.NOT_CLOSE)
    )
    if not (correcting or cued):
        return None
    mode = admission(sentence, sentences, at, ignore=frozenset({"negation"} if correcting else ()))
    anchor = month
    if correcting and last:
        anchor = date.fromisoformat(last).replace(day=1)
    dates = [
        found
        for found in scan_dates(_deal_date_text(sentence.norm), meeting_date, day_anchor=anchor)
        if found.when > meeting_date
    ]
    if mode is None or len(dates) != 1:
        return None
    mention = dates[0]
    when = mention.when
    if current is not None and mention.window[0] <= current <= mention.window[1]:
        when = current
    kind = "agreed" if mode == "agreed" else "strong" if mention.absolute else "relative_date"
    return Finding(
        field="deal.close_date",
        value=when.isoformat(),
        sentence=sentence,
        confidence=lexicon.CONFIDENCE[kind],
    )


def _deal_date_text(norm: str) -> str:
    """The part of a sentence that can name the close date: no reasons, no "this morning"."""
    reason = lexicon.REASON_CLAUSE.search(norm)
    head = norm[: reason.start()] if reason is not None else norm
    return _blank(head, lexicon.PASSING_DATES)


def detect_stage(
    sentence: Sentence,
    sentences: Sequence[Sentence],
    at: int,
    *,
    context: CrmContext,
    competitors: Sequence[str],
) -> Finding | None:
    stage, kind = _stage_target(sentence, context.stages, competitors)
    if stage is None:
        return None
    lost = stage == match_stage(lexicon.LOST_STAGE_QUERY, context.stages)
    won = stage == match_stage(lexicon.WON_STAGE_QUERY, context.stages)
    ignore = frozenset({"negation"}) if lost else frozenset({"past"}) if won else frozenset()
    mode = admission(sentence, sentences, at, ignore=ignore)
    if mode is None or not _moves_forward(context.deal.stage, stage, context.stages, lost=lost):
        return None
    return Finding(
        field="deal.stage",
        value=stage,
        sentence=sentence,
        confidence=lexicon.CONFIDENCE["agreed" if mode == "agreed" else kind],
    )


def _stage_target(
    sentence: Sentence, stages: Sequence[str], competitors: Sequence[str]
) -> tuple[str | None, str]:
    for pattern, queries in lexicon.STAGE_PHRASES:
        if pattern.search(sentence.norm):
            stage = next((s for q in queries if (s := match_stage(q, stages))), None)
            if stage is not None:
                return stage, "stage_phrase"
    if any(chose(sentence.norm, name) for name in competitors):
        return match_stage(lexicon.LOST_STAGE_QUERY, stages), "stage_phrase"
    passed = lexicon.STAGE_PASSED.search(sentence.norm)
    if passed is not None:
        return _stage_after(_named_stage(passed["target"], stages), stages), "stage_synonym"
    for pattern in lexicon.STAGE_MOVES:
        for match in pattern.finditer(sentence.norm):
            stage = _named_stage(match["target"], stages)
            if stage is not None:
                exact = stage.lower().replace(" ", "") in match["target"].replace(" ", "")
                return stage, "stage_phrase" if exact else "stage_synonym"
    return None, ""


def _named_stage(target: str, stages: Sequence[str]) -> str | None:
    """The stage the first one to four words of `target` name, longest first."""
    words = target.split()
    for size in range(min(4, len(words)), 0, -1):
        stage = match_stage(" ".join(words[:size]), stages)
        if stage is not None:
            return stage
    return None


def _stage_after(stage: str | None, stages: Sequence[str]) -> str | None:
    """The next open stage: being through the last open stage says nothing about winning."""
    if stage is None or stage not in stages:
        return None
    following = list(stages)[list(stages).index(stage) + 1 :]
    closed = {match_stage(q, stages) for q in (lexicon.WON_STAGE_QUERY, lexicon.LOST_STAGE_QUERY)}
    return following[0] if following and following[0] not in closed else None


def chose(norm: str, vendor: str) -> bool:
    """Whether the sentence says the customer chose `vendor`."""
    name = re.escape(vendor.lower())
    return re.search(rf"{lexicon.CHOSE_VENDOR}{name}(?![\w])", norm) is not None


def _moves_forward(current: str, new: str, stages: Sequence[str], *, lost: bool) -> bool:
    """Only forward moves (or a loss) are proposed; a step back is more likely a misreading."""
    if new == current:
        return False
    if lost or current not in stages:
        return True
    return list(stages).index(new) > list(stages).index(current)
