"""Personal data stays home: what an external model is sent is redacted, and what it answers is
mapped back before the validator and the rep see it.

`ENGAGE_LLM_REDACT` lists the kinds taken out (`emails`, `phones`, `numbers` as in
`agent.domain.redact`, plus `names` for the names of the deal's contacts and of the call's
speakers; `none` sends text as it is). Each distinct item becomes a numbered placeholder,
`[EMAIL_1]`, `[PHONE_2]`, `[PERSON_1]`, the same one wherever it recurs, so a model can still
say which contact changed title or that the phone number it heard is new. Placeholders in the
answer are replaced by the originals before validation: a quote must still occur in the real
transcript, and a rep approves the real value. A placeholder the model invented stays as it is
and fails the validator's evidence check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from agent.domain.models import Contact, CrmContext, Deal, Transcript
from agent.domain.ports import ExtractionRequest
from agent.domain.redact import KINDS, parse_kinds, replace_personal
from agent.errors import ConfigError

NAMES = "names"
_PLACEHOLDER = re.compile(r"\[(?:EMAIL|PHONE|CARD|ACCOUNT|NATIONAL_ID|PERSON)_\d+\]")


@dataclass(frozen=True, kw_only=True)
class Redaction:
    """What to take out of a request to an external model."""

    kinds: frozenset[str]
    names: bool = False

    @property
    def active(self) -> bool:
        return bool(self.kinds) or self.names


def parse_redaction(text: str) -> Redaction:
    """`emails,phones,numbers,names` or `none`; anything else is a configuration error."""
    parts = {part.strip().lower() for part in text.split(",") if part.strip()}
    if parts <= {"none"}:
        return Redaction(kinds=frozenset())
    try:
        kinds = parse_kinds(",".join(parts - {NAMES}))
    except ValueError as exc:
        raise ConfigError(
            f"bad setting ENGAGE_LLM_REDACT: {exc}, {NAMES} or none; known: {', '.join(KINDS)}"
        ) from None
    return Redaction(kinds=kinds, names=NAMES in parts)


class Placeholders:
    """One request's reversible mapping between personal items and placeholders."""

    def __init__(self, redaction: Redaction, names: tuple[str, ...] = ()) -> None:
        self._redaction = redaction
        self._by_original: dict[str, str] = {}
        self._by_placeholder: dict[str, str] = {}
        self._counts: dict[str, int] = {}
        ordered = sorted({n for n in names if len(n) >= 3}, key=len, reverse=True)
        self._names = (
            re.compile(r"\b(?:" + "|".join(re.escape(n) for n in ordered) + r")\b", re.IGNORECASE)
            if ordered and redaction.names
            else None
        )

    def _placeholder(self, found: str, mark: str) -> str:
        key = found.casefold()
        if key not in self._by_original:
            label = mark.strip("[]").upper().replace("-", "_")
            self._counts[label] = self._counts.get(label, 0) + 1
            token = f"[{label}_{self._counts[label]}]"
            self._by_original[key] = token
            self._by_placeholder[token] = found
        return self._by_original[key]

    def hide(self, text: str) -> str:
        text = replace_personal(text, self._redaction.kinds, self._placeholder)
        if self._names is not None:
            text = self._names.sub(lambda m: self._placeholder(m.group(0), "[person]"), text)
        return text

    def reveal(self, text: str) -> str:
        return _PLACEHOLDER.sub(lambda m: self._by_placeholder.get(m.group(0), m.group(0)), text)

    def reveal_all(self, value: Any) -> Any:
        """Every string in a JSON-like value, mapped back."""
        if isinstance(value, str):
            return self.reveal(value)
        if isinstance(value, list):
            return [self.reveal_all(v) for v in value]
        if isinstance(value, dict):
            return {k: self.reveal_all(v) for k, v in value.items()}
        return value

    @property
    def count(self) -> int:
        return len(self._by_placeholder)


def _people(request: ExtractionRequest) -> tuple[str, ...]:
    """Contacts' full and first names, and the person part of each speaker label."""
    names: list[str] = []
    for contact in request.context.contacts:
        names += [contact.name, *contact.name.split()[:1]]
    for segment in request.transcript.segments:
        person = segment.speaker.split("(", 1)[0].strip()
        if person.casefold() not in {"unknown", "speaker", ""} and not person[-1:].isdigit():
            names += [person, *person.split()[:1]]
    return tuple(names)


def redact_request(
    request: ExtractionRequest, redaction: Redaction
) -> tuple[ExtractionRequest, Placeholders]:
    """The request as the model may see it, and the mapping to read its answer back."""
    marks = Placeholders(redaction, _people(request))
    segments = tuple(
        replace(s, speaker=marks.hide(s.speaker), text=marks.hide(s.text))
        for s in request.transcript.segments
    )
    context = _context(request.context, marks)
    hidden = replace(
        request,
        transcript=Transcript(segments=segments, source_format=request.transcript.source_format),
        context=context,
        attendees=tuple(marks.hide(a) for a in request.attendees),
    )
    return hidden, marks


def _context(context: CrmContext, marks: Placeholders) -> CrmContext:
    def person(contact: Contact) -> Contact:
        return replace(
            contact,
            name=marks.hide(contact.name),
            email=marks.hide(contact.email),
            phone=marks.hide(contact.phone) if contact.phone else None,
            title=marks.hide(contact.title) if contact.title else None,
        )

    deal: Deal = replace(
        context.deal,
        next_step=marks.hide(context.deal.next_step) if context.deal.next_step else None,
    )
    return replace(context, deal=deal, contacts=tuple(person(c) for c in context.contacts))
