"""The `rules` engine: the deterministic, offline baseline every model must beat.

It reads the transcript sentence by sentence in order, so a later statement of the same field (a
correction) replaces an earlier one, and it proposes a field only when the customer side stated or
agreed to a value that differs from the CRM's. It needs no model, no network and no randomness:
the same call always yields the same proposals.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from agent.domain.models import CrmContext, EngineOutput, NextStep, RawFieldUpdate, TokenUsage
from agent.domain.ports import ExtractionRequest
from agent.llm.rules import lexicon
from agent.llm.rules.fields import (
    Finding,
    admission,
    competitor_mentions,
    detect_amount,
    detect_close_date,
    detect_stage,
    detect_title,
    scan_amounts,
)
from agent.llm.rules.steps import detect_next_step, summarize
from agent.llm.rules.text import Sentence, Speakers, sentences_of, span_evidence

_FIELD_ORDER = ("deal.stage", "deal.amount", "deal.close_date", "deal.competitors", "contact.title")


def _vendor_key(name: str) -> str:
    return re.sub(r"\.(?:ai|io|com)$", "", name.strip().lower())


@dataclass
class _Pass:
    """What one read of the transcript has found so far; later sentences overwrite earlier ones."""

    findings: dict[tuple[str, str | None], Finding] = field(default_factory=dict)
    added: list[tuple[Sentence, list[str]]] = field(default_factory=list)
    """Sentences that named new competitors, with the names each added."""
    steps: dict[tuple[str, str], NextStep] = field(default_factory=dict)
    scores: dict[int, float] = field(default_factory=dict)

    def last_value(self, name: str) -> object:
        found = self.findings.get((name, None))
        return found.value if found is not None else None

    def score(self, at: int, points: float) -> None:
        self.scores[at] = self.scores.get(at, 0.0) + points


class RulesEngine:
    """Cue lexicons plus the deterministic resolvers; abstains on hedges, questions, past values.

    Args:
        competitors: vendor names that count as competitors when mentioned as being evaluated,
            in addition to the deal's own competitor list.
    """

    def __init__(self, *, competitors: Sequence[str] = lexicon.KNOWN_COMPETITORS) -> None:
        self._competitors = tuple(competitors)

    @property
    def name(self) -> str:
        return "rules"

    def extract(self, request: ExtractionRequest) -> EngineOutput:
        started = time.perf_counter()
        found = _Reader(request, competitors=self._competitors).read()
        return EngineOutput(
            summary=found.summary,
            next_steps=tuple(found.steps.values()),
            field_updates=_updates(found, request.context),
            engine="rules",
            model="rules",
            prompt_version=lexicon.PROMPT_VERSION,
            usage=TokenUsage(),
            latency_s=time.perf_counter() - started,
        )


@dataclass
class _Result(_Pass):
    summary: str = ""


class _Reader:
    """One read of one call: the sentences in order, each offered to every detector."""

    def __init__(self, request: ExtractionRequest, *, competitors: Sequence[str]) -> None:
        self._request = request
        self._speakers = Speakers(request.context)
        self._sentences = sentences_of(request.transcript, self._speakers)
        self._participants = {
            self._speakers.first_name(s.speaker).lower(): self._speakers.is_customer(s.speaker)
            for s in request.transcript.segments
        }
        unique: dict[str, str] = {}
        for name in (*request.context.deal.competitors, *competitors):
            unique.setdefault(_vendor_key(name), name)
        self._names = tuple(unique.values())
        self._found = _Result()

    def read(self) -> _Result:
        for at, sentence in enumerate(self._sentences):
            self._read_fields(at)
            self._read_competitors(at)
            step = detect_next_step(
                sentence,
                self._speakers,
                meeting_date=self._request.meeting_date,
                participants=self._participants,
            )
            if step is not None:
                self._found.steps.setdefault((step.owner, step.action.lower()), step)
                self._found.score(at, 2)
            self._found.score(at, _mention_score(sentence, self._names))
        self._found.summary = summarize(self._sentences, self._found.scores)
        return self._found

    def _read_fields(self, at: int) -> None:
        sentence, sentences, found = self._sentences[at], self._sentences, self._found
        last_amount = found.last_value("deal.amount")
        last_date = found.last_value("deal.close_date")
        candidates = (
            detect_amount(
                sentence,
                sentences,
                at,
                last=last_amount if isinstance(last_amount, float) else None,
            ),
            detect_close_date(
                sentence,
                sentences,
                at,
                meeting_date=self._request.meeting_date,
                last=last_date if isinstance(last_date, str) else None,
            ),
            detect_stage(
                sentence, sentences, at, context=self._request.context, competitors=self._names
            ),
            detect_title(sentence, self._speakers),
        )
        for finding in candidates:
            if finding is None:
                continue
            key = (finding.field, finding.contact)
            earlier = found.findings.get(key)
            restated = earlier is not None and earlier.value == finding.value
            if not restated or finding.confidence > (earlier.confidence if earlier else 0.0):
                found.findings[key] = finding
            found.score(at, 3)

    def _read_competitors(self, at: int) -> None:
        sentence = self._sentences[at]
        mentioned = competitor_mentions(sentence, self._names)
        if not mentioned or admission(sentence, self._sentences, at) is None:
            return
        existing = list(self._request.context.deal.competitors)
        known = {_vendor_key(n) for n in existing + [n for _, a in self._found.added for n in a]}
        added = list(dict.fromkeys(n for n in mentioned if _vendor_key(n) not in known))
        if added:
            self._found.added.append((sentence, added))
            self._found.score(at, 3)


def _mention_score(sentence: Sentence, names: Sequence[str]) -> float:
    """How much a sentence speaks to the deal, for the extractive summary."""
    score = 0.0
    if scan_amounts(sentence.norm).values:
        score += 1
    if lexicon.CLOSE_CUES.search(sentence.norm) or lexicon.EVALUATION_CUES.search(sentence.norm):
        score += 0.5
    if any(n.lower() in sentence.norm for n in names):
        score += 0.5
    if sentence.customer:
        score += 0.25
    if sentence.flags & {"hedge", "question", "injection"}:
        score -= 1
    return score


def _updates(found: _Pass, context: CrmContext) -> tuple[RawFieldUpdate, ...]:
    updates = [
        RawFieldUpdate(
            field=f.field,
            value=f.value,
            evidence=f.sentence.evidence(),
            contact=f.contact,
            confidence=f.confidence,
        )
        for f in found.findings.values()
        if not _unchanged(f, context)
    ]
    if found.added:
        updates.append(_competitor_update(found.added, context))
    return tuple(sorted(updates, key=lambda u: (_FIELD_ORDER.index(u.field), u.contact or "")))


def _competitor_update(
    added: Sequence[tuple[Sentence, list[str]]], context: CrmContext
) -> RawFieldUpdate:
    """Existing competitors plus those one segment added, quoted in one verbatim span.

    One update carries one quote and every added name must appear in it, so when new names come
    from several segments, the segment that added the most (the latest on a tie) is proposed.
    """
    by_segment: dict[int, list[tuple[Sentence, list[str]]]] = {}
    for sentence, names in added:
        by_segment.setdefault(sentence.segment.index, []).append((sentence, names))
    best = max(
        by_segment.values(),
        key=lambda group: (sum(len(names) for _, names in group), group[0][0].segment.index),
    )
    new_names = [name for _, names in best for name in names]
    return RawFieldUpdate(
        field="deal.competitors",
        value=[*context.deal.competitors, *new_names],
        evidence=span_evidence([sentence for sentence, _ in best]),
        confidence=lexicon.CONFIDENCE["competitor"],
    )


def _unchanged(finding: Finding, context: CrmContext) -> bool:
    deal = context.deal
    if finding.field == "deal.amount":
        return (
            deal.amount is not None
            and isinstance(finding.value, float)
            and abs(finding.value - deal.amount) < 0.005
        )
    if finding.field == "deal.close_date":
        return deal.close_date is not None and deal.close_date.isoformat() == finding.value
    if finding.field == "deal.stage":
        return finding.value == deal.stage
    return False
