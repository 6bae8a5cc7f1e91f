"""Competitor changes: vendors the customer is evaluating, chose, or dropped.

`deal.competitors` is proposed as the full new list after every change of the call, in order.
One update carries one quote, and the validator wants every added name inside it: changes from
one turn quote the sentences that made them; changes from several turns quote those turns whole,
joined in call order, which is exactly the text of the cited segments. When more than
`MAX_TURNS` turns changed the list, the latest turns are proposed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from agent.domain.models import Evidence
from agent.llm.rules import lexicon
from agent.llm.rules.fields import admission, chose
from agent.llm.rules.text import Sentence, span_evidence


def vendor_key(name: str) -> str:
    """One key per vendor however it is written: "Chorus.ai" and "chorus" are one."""
    return re.sub(r"\.(?:ai|io|com)$", "", name.strip().lower())


@dataclass(frozen=True)
class Change:
    sentence: Sentence
    added: tuple[str, ...]
    removed: tuple[str, ...]


def read_change(
    sentence: Sentence,
    sentences: Sequence[Sentence],
    at: int,
    *,
    names: Sequence[str],
    current: Sequence[str],
) -> Change | None:
    """What this sentence does to the competitor list, or None when it changes nothing."""
    mentioned = _mentions(sentence, names)
    if not mentioned:
        return None
    listed = {vendor_key(n) for n in current}
    if lexicon.REMOVAL_CUES.search(sentence.norm):
        removed = tuple(n for n in mentioned if vendor_key(n) in listed)
        ignore = frozenset({"negation"})
        if removed and admission(sentence, sentences, at, ignore=ignore) is not None:
            return Change(sentence, (), removed)
        return None
    evaluating = lexicon.EVALUATION_CUES.search(sentence.norm) is not None
    if not (evaluating or any(chose(sentence.norm, n) for n in mentioned)):
        return None
    added = tuple(n for n in mentioned if vendor_key(n) not in listed)
    if added and admission(sentence, sentences, at) is not None:
        return Change(sentence, added, ())
    return None


def _mentions(sentence: Sentence, names: Sequence[str]) -> list[str]:
    """Names from `names` in the sentence, in order of mention, one per vendor."""
    hits: list[tuple[int, int, str]] = []
    for name in names:
        if name.lower() in lexicon.COMMON_WORD_VENDORS:
            found = re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", sentence.text)
        else:
            found = re.search(rf"(?<![\w.]){re.escape(name.lower())}(?![\w])", sentence.norm)
        if found is not None:
            hits.append((found.start(), -len(name), name))
    unique: dict[str, str] = {}
    for _, _, name in sorted(hits):
        unique.setdefault(vendor_key(name), name)
    return list(unique.values())


MAX_TURNS = 3


def proposal(changes: Sequence[Change], current: Sequence[str]) -> tuple[list[str], Evidence]:
    """The new full list and its quote, from the (latest `MAX_TURNS`) turns that changed it."""
    by_turn: dict[int, list[Change]] = {}
    for change in changes:
        by_turn.setdefault(change.sentence.segment.index, []).append(change)
    turns = [by_turn[index] for index in sorted(by_turn)][-MAX_TURNS:]
    names = list(current)
    for turn in turns:
        for change in turn:
            removed = {vendor_key(n) for n in change.removed}
            names = [n for n in names if vendor_key(n) not in removed]
            listed = {vendor_key(n) for n in names}
            names += [n for n in change.added if vendor_key(n) not in listed]
    if len(turns) == 1:
        return names, span_evidence([c.sentence for c in turns[0]])
    segments = [turn[0].sentence.segment for turn in turns]
    return names, Evidence(
        quote=" ".join(segment.text for segment in segments),
        segment_indices=tuple(segment.index for segment in segments),
        speaker=segments[0].speaker,
        start=segments[0].start,
    )
