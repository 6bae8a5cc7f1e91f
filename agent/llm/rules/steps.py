"""Next steps from commitment phrases, and an extractive summary of the informative sentences.

A next step needs an owner a rep can act on: `rep` for the rep's side, and on the customer's
side the first name of the person who committed ("I'll send the SOC 2", "we'll review it") or
was asked; `customer` only when no one person can be named.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date

from agent.domain.models import NextStep
from agent.llm.rules import lexicon
from agent.llm.rules.fields import scan_dates
from agent.llm.rules.text import Sentence, Speakers

_CLAUSE_END = re.compile(
    r"\s*(?:[;:]|\s-\s|,\s*(?:and|but|so|then)\b|\b(?:so that|because|once|after|when|if"
    r"|unless|while)\b)"
)
_PRONOUNS = frozenset({"he", "she", "they", "it", "that", "this", "which", "who", "someone",
                       "there", "what", "everything", "nothing", "one"})  # fmt: skip
_SMALL_TALK = re.compile(r"^\W*(?:thanks|thank you|hi|hello|hey|good (?:morning|afternoon)|how are"
                         r"|great to|nice to|bye|talk soon|cheers)\b")  # fmt: skip
_STEP_BLOCKING = frozenset({"hedge", "negation", "past", "injection"})
MAX_SUMMARY = 6
MIN_SUMMARY = 3
_MIN_FILLER_WORDS = 6


def detect_next_step(
    sentence: Sentence,
    speakers: Speakers,
    *,
    meeting_date: date,
    participants: Mapping[str, bool],
) -> NextStep | None:
    """A follow-up someone committed to in this sentence, with owner and due date, or None.

    `participants` maps each speaker's lower-case first name to whether they are customer-side.
    """
    found = _commitment(sentence.norm)
    if found is None:
        return None
    match, kind = found
    checked = sentence.norm if kind != "other" else lexicon.REQUEST.sub(" ", sentence.norm)
    if lexicon.HEDGES.search(checked) or (sentence.flags & (_STEP_BLOCKING - {"hedge"})):
        return None
    if "question" in sentence.flags and kind != "other":
        return None
    action = _action(sentence, match.end())
    owner = _owner(sentence, speakers, kind, match.groupdict().get("who"), participants)
    if action is None or owner is None:
        return None
    dates = scan_dates(sentence.norm[match.start() :], meeting_date)
    due = dates[0][0].isoformat() if dates else None
    return NextStep(owner=owner, action=action, due=due, evidence=sentence.evidence())


def _commitment(norm: str) -> tuple[re.Match[str], str] | None:
    best: tuple[re.Match[str], str] | None = None
    for pattern, kind in lexicon.COMMITMENTS:
        match = pattern.search(norm)
        if match is not None and (best is None or match.start() < best[0].start()):
            best = (match, kind)
    return best


def _action(sentence: Sentence, at: int) -> str | None:
    source = sentence.text if len(sentence.text) == len(sentence.norm) else sentence.norm
    rest = source[at:]
    end = _CLAUSE_END.search(rest)
    action = rest[: end.start() if end else len(rest)]
    for span in reversed(list(lexicon.DATE_SPAN.finditer(action.lower()))):
        head = lexicon.DATE_PREPOSITION.sub("", action[: span.start()])
        action = head + action[span.end() :]
    action = " ".join(action.split()).strip(" ,.;:!?")
    while (lead := lexicon.ACTION_LEAD.match(action.lower())) is not None:
        action = action[lead.end() :]
    if lexicon.NOT_A_TASK.match(action.lower()) or len(action.split()) < lexicon.MIN_ACTION_WORDS:
        return None
    return action


def _owner(
    sentence: Sentence,
    speakers: Speakers,
    kind: str,
    who: str | None,
    participants: Mapping[str, bool],
) -> str | None:
    side = "customer" if sentence.customer else "rep"
    other = "rep" if sentence.customer else _addressee(sentence, speakers, participants)
    if kind in {"self", "side"}:
        return speakers.first_name(sentence.segment.speaker) if sentence.customer else "rep"
    if kind == "other":
        return other
    if who in {None, "me", "us"}:
        return _owner(sentence, speakers, "self", None, participants)
    if who in {"you", "your team"}:
        return other
    if who in _PRONOUNS:
        return None
    if who in participants:
        return who.capitalize() if participants[who] else "rep"
    return side


def _addressee(sentence: Sentence, speakers: Speakers, participants: Mapping[str, bool]) -> str:
    """A rep's request goes to the customer person it names, or the only one on the call."""
    vocative = re.match(r"^\W*([a-z]+),", sentence.norm)
    if vocative and (participants.get(vocative[1]) or speakers.contact(vocative[1])):
        return vocative[1].capitalize()
    customers = [name for name, customer in participants.items() if customer]
    return customers[0].capitalize() if len(customers) == 1 else "customer"


def summarize(sentences: Sequence[Sentence], scores: Mapping[int, float]) -> str:
    """The 3–6 highest-scoring sentences in transcript order; filler only when too few score."""
    ranked = sorted((i for i, score in scores.items() if score >= 1), key=lambda i: -scores[i])
    chosen = ranked[:MAX_SUMMARY]
    if len(chosen) < MIN_SUMMARY:
        fillers = sorted(
            (
                i
                for i, s in enumerate(sentences)
                if i not in chosen
                and len(s.text.split()) >= _MIN_FILLER_WORDS
                and not _SMALL_TALK.match(s.norm)
            ),
            key=lambda i: -len(sentences[i].text),
        )
        chosen += fillers[: MIN_SUMMARY - len(chosen)]
    texts = list(dict.fromkeys(sentences[i].text for i in sorted(chosen)))
    return " ".join(t if t[-1] in ".!?" else f"{t}." for t in texts)
