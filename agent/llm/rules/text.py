"""Sentences and speakers: the units the rules reason about.

Evidence must be a verbatim substring of its segment, so a sentence keeps its exact text and the
matching happens on a separate normalized copy. Who said a sentence matters as much as what it
says: only the customer side can state or agree to a deal value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from agent.domain.models import Contact, CrmContext, Evidence, Segment, Transcript
from agent.domain.roles import SpeakerRoles, resolve_roles
from agent.llm.rules import lexicon

_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "prof", "inc", "ltd", "co", "corp", "vs", "etc", "e.g", "i.e",
     "approx", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
     "st", "no", "jr", "sr", "est", "dept", "mt"}
)  # fmt: skip
_SENTENCE_END = re.compile(r"[.!?]+[\"')\]]*(?=\s+|$)")


@dataclass(frozen=True, kw_only=True)
class Sentence:
    """One sentence of one segment; `text` is verbatim, `norm` is for matching only."""

    segment: Segment
    text: str
    offset: int
    """Where `text` starts in the segment's text."""
    position: int
    last_in_segment: bool
    customer: bool

    @cached_property
    def norm(self) -> str:
        return self.text.lower().replace("\u2019", "'").replace("\u2018", "'")

    @cached_property
    def flags(self) -> frozenset[str]:
        """Why this sentence cannot carry a fact: hedge, question, past, negation, injection."""
        found = set()
        if lexicon.HEDGES.search(self.norm) or lexicon.CONDITION_LEAD.search(self.norm):
            found.add("hedge")
        if "?" in self.text:
            found.add("question")
        if lexicon.PAST.search(self.norm):
            found.add("past")
        if lexicon.NEGATION.search(self.norm):
            found.add("negation")
        if lexicon.INJECTION.search(self.norm):
            found.add("injection")
        return frozenset(found)

    @property
    def is_correction(self) -> bool:
        return lexicon.CORRECTION.search(self.norm) is not None

    def evidence(self) -> Evidence:
        return Evidence(
            quote=self.text,
            segment_indices=(self.segment.index,),
            speaker=self.segment.speaker,
            start=self.segment.start,
        )


def split_sentences(text: str) -> list[str]:
    """Split on sentence ends, not after abbreviations ("Dec. 15") or initials ("J. Smith")."""
    sentences: list[str] = []
    begin = 0
    for match in _SENTENCE_END.finditer(text):
        words = text[begin : match.start()].split()
        last = words[-1].lower().rstrip(".") if words else ""
        if match.group().startswith(".") and (last in _ABBREVIATIONS or len(last) == 1):
            continue
        sentences.append(text[begin : match.end()].strip())
        begin = match.end()
    sentences.append(text[begin:].strip())
    return [s for s in sentences if any(ch.isalnum() for ch in s)]


class Speakers:
    """Which speaker labels are the customer and which contact each one is.

    The sides come from `agent.domain.roles`: the label's company, the CRM contacts, the meeting's
    attendees and the team's domains. A label no evidence places counts as the rep's side here:
    only the customer can state a deal value, so an unplaced speaker states none.
    """

    def __init__(self, context: CrmContext, roles: SpeakerRoles | None = None) -> None:
        self._roles = roles or resolve_roles(labels=(), context=context)

    def is_customer(self, label: str) -> bool:
        return self._roles.is_external(label)

    def contact(self, label: str) -> Contact | None:
        """The one contact this label names, or None when none or several match."""
        return self._roles.of(label).contact

    def first_name(self, label: str) -> str:
        return self._roles.of(label).first_name

    def owner_named(self, name: str) -> str | None:
        """`rep` or a customer's first name for a name said in the call, if it is known."""
        return self._roles.owner_named(name)


def sentences_of(transcript: Transcript, speakers: Speakers) -> list[Sentence]:
    result: list[Sentence] = []
    for segment in transcript.segments:
        customer = speakers.is_customer(segment.speaker)
        parts = split_sentences(segment.text)
        cursor = 0
        for pos, part in enumerate(parts):
            offset = segment.text.index(part, cursor)
            cursor = offset + len(part)
            result.append(
                Sentence(
                    segment=segment,
                    text=part,
                    offset=offset,
                    position=pos,
                    last_in_segment=pos == len(parts) - 1,
                    customer=customer,
                )
            )
    return result


def span_evidence(sentences: Sequence[Sentence]) -> Evidence:
    """One verbatim quote running from the first to the last of some sentences of one segment."""
    segment = sentences[0].segment
    begin = min(s.offset for s in sentences)
    end = max(s.offset + len(s.text) for s in sentences)
    return Evidence(
        quote=segment.text[begin:end],
        segment_indices=(segment.index,),
        speaker=segment.speaker,
        start=segment.start,
    )


def agreed_by_customer(sentence: Sentence, sentences: Sequence[Sentence], at: int) -> bool:
    """True when a rep's closing sentence is answered "yes" (unhedged) by the customer next."""
    if sentence.customer or not sentence.last_in_segment:
        return False
    following = next((s for s in sentences[at + 1 :] if s.segment is not sentence.segment), None)
    if following is None or not following.customer or following.position != 0:
        return False
    if not lexicon.AGREEMENT.search(following.norm):
        return False
    return not (following.flags - {"question"})
