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
from agent.llm.rules import lexicon, step_lexicon
from agent.llm.rules.fields import scan_dates
from agent.llm.rules.referents import resolve_pronoun
from agent.llm.rules.text import Sentence, Speakers

_CLAUSE_END = re.compile(
    r"\s*(?:[;:]|\s-\s|,\s*(?:and|but|so|then)\b|\b(?:so that|because|once|after|when|if"
    r"|unless|while)\b|,\s*(?:i|we|you|he|she|they)(?:'[a-z]+)?\s)"
)
_NEXT_ACTION = re.compile(r",\s*and\s+(?:then\s+)?(?=(?P<verb>[a-z]+)\b)")
"""Where a second action of the same promise starts: "send a note, and check in in September"."""
_PRONOUNS = frozenset({"he", "she", "they", "it", "that", "this", "which", "who", "someone",
                       "there", "what", "everything", "nothing", "one"})  # fmt: skip
_SMALL_TALK = re.compile(r"^\W*(?:thanks|thank you|hi|hello|hey|good (?:morning|afternoon)|how are"
                         r"|great to|nice to|bye|talk soon|cheers)\b")  # fmt: skip
_STEP_BLOCKING = frozenset({"hedge", "negation", "past", "injection"})
MAX_SUMMARY = 6
MIN_SUMMARY = 3
_MIN_FILLER_WORDS = 6


def detect_next_steps(
    sentence: Sentence,
    speakers: Speakers,
    *,
    meeting_date: date,
    participants: Mapping[str, bool],
    day_anchor: date | None = None,
    previous: Sequence[Sentence] = (),
) -> list[NextStep]:
    """The follow-ups someone committed to in this sentence, with owners and due dates.

    `participants` maps each speaker's lower-case first name to whether they are customer-side;
    `day_anchor` is the month a bare day ("by the 14th") falls in, from the conversation so far;
    `previous` are the sentences before this one, where "send it" finds what "it" is.
    """
    commitments = _commitments(sentence.norm)
    if not commitments or sentence.flags & (_STEP_BLOCKING - {"hedge"}):
        return []
    steps: list[NextStep] = []
    for pos, (match, kind) in enumerate(commitments):
        checked = sentence.norm if kind != "other" else lexicon.REQUEST.sub(" ", sentence.norm)
        if lexicon.HEDGES.search(checked) or ("question" in sentence.flags and kind != "other"):
            continue
        until = commitments[pos + 1][0].start() if pos + 1 < len(commitments) else None
        owner = _owner(sentence, speakers, kind, match.groupdict().get("who"), participants)
        if owner is None:
            continue
        clause = sentence.norm[match.start() : until]
        dates = scan_dates(clause, meeting_date, day_anchor=day_anchor)
        due = dates[0].when.isoformat() if dates else None
        for start, end in _action_spans(sentence, match.end(), until):
            action = _action(sentence, start, end, previous)
            if action is not None:
                steps.append(
                    NextStep(owner=owner, action=action, due=due, evidence=sentence.evidence())
                )
    return steps


def _action_spans(sentence: Sentence, at: int, until: int | None) -> list[tuple[int, int | None]]:
    """One span per action of a promise: "send a note, and check in in September" is two."""
    end = len(sentence.norm) if until is None else until
    spans: list[tuple[int, int | None]] = []
    start = at
    for found in _NEXT_ACTION.finditer(sentence.norm, at, end):
        if found["verb"] in step_lexicon.FOLLOW_UP_VERBS and found.start() > start:
            spans.append((start, found.start()))
            start = found.end()
    spans.append((start, until))
    return spans


def commits(norm: str) -> bool:
    """Whether a sentence promises a follow-up; its dates are due dates, not deal dates."""
    return bool(_commitments(norm))


def _commitments(norm: str) -> list[tuple[re.Match[str], str]]:
    """Commitment phrases in order, skipping relative clauses ("the number I'll put on the PO")."""
    found: list[tuple[re.Match[str], str]] = []
    for pattern, kind in step_lexicon.COMMITMENTS:
        for match in pattern.finditer(norm):
            before = norm[: match.start()].split()
            if before and before[-1].strip(",") != before[-1]:
                before = []
            if before and before[-1] in step_lexicon.RELATIVE_WORDS:
                continue
            if all(match.start() >= m.end() or match.end() <= m.start() for m, _ in found):
                found.append((match, kind))
    return sorted(found, key=lambda item: item[0].start())


def _action(
    sentence: Sentence, at: int, until: int | None, previous: Sequence[Sentence]
) -> str | None:
    source = sentence.text if len(sentence.text) == len(sentence.norm) else sentence.norm
    rest = source[at:until]
    end = _CLAUSE_END.search(rest)
    action = rest[: end.start() if end else len(rest)]
    for span in reversed(list(lexicon.DATE_SPAN.finditer(action.lower()))):
        head = step_lexicon.DATE_PREPOSITION.sub("", action[: span.start()])
        action = head + action[span.end() :]
    action = step_lexicon.DISFLUENCY.sub(" ", action)
    action = re.sub(r"\b(\w+)(?:\s+\1\b)+", r"\1", action, flags=re.IGNORECASE)
    action = " ".join(action.split()).strip(" ,.;:!?")
    while (lead := step_lexicon.ACTION_LEAD.match(action.lower())) is not None:
        action = action[lead.end() :]
    action = resolve_pronoun(action, previous)
    lowered = action.lower()
    if step_lexicon.RECORD_KEEPING.match(lowered):
        return None
    if (
        step_lexicon.NOT_A_TASK.match(lowered)
        or len(action.split()) < step_lexicon.MIN_ACTION_WORDS
    ):
        return None
    if step_lexicon.VAGUE_ACTION.fullmatch(lowered):
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
    other = _addressee(sentence, speakers, participants)
    if sentence.customer and not _named_first(sentence, participants):
        other = "rep"
    if kind in {"self", "side"}:
        return speakers.first_name(sentence.segment.speaker) if sentence.customer else "rep"
    if kind == "other":
        return other
    if who in {None, "me", "us"}:
        return _owner(sentence, speakers, "self", None, participants)
    if who in {"you", "your team"}:
        return other
    if who == "they" and sentence.customer:
        return "customer"
    if who in _PRONOUNS:
        return None
    if who in participants:
        return who.capitalize() if participants[who] else "rep"
    return speakers.owner_named(who) or side


def _named_first(sentence: Sentence, participants: Mapping[str, bool]) -> bool:
    """The sentence opens by naming someone on the call: "Marco, can you pull a list?"."""
    vocative = re.match(r"^\W*([a-z]+),", sentence.norm)
    return vocative is not None and vocative[1] in participants


def _addressee(sentence: Sentence, speakers: Speakers, participants: Mapping[str, bool]) -> str:
    """A request goes to the person it names, else (from the rep) the only customer on the call.

    A customer asking a colleague by name ("Marco, can you …") makes the colleague the owner.
    """
    vocative = re.match(r"^\W*([a-z]+),", sentence.norm)
    if vocative and vocative[1] in participants and not participants[vocative[1]]:
        return "rep"
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
