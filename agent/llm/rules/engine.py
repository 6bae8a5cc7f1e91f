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
from datetime import date

from agent.domain.chunking import merge_steps
from agent.domain.models import CrmContext, EngineOutput, NextStep, RawFieldUpdate, TokenUsage
from agent.domain.ports import ExtractionRequest
from agent.domain.roles import resolve_roles
from agent.llm.rules import lexicon
from agent.llm.rules.competitors import Change, proposal, read_change, vendor_key
from agent.llm.rules.contacts import detect_email, detect_phone, detect_title
from agent.llm.rules.fields import (
    Cues,
    Finding,
    detect_amount,
    detect_close_date,
    detect_stage,
    scan_amounts,
    scan_dates,
)
from agent.llm.rules.steps import commits, detect_next_steps, summarize
from agent.llm.rules.text import Sentence, Speakers, sentences_of

_FIELD_ORDER = (
    "deal.stage",
    "deal.amount",
    "deal.close_date",
    "deal.competitors",
    "contact.title",
    "contact.phone",
    "contact.email",
)
_LOOK_BACK = 4
"""Sentences before a promise in which "send it" looks for what "it" is."""
_QUESTION_REACH = 2
"""How many turns after a question its cue carries: "And timing?" … "No." … "Say January 15th."""


@dataclass
class _Found:
    """What one read of the transcript has found so far; later sentences overwrite earlier ones."""

    findings: dict[tuple[str, str | None], Finding] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    steps: list[NextStep] = field(default_factory=list)
    scores: dict[int, float] = field(default_factory=dict)
    summary: str = ""

    def last_value(self, name: str) -> object:
        found = self.findings.get((name, None))
        return found.value if found is not None else None

    def score(self, at: int, points: float) -> None:
        self.scores[at] = self.scores.get(at, 0.0) + points

    def keep(self, finding: Finding) -> None:
        """The later statement wins; the same value restated keeps its most confident quote."""
        key = (finding.field, finding.contact)
        earlier = self.findings.get(key)
        restated = earlier is not None and earlier.value == finding.value
        if not restated or finding.confidence > (earlier.confidence if earlier else 0.0):
            self.findings[key] = finding


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
            next_steps=merge_steps(found.steps),
            field_updates=_updates(found, request.context),
            engine="rules",
            model="rules",
            prompt_version=lexicon.PROMPT_VERSION,
            usage=TokenUsage(),
            latency_s=time.perf_counter() - started,
        )


class _Reader:
    """One read of one call: the sentences in order, each offered to every detector."""

    def __init__(self, request: ExtractionRequest, *, competitors: Sequence[str]) -> None:
        self._request = request
        roles = resolve_roles(
            labels=[s.speaker for s in request.transcript.segments],
            context=request.context,
            attendees=request.attendees,
            internal_domains=request.internal_domains,
        )
        self._speakers = Speakers(request.context, roles)
        self._sentences = sentences_of(request.transcript, self._speakers)
        self._participants = {
            self._speakers.first_name(s.speaker).lower(): self._speakers.is_customer(s.speaker)
            for s in request.transcript.segments
        }
        unique: dict[str, str] = {}
        for name in (*request.context.deal.competitors, *competitors):
            unique.setdefault(vendor_key(name), name)
        self._names = tuple(unique.values())
        self._listed = list(request.context.deal.competitors)
        self._cues = [self._own_cues(s) for s in self._sentences]
        self._found = _Found()
        self._month: date | None = None
        """The month of the last calendar date said, for a bare "the 14th" later on."""

    def _follow_month(self, sentence: Sentence) -> None:
        dated = [d for d in scan_dates(sentence.norm, self._request.meeting_date) if d.absolute]
        if dated:
            self._month = dated[-1].when.replace(day=1)

    def read(self) -> _Found:
        for at, sentence in enumerate(self._sentences):
            self._read_deal(at)
            self._read_contact(at)
            self._read_competitors(at)
            steps = detect_next_steps(
                sentence,
                self._speakers,
                meeting_date=self._request.meeting_date,
                participants=self._participants,
                day_anchor=self._month,
                previous=self._sentences[max(0, at - _LOOK_BACK) : at],
            )
            self._found.steps.extend(steps)
            self._found.score(at, 1 if steps else 0)
            self._found.score(at, _mention_score(sentence, self._names))
            self._follow_month(sentence)
        self._found.summary = summarize(self._sentences, self._found.scores)
        return self._found

    def _own_cues(self, sentence: Sentence) -> Cues:
        norm = sentence.norm
        amount = bool(lexicon.AMOUNT_CUES_STRONG.search(norm) or lexicon.AMOUNT_CUES.search(norm))
        return Cues(amount=amount, close=bool(lexicon.CLOSE_CUES.search(norm)))

    def _carried(self, at: int) -> Cues:
        """Cues from the sentence before (when it named no value) or a recent question.

        A promise ("I'll send the list this week") inherits nothing: its date is a due date.
        """
        sentence, amount, close, correction = self._sentences[at], False, False, False
        if commits(sentence.norm):
            return Cues()
        if at and self._sentences[at - 1].segment is sentence.segment:
            before, cues = self._sentences[at - 1], self._cues[at - 1]
            valued = bool(scan_amounts(before.norm).values)
            dated = bool(scan_dates(before.norm, self._request.meeting_date))
            amount = (cues.amount or before.is_correction) and not valued
            close = cues.close and not dated
            correction = before.is_correction and not (valued or dated)
        amount = amount or self._pointed_back(at)
        for back in range(at - 1, -1, -1):
            earlier = self._sentences[back]
            if sentence.segment.index - earlier.segment.index > _QUESTION_REACH:
                break
            asked = "question" in earlier.flags and earlier.segment is not sentence.segment
            if asked and earlier.segment.speaker != sentence.segment.speaker:
                amount = amount or self._cues[back].amount
                close = close or self._cues[back].close
        return Cues(amount=amount, close=close, correction=correction)

    def _pointed_back(self, at: int) -> bool:
        """The next sentence of the turn calls this one's amount the number, with a cue."""
        following = at + 1
        if following >= len(self._sentences):
            return False
        after = self._sentences[following]
        return (
            after.segment is self._sentences[at].segment
            and self._cues[following].amount
            and lexicon.AMOUNT_ANAPHORA.search(after.norm) is not None
            and not scan_amounts(after.norm).values
        )

    def _read_deal(self, at: int) -> None:
        sentence, sentences, found = self._sentences[at], self._sentences, self._found
        deal, carried = self._request.context.deal, self._carried(at)
        last_amount, last_date = (
            found.last_value("deal.amount"),
            found.last_value("deal.close_date"),
        )
        candidates = (
            detect_amount(
                sentence,
                sentences,
                at,
                last=last_amount if isinstance(last_amount, float) else None,
                reference=deal.amount,
                carried=carried.amount,
                corrected=carried.correction,
            ),
            detect_close_date(
                sentence,
                sentences,
                at,
                meeting_date=self._request.meeting_date,
                last=last_date if isinstance(last_date, str) else None,
                current=deal.close_date,
                carried=carried,
                month=self._month,
            ),
            detect_stage(
                sentence, sentences, at, context=self._request.context, competitors=self._names
            ),
        )
        self._keep(at, candidates)

    def _read_contact(self, at: int) -> None:
        sentence = self._sentences[at]
        stated = {
            email: str(f.value)
            for (name, email), f in self._found.findings.items()
            if name == "contact.title" and email is not None
        }
        self._keep(
            at,
            (
                detect_title(sentence, self._speakers, stated=stated),
                detect_phone(sentence, self._speakers),
                detect_email(sentence, self._speakers),
            ),
        )

    def _keep(self, at: int, candidates: Sequence[Finding | None]) -> None:
        for finding in candidates:
            if finding is not None:
                self._found.keep(finding)
                self._found.score(at, 3)

    def _read_competitors(self, at: int) -> None:
        change = read_change(
            self._sentences[at], self._sentences, at, names=self._names, current=self._listed
        )
        if change is None:
            return
        removed = {vendor_key(n) for n in change.removed}
        self._listed = [n for n in self._listed if vendor_key(n) not in removed]
        self._listed += list(change.added)
        self._found.changes.append(change)
        self._found.score(at, 3)


def _mention_score(sentence: Sentence, names: Sequence[str]) -> float:
    """How much a sentence tells about the deal, for the extractive summary.

    Next steps are listed on their own, so the summary favours what the customer said about
    their situation: long, specific, unhedged customer sentences with figures, dates or vendors.
    """
    words = len(sentence.text.split())
    score = 0.75 if sentence.customer else 0.0
    score += 0.5 if words >= 8 else -1.0 if words < 5 else 0.0
    if scan_amounts(sentence.norm).values or re.search(r"\d", sentence.norm):
        score += 0.5
    if lexicon.CLOSE_CUES.search(sentence.norm) or lexicon.EVALUATION_CUES.search(sentence.norm):
        score += 0.5
    if any(n.lower() in sentence.norm for n in names):
        score += 0.5
    if sentence.flags & {"question", "injection"}:
        score -= 1.5
    return score


def _updates(found: _Found, context: CrmContext) -> tuple[RawFieldUpdate, ...]:
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
    if found.changes:
        names, evidence = proposal(found.changes, context.deal.competitors)
        if [vendor_key(n) for n in names] != [vendor_key(n) for n in context.deal.competitors]:
            updates.append(
                RawFieldUpdate(
                    field="deal.competitors",
                    value=names,
                    evidence=evidence,
                    confidence=lexicon.CONFIDENCE["competitor"],
                )
            )
    return tuple(sorted(updates, key=lambda u: (_FIELD_ORDER.index(u.field), u.contact or "")))


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
