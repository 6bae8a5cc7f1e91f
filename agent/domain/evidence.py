"""Evidence matching: an update stands only on a quote that really occurs where it says.

Quotes are compared after folding case, whitespace, typographic quotes and dashes, so that an
engine's harmless re-spacing passes while an invented sentence fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.domain.models import Evidence, Transcript

_FOLD = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}
)
_SPACE = re.compile(r"\s+")
_EDGE = " \t\n\"'.,;:…-"
MIN_QUOTE_CHARS = 8


def fold(text: str) -> str:
    """The form in which quotes are compared: lower-case, one space, plain quote marks."""
    return _SPACE.sub(" ", text.translate(_FOLD)).strip().lower()


def _core(quote: str) -> str:
    return fold(quote).replace("...", " ").replace("…", " ").strip(_EDGE)


@dataclass(frozen=True, kw_only=True)
class EvidenceCheck:
    ok: bool
    evidence: Evidence
    reason: str | None = None


def locate(evidence: Evidence, transcript: Transcript) -> EvidenceCheck:
    """Check the quote occurs in the cited segments (or, if none are cited, find them).

    The returned evidence carries the segment indices, speaker and start time of where the quote
    was found, so the rep can jump to the moment.
    """
    core = _core(evidence.quote)
    if len(core) < MIN_QUOTE_CHARS:
        return EvidenceCheck(
            ok=False, evidence=evidence, reason="evidence quote is missing or too short"
        )
    by_index = {s.index: s for s in transcript.segments}
    cited = [i for i in evidence.segment_indices if i in by_index]
    if evidence.segment_indices and not cited:
        return EvidenceCheck(ok=False, evidence=evidence, reason="cited segment does not exist")
    candidates = [by_index[i] for i in cited] if cited else list(transcript.segments)
    for segment in candidates:
        if core in fold(segment.text):
            found = Evidence(
                quote=evidence.quote.strip(),
                segment_indices=(segment.index,),
                speaker=segment.speaker,
                start=segment.start,
            )
            return EvidenceCheck(ok=True, evidence=found)
    if len(cited) > 1:
        joined = fold(" ".join(by_index[i].text for i in sorted(cited)))
        if core in joined:
            first = by_index[min(cited)]
            found = Evidence(
                quote=evidence.quote.strip(),
                segment_indices=tuple(sorted(cited)),
                speaker=first.speaker,
                start=first.start,
            )
            return EvidenceCheck(ok=True, evidence=found)
    where = "the cited segments" if cited else "the transcript"
    return EvidenceCheck(ok=False, evidence=evidence, reason=f"quote does not occur in {where}")


_AMOUNT = re.compile(
    r"[$€£]\s?\d|\d[\d,.]*\s?(k|m|mm|million|thousand|grand|usd|eur|gbp|dollars?|euros?|pounds?)\b"
    r"|\b\d{1,3}(,\d{3})+\b|\b\d{4,}\b|\b(thousand|million|hundred|grand)\b"
)
_DATE = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b"
    r"|\b(mon|tues|wednes|thurs|fri|satur|sun)day\b|\b(week|month|quarter|year)s?\b"
    r"|\bq[1-4]\b|\btomorrow\b|\btoday\b|\bend of\b|\b\d{1,4}[/.-]\d{1,2}([/.-]\d{1,4})?\b"
    r"|\b\d{1,2}(st|nd|rd|th)\b"
)


def speaks_to_field(kind: str, quote: str, value: object, before: object = None) -> bool:
    """Whether a quote can support this kind of value at all.

    A quote about seats is no evidence for a close date: small models quote exactly but
    irrelevantly, so each kind of value needs a trace of itself in the quote.
    """
    text = f" {fold(quote)} "
    if kind == "amount":
        return bool(_AMOUNT.search(text))
    if kind == "date":
        return bool(_DATE.search(text))
    if kind == "name_list":
        previous = {fold(str(v)) for v in before} if isinstance(before, list) else set()
        added = [fold(str(v)) for v in value] if isinstance(value, list) else [fold(str(value))]
        return all(name in text for name in added if name not in previous)
    if kind in ("email", "phone"):
        digits = re.sub(r"\D", "", str(value))
        return (
            fold(str(value)) in text if kind == "email" else digits[-7:] in re.sub(r"\D", "", text)
        )
    if kind == "text":
        words = [w for w in re.findall(r"[a-z0-9]+", fold(str(value))) if len(w) > 2]
        return not words or sum(w in text for w in words) * 2 >= len(words)
    return True
