"""Detectors for the deal and contact fields the `rules` engine can propose.

Each detector looks at one sentence and either states one value with the sentence as its evidence
or abstains. Abstaining is the default: a missed update costs the rep a click, a wrong one could
be approved by mistake.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from agent.domain.models import Contact, CrmContext, FieldValueT
from agent.domain.normalize import match_stage, parse_amount, parse_date
from agent.llm.rules import lexicon
from agent.llm.rules.text import Sentence, Speakers, agreed_by_customer

_BLOCKING = frozenset({"hedge", "question", "past", "negation", "injection"})
_ABSOLUTE_DATE = re.compile(r"\d{4}|/|[a-z]{3,}\.?\s+\d|\d(?:st|nd|rd|th)?\s+(?:of\s+)?[a-z]{3,}")


@dataclass(frozen=True, kw_only=True)
class Finding:
    field: str
    value: FieldValueT
    sentence: Sentence
    confidence: float
    contact: str | None = None


def admission(
    sentence: Sentence,
    sentences: Sequence[Sentence],
    at: int,
    *,
    ignore: frozenset[str] = frozenset(),
) -> str | None:
    """`direct` when the customer states it unhedged, `agreed` when the customer says yes to it."""
    blocking = (sentence.flags & _BLOCKING) - ignore
    if sentence.customer:
        return None if blocking else "direct"
    if blocking - {"question"}:
        return None
    return "agreed" if agreed_by_customer(sentence, sentences, at) else None


def _blank(text: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(lambda m: " " * len(m.group()), text)


@dataclass(frozen=True)
class _AmountScan:
    values: tuple[float, ...]
    small: tuple[float, ...]
    ambiguous: bool


def scan_amounts(norm: str) -> _AmountScan:
    """Money amounts in a sentence, without percents, headcounts, years, dates and phone numbers."""
    text = _blank(_blank(norm, lexicon.PHONE_LIKE), lexicon.DATE_SPAN)
    spans = [m.span() for m in lexicon.AMOUNT_NUMBER.finditer(text)]
    spans += [
        m.span()
        for m in lexicon.AMOUNT_WORDS.finditer(text)
        if lexicon.AMOUNT_WORDS_END.search(m.group())
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
            continue
        if lexicon.NOT_AN_AMOUNT_AFTER.match(text[end : end + 24]):
            continue
        if lexicon.NOT_AN_AMOUNT_BEFORE.search(text[max(0, start - 16) : start]):
            continue
        kept.append((start, end))
    values, small = [], []
    for start, end in kept:
        raw = text[start:end].strip(" ,.")
        value = parse_amount(raw)
        if value is None:
            continue
        bare = re.fullmatch(r"\d{4}", raw) is not None
        if value >= lexicon.MIN_AMOUNT and not (bare and 1900 <= value <= 2100):
            values.append(value)
        elif value < lexicon.MIN_AMOUNT:
            small.append(value)
    return _AmountScan(tuple(dict.fromkeys(values)), tuple(small), ambiguous)


def detect_amount(
    sentence: Sentence, sentences: Sequence[Sentence], at: int, *, last: float | None
) -> Finding | None:
    correcting = sentence.is_correction and last is not None
    strong = lexicon.AMOUNT_CUES_STRONG.search(sentence.norm) is not None
    if not (strong or correcting or lexicon.AMOUNT_CUES.search(sentence.norm)):
        return None
    ignore = frozenset({"negation"}) if correcting else frozenset()
    mode = admission(sentence, sentences, at, ignore=ignore)
    scan = scan_amounts(sentence.norm)
    if mode is None or scan.ambiguous or len(scan.values) > 1:
        return None
    value = scan.values[0] if scan.values else None
    if value is None and correcting and last is not None and len(scan.small) == 1:
        scaled = scan.small[0] * 1000
        value = scaled if last >= 1000 and 0.5 <= scaled / last <= 2 else None
    if value is None:
        return None
    kind = "agreed" if mode == "agreed" else "correction" if correcting else "cue"
    if kind == "cue" and strong:
        kind = "strong"
    return Finding(
        field="deal.amount", value=value, sentence=sentence, confidence=lexicon.CONFIDENCE[kind]
    )


def scan_dates(
    norm: str, meeting_date: date, *, day_anchor: date | None = None
) -> list[tuple[date, bool]]:
    """Dates in a sentence with whether each was absolute (a calendar date, not "Friday").

    `day_anchor`, when given, is where a bare day ("the 20th") is counted from instead of the
    meeting date: a correction of December 15th to "the 20th" means December 20th.
    """
    found: dict[date, bool] = {}
    for match in lexicon.DATE_SPAN.finditer(norm):
        if lexicon.NOT_A_DATE_BEFORE.search(norm[max(0, match.start() - 16) : match.start()]):
            continue
        if lexicon.NOT_A_DATE_AFTER.match(norm[match.end() : match.end() + 12]):
            continue
        anchor = meeting_date
        if day_anchor is not None and lexicon.DAY_ONLY.match(match.group()):
            anchor = max(meeting_date, day_anchor)
        parsed = parse_date(match.group(), meeting_date=anchor)
        if parsed is not None:
            absolute = _ABSOLUTE_DATE.search(match.group()) is not None
            found[parsed] = found.get(parsed, False) or absolute
    return list(found.items())


def detect_close_date(
    sentence: Sentence,
    sentences: Sequence[Sentence],
    at: int,
    *,
    meeting_date: date,
    last: str | None,
) -> Finding | None:
    correcting = sentence.is_correction and last is not None
    cue_text = _blank(sentence.norm, lexicon.NOT_CLOSE)
    if not (correcting or lexicon.CLOSE_CUES.search(cue_text)):
        return None
    ignore = frozenset({"negation"}) if correcting else frozenset()
    mode = admission(sentence, sentences, at, ignore=ignore)
    anchor = date.fromisoformat(last).replace(day=1) if correcting and last else None
    dates = scan_dates(sentence.norm, meeting_date, day_anchor=anchor)
    if mode is None or len(dates) != 1:
        return None
    when, absolute = dates[0]
    kind = "agreed" if mode == "agreed" else "strong" if absolute else "relative_date"
    return Finding(
        field="deal.close_date",
        value=when.isoformat(),
        sentence=sentence,
        confidence=lexicon.CONFIDENCE[kind],
    )


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
    if any(_chose(sentence.norm, name) for name in competitors):
        return match_stage(lexicon.LOST_STAGE_QUERY, stages), "stage_phrase"
    for pattern in lexicon.STAGE_MOVES:
        for match in pattern.finditer(sentence.norm):
            words = match["target"].split()
            for size in range(min(4, len(words)), 0, -1):
                said = " ".join(words[:size])
                stage = match_stage(said, stages)
                if stage is not None:
                    exact = said.replace(" ", "") in stage.lower().replace(" ", "")
                    return stage, "stage_phrase" if exact else "stage_synonym"
    return None, ""


def _chose(norm: str, competitor: str) -> bool:
    name = re.escape(competitor.lower())
    verbs = r"(?:go|going|went|gone|decided on|decided to go with|chose|chosen|picked|signed with)"
    return re.search(rf"\b{verbs}\s+(?:with\s+)?{name}(?![\w])", norm) is not None


def _moves_forward(current: str, new: str, stages: Sequence[str], *, lost: bool) -> bool:
    """Only forward moves (or a loss) are proposed; a step back is more likely a misreading."""
    if new == current:
        return False
    if lost or current not in stages:
        return True
    return list(stages).index(new) > list(stages).index(current)


def competitor_mentions(sentence: Sentence, names: Sequence[str]) -> list[str]:
    """Names from `names` that the sentence mentions as being evaluated, in order of mention."""
    if not lexicon.EVALUATION_CUES.search(sentence.norm):
        return []
    hits: list[tuple[int, str]] = []
    for name in names:
        if name.lower() in lexicon.COMMON_WORD_VENDORS:
            found = re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", sentence.text)
        else:
            found = re.search(rf"(?<![\w.]){re.escape(name.lower())}(?![\w])", sentence.norm)
        if found is not None:
            hits.append((found.start(), name))
    return [name for _, name in sorted(hits)]


def detect_title(sentence: Sentence, speakers: Speakers) -> Finding | None:
    contact = speakers.contact(sentence.segment.speaker)
    if contact is None or (sentence.flags & _BLOCKING) - {"past"}:
        return None
    for pattern in lexicon.TITLE_CUES:
        match = pattern.search(sentence.norm)
        if match is None:
            continue
        title = _title_from(sentence, match.end())
        if title is None:
            continue
        if title.lower() == (contact.title or "").strip().lower():
            return None
        return _title_finding(sentence, contact, title)
    return None


def _title_finding(sentence: Sentence, contact: Contact, title: str) -> Finding:
    return Finding(
        field="contact.title",
        value=title,
        sentence=sentence,
        confidence=lexicon.CONFIDENCE["title"],
        contact=contact.email.lower(),
    )


def _title_from(sentence: Sentence, at: int) -> str | None:
    source = sentence.text if len(sentence.text) == len(sentence.norm) else sentence.norm
    rest = source[at:]
    end = lexicon.TITLE_END.search(rest)
    title = " ".join(rest[: end.start() if end else len(rest)].split())
    words = title.split()
    if not words or len(words) > lexicon.MAX_TITLE_WORDS:
        return None
    if not (lexicon.TITLE_WORDS.search(title.lower()) or title[0].isupper()):
        return None
    if title == title.lower():
        title = " ".join(_title_case(w, first=i == 0) for i, w in enumerate(words))
    return title


def _title_case(word: str, *, first: bool) -> str:
    if word in lexicon.TITLE_SPELLING:
        return lexicon.TITLE_SPELLING[word]
    if word in lexicon.TITLE_LOWER and not first:
        return word
    return word[:1].upper() + word[1:]
