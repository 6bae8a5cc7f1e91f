"""The second guard against hedges, hypotheticals, wishes, past values and corrections.

Engines are asked not to propose "if we went to 200 seats it would be 150k" or "I'd love to close
by the 15th"; this module checks, on the evidence itself, that they did not. The clause of the
quote in which the value is said must state it: not as a condition, a hedge, a question, a past
value, a denial, or (from the seller's side) a wish; and the call must not correct it right after
("seventy-eight thousand. Sorry, eighty-seven"). Deal values also need the customer: said by a
customer speaker, or said by the rep and answered "yes" by the customer in the next turn. When no
speaker of the call can be placed on the customer's side (one mixed audio track, unknown labels),
that last check cannot be made and is skipped; the summary already says speakers are unknown.

Every check works on the text `evidence.prepare` makes, where `value_spans` found the value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from agent.domain.amounts import amount_mentions
from agent.domain.dates import find_dates
from agent.domain.evidence import prepare
from agent.domain.models import Evidence, Segment, Transcript
from agent.domain.roles import Side, SpeakerRoles

__all__ = ["GuardInput", "guard_reason"]

_CLAUSE_END = re.compile(
    r"[.;!?]+(?=\s|$)|,\s*(?=(?:but|so|though|although|however|whereas|and then)\b)"
    r"|\s(?=(?:but|so|although|though|however|whereas)\s)|\s[-–—]\s"
)
_PHRASE_END = re.compile(_CLAUSE_END.pattern + r"|,")
"""A denial reaches only its own phrase: "not seventy-eight, eighty-seven thousand"."""
_CONDITION = re.compile(
    r"\b(?:if|unless|assuming|provided|as long as|in case|only when|suppose|supposing"
    r"|hypothetically|in theory|were to|depending on|depends on)\b"
)
_PAUSE = re.compile(r"\b(?:on hold|paused|on pause|on ice|parked|frozen)\b")
_HEDGE = re.compile(
    r"\b(?:might|maybe|perhaps|possibly|probably|could|hopefully|not sure|ballpark|roughly"
    r"|tentatively|potentially|we'll see|i guess|or so|give or take|\w+-ish)\b"
    r"|\bwould\b(?!\s+(?:like|love))|\w'd\b(?!\s+(?:like|love))"
)
_PAST = re.compile(
    r"\b(?:last (?:year|quarter|month|time)|used to|previously|originally|back then|in the past"
    r"|had been|had budgeted|at first|initially|before that|the old (?:price|number|budget|tool"
    r"|contract|date))\b"
    r"|\b(?:it|that|this|which|the (?:price|number|budget|amount|figure|date|deadline|quote|plan))"
    r"\s+(?:was|were|used to be)\b(?!\s+(?:approved|signed|agreed|confirmed|set|finali[sz]ed"
    r"|raised|increased|bumped|moved|pushed|changed|updated|cut|reduced|lowered|\w+ing)\b)"
)
_NEGATION = re.compile(
    r"\b(?:not|never|no longer|nothing|can't|cannot|won't|isn't|aren't|don't|doesn't|no way"
    r"|wouldn't|couldn't)\b"
)
_REPLACED_BEFORE = re.compile(
    r"\b(?:not|never|instead of|rather than|from|other than|no longer)\s+(?:the\s+|a\s+)?$"
)
_WISH = re.compile(
    r"\b(?:i'd love|i would love|i'd like|i would like|ideally|i was hoping|i'm hoping|hoping"
    r"|i want|we want|we'd like|we would like|let's aim|aim for|i'd really like|would be great"
    r"|can we|could we|should we|shall we|i'd suggest|i suggest|how about|what about)\b"
)
_CORRECTION = re.compile(
    r"\b(?:actually|sorry|i meant|i mean|correction|make that|scratch that|no wait|wait no"
    r"|let me correct|to correct myself|my mistake|my bad)\b"
)
_AGREEMENT = re.compile(
    r"^\W*(?:yes|yeah|yep|yup|correct|exactly|right|agreed|absolutely|definitely|confirmed"
    r"|perfect|sure|that works|sounds good|sounds right|that's right|that is right"
    r"|that's correct|makes sense|let's do it|let's do that|do that|works for (?:me|us)|deal)\b"
    r"|^\W*(?:we|i|it|that|they) (?:are|am|is|do|does|did|have|has|will|can)\W*$"
)
_RESERVATION = re.compile(r"\b(?:but|not|no|never|if|unless|maybe|might|can't|won't)\b")
_CORRECTION_REACH = 3
"""How many segments after the evidence a correction by the same speaker is looked for."""
_NEGATION_ALLOWED = frozenset({"lost"})
"""Stage outcomes whose own evidence is a denial ("we're not moving forward")."""


@dataclass(frozen=True, kw_only=True)
class GuardInput:
    """One proposed value and where it stands: its kind, spans in the prepared quote, speakers."""

    kind: str
    value: object
    evidence: Evidence
    spans: Sequence[tuple[int, int]]
    transcript: Transcript
    roles: SpeakerRoles
    meeting_date: date
    needs_customer: bool = True
    outcome: str | None = None
    """`won` or `lost` for a closed stage, whose evidence may be past or denied by nature."""


def guard_reason(given: GuardInput) -> str | None:
    """Why the value must not be proposed, or None when the quote states it plainly."""
    text = prepare(given.evidence.quote)
    segment = _speaking_segment(given)
    side = given.roles.side(segment.speaker) if segment is not None else Side.UNKNOWN
    agreed = side is not Side.EXTERNAL and segment is not None and _customer_agrees(given, segment)
    internal = side is not Side.EXTERNAL
    if given.needs_customer and given.roles.customer_known and internal and not agreed:
        return "not stated or agreed by the customer"
    around, offset = _surroundings(given, text)
    reasons = [
        _clause_reason(around, (start + offset, end + offset), given, internal, agreed)
        for start, end in given.spans
    ]
    if reasons and all(reasons):
        return reasons[-1]
    if segment is not None:
        return _corrected_later(given, segment)
    return None


def _surroundings(given: GuardInput, quote: str) -> tuple[str, int]:
    """The cited segments' text and where the quote starts in it: an engine may quote "it would
    be 150k" out of "If we went to 200 seats it would be 150k", so the clause is read whole."""
    by_index = {s.index: s for s in given.transcript.segments}
    cited = [by_index[i] for i in sorted(given.evidence.segment_indices) if i in by_index]
    around = prepare(" ".join(segment.text for segment in cited))
    at = around.find(quote)
    return (around, at) if at >= 0 else (quote, 0)


def _clause_reason(
    text: str, span: tuple[int, int], given: GuardInput, internal: bool, agreed: bool
) -> str | None:
    clause, before = _clause(text, span, _CLAUSE_END)
    phrase, _ = _clause(text, span, _PHRASE_END)
    checks: list[tuple[bool, str]] = [
        (bool(_CONDITION.search(clause)), "stated as a condition"),
        (bool(_PAUSE.search(clause)), "a pause, not a decision"),
        (bool(_HEDGE.search(clause)), "hedged, not stated"),
        ("?" in clause and not agreed, "asked, not stated"),
        (bool(_REPLACED_BEFORE.search(before)), "the quote replaces this value"),
        (internal and not agreed and bool(_WISH.search(clause)), "a wish of the rep"),
    ]
    if given.outcome is None:
        checks.append((bool(_PAST.search(clause)), "a past value"))
    if given.outcome not in _NEGATION_ALLOWED:
        checks.append((bool(_NEGATION.search(phrase)), "denied in the quote"))
    return next((reason for failed, reason in checks if failed), None)


def _clause(text: str, span: tuple[int, int], ends: re.Pattern[str]) -> tuple[str, str]:
    """The clause around a span without the span itself, and the words right before it."""
    start, end = 0, len(text)
    for match in ends.finditer(text):
        if match.end() <= span[0]:
            start = match.end()
        elif match.start() >= span[1]:
            end = match.end()
            break
    clause = text[start : span[0]] + " " + text[span[1] : end]
    return clause, text[max(start, span[0] - 24) : span[0]]


def _speaking_segment(given: GuardInput) -> Segment | None:
    """The cited segment the value is said in (the first that holds a clause with it)."""
    by_index = {s.index: s for s in given.transcript.segments}
    cited = [by_index[i] for i in given.evidence.segment_indices if i in by_index]
    text = prepare(given.evidence.quote)
    for start, end in given.spans:
        said = text[start:end]
        for segment in cited:
            if said in prepare(segment.text):
                return segment
    return cited[0] if cited else None


def _customer_agrees(given: GuardInput, segment: Segment) -> bool:
    """The next turn by someone else is a customer's plain "yes"."""
    later = [s for s in given.transcript.segments if s.index > segment.index]
    reply = next((s for s in later if s.speaker != segment.speaker), None)
    if reply is None or not given.roles.is_external(reply.speaker):
        return False
    first = re.split(r"(?<=[.!?])\s", prepare(reply.text), maxsplit=1)[0]
    if not _AGREEMENT.search(first):
        return False
    return not _RESERVATION.search(_AGREEMENT.sub("", first, count=1))


def _corrected_later(given: GuardInput, segment: Segment) -> str | None:
    """A correction by the same speaker right after the quote names a different value."""
    own = prepare(segment.text)
    quoted = prepare(given.evidence.quote)
    at = own.find(quoted)
    texts = [own[at + len(quoted) :] if at >= 0 else ""]
    for other in given.transcript.segments:
        reach = other.index - segment.index
        if 0 < reach <= _CORRECTION_REACH and other.speaker == segment.speaker:
            texts.append(prepare(other.text))
    for text in texts:
        for cue in _CORRECTION.finditer(text):
            window = _sentence_after(text, cue.end())
            other_value = _other_value(window, given)
            if other_value is not None:
                return f"corrected later in the call (to {other_value})"
    return None


def _sentence_after(text: str, at: int) -> str:
    """From `at` to the end of the sentence after the one the cue is in."""
    ends = [m.end() for m in re.finditer(r"[.!?]+(?=\s|$)", text) if m.end() > at]
    return text[at : ends[1] if len(ends) > 1 else len(text)]


def _other_value(window: str, given: GuardInput) -> str | None:
    if given.kind == "amount" and isinstance(given.value, int | float):
        for mention in amount_mentions(window):
            if mention.value >= 1000 and abs(mention.value - given.value) > 0.005 * given.value:
                return f"{mention.value:,.0f}"
    if given.kind == "date" and isinstance(given.value, str):
        for found in find_dates(window, meeting_date=given.meeting_date):
            if found.when > given.meeting_date and found.when.isoformat() != given.value:
                return found.when.isoformat()
    return None
