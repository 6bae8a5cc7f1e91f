"""What "it", "them" and "both" stand for in a promise: "Send me both options … I'll model them."

Spoken follow-ups name their object once and point back at it afterwards ("I'll send it over
today"), and a rep cannot act on "send it". The object is taken from the nearest earlier
sentence that names a thing with a determiner ("the pen test report", "both options"), after a
verb of handing over or working on, or after "is" ("The big one is the pen test report"). When no
such sentence is close, the action keeps its pronoun and the caller decides what to do with it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.llm.rules import lexicon
from agent.llm.rules.text import Sentence

__all__ = ["resolve_pronoun"]

_POINTER = re.compile(
    r"^(?P<verb>(?:[a-z'-]+\s+){0,2}?[a-z'-]+?)(?:\s+(?:you|me|us|him|her))?\s+"
    r"(?P<pronoun>it|them|both|that|those|this|these|one)"
    r"(?=$|[\s,.;!?]+(?:$|over|up|along|across|back|out|off|around|through|to|by|with|in|on"
    r"|for|before|after|until|today|tomorrow|tonight|later|now|asap|first|again|myself"
    r"|ourselves|properly|too|as|at|together|then|and|so)\b)(?P<rest>.*)$",
    re.IGNORECASE,
)
"""A pronoun standing alone ("send it over"), not a determiner ("look at that recording")."""
_POINTED_THING = re.compile(
    r"^(?:[a-z'-]+\s+){1,3}?(?P<determiner>that|this|those|these)\s+(?P<noun>[a-z-]+)\b"
)
"""A determiner and a noun the earlier object names: "get you that list" after "a list of …"."""
_KEEP_VAGUE = re.compile(
    r"^(?:update|change|note|fix|add|include|cover)\s+(?:it|that|this|those)\b"
)
"""Pointing actions that are record keeping ("I'll update that"), left vague on purpose."""
_DO_IT = re.compile(r"^(?:do|handle|take care of|sort)\s+(?:it|that|this)\b(?P<rest>.*)$")
_OBJECT = re.compile(
    r"\b(?P<verb>send|share|need|needs|get|want|review|check|see|forward|prepare|draft|write up"
    r"|update|model|run|finish|test|include|route|pull|put together|set up|book|schedule|sign"
    r"|compare|is|are|was)\s+(?:(?:me|us|you|over|him|her)\s+)?(?:over\s+)?"
    r"(?P<object>(?:the|a|an|your|our|my|both|those|these|some|their|his|her)\s+[^,.;?!]+)"
)
_OBJECT_END = re.compile(
    r"\s+(?:by|before|so|because|once|if|when|and (?:i|we|you|then)|then|to you|today|tomorrow"
    r"|this week|next week|for (?:me|us|you))\b|\s+-\s"
)
_REACH = 4
"""How many sentences back an object is looked for."""


def resolve_pronoun(action: str, previous: Sequence[Sentence]) -> str:
    """`action` with a pointing pronoun replaced by the object it points at, when one is near."""
    lowered = action.lower()
    if _KEEP_VAGUE.match(lowered):
        return action
    found = _referent(previous)
    if found is None:
        return action
    verb, thing = found
    do_it = _DO_IT.match(lowered)
    if do_it is not None:
        return f"{verb} {thing}{action[do_it.start('rest') :]}".strip()
    pointed = _POINTED_THING.match(lowered)
    if pointed is not None and pointed["noun"] in thing.lower().split():
        return f"{action[: pointed.start('determiner')]}{thing}{action[pointed.end('noun') :]}"
    pointer = _POINTER.match(lowered)
    if pointer is None or not _is_verb(pointer["verb"]):
        return action
    head = action[: pointer.start("pronoun")].rstrip()
    return f"{head} {thing}{action[pointer.end('pronoun') :]}".strip()


def _referent(previous: Sequence[Sentence]) -> tuple[str, str] | None:
    for sentence in reversed(previous[-_REACH:]):
        matches = list(_OBJECT.finditer(sentence.norm))
        for match in reversed(matches):
            source = sentence.text if len(sentence.text) == len(sentence.norm) else sentence.norm
            thing = _trim(source, match.start("object"), match.end("object"))
            if thing is not None:
                verb = match["verb"] if match["verb"] not in {"is", "are", "was"} else "send"
                return verb, thing
    return None


def _trim(text: str, start: int, end: int) -> str | None:
    """The object phrase in the sentence's own spelling, without a trailing time or clause."""
    phrase = text[start:end]
    cut = _OBJECT_END.search(phrase.lower())
    if cut is not None:
        phrase = phrase[: cut.start()]
    for span in reversed(list(lexicon.DATE_SPAN.finditer(phrase.lower()))):
        phrase = phrase[: span.start()] + phrase[span.end() :]
    phrase = " ".join(phrase.split()).strip(" ,")
    words = phrase.split()
    if len(words) < 2 or words[-1].lower() in {"one", "it", "that", "this", "them"}:
        return None
    return phrase


def _is_verb(words: str) -> bool:
    """The pronoun follows a verb ("send it", "put it together"), not a preposition."""
    first = words.split()[0].lower()
    return first not in {"of", "in", "on", "at", "with", "about", "for", "from", "to", "and"}
