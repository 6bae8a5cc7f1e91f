"""Detectors for contact fields: a new title, phone number or email address.

A contact change must name its contact, so each detector resolves who it is about: the speaker
for "I've been promoted to COO" or "my mobile is …", a named colleague for "Mark is now our CFO".
A label that matches no contact, or several, yields nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from agent.domain.models import Contact
from agent.llm.rules import lexicon
from agent.llm.rules.fields import BLOCKING, Finding
from agent.llm.rules.text import Sentence, Speakers

_DETAIL_BLOCKING = frozenset({"hedge", "question", "past", "injection"})


def detect_title(
    sentence: Sentence, speakers: Speakers, *, stated: Mapping[str, str]
) -> Finding | None:
    """A new title for the speaker or a named colleague; `stated` holds titles said earlier.

    A correction ("Sorry, to be precise: Senior Director of Procurement") replaces a title the
    same contact stated earlier in the call. "I was promoted to …" is news, not a past value.
    """
    if not sentence.customer or (sentence.flags & BLOCKING) - {"past"}:
        return None
    speaker = speakers.contact(sentence.segment.speaker)
    if speaker is not None:
        title = _own_title(sentence)
        if title is None and sentence.is_correction:
            title = _corrected_title(sentence, stated.get(speaker.email.lower()))
        if title is not None:
            return _title_finding(sentence, speaker, title)
    return _colleague_title(sentence, speakers)


def _own_title(sentence: Sentence) -> str | None:
    for pattern in (*lexicon.TITLE_CUES, lexicon.TITLE_NOW):
        match = pattern.search(sentence.norm)
        if match is not None:
            title = _title_from(sentence, match.end())
            if title is not None:
                return title
    return None


def _colleague_title(sentence: Sentence, speakers: Speakers) -> Finding | None:
    match = lexicon.THIRD_PERSON_TITLE.search(sentence.norm)
    if match is None:
        return None
    words = match["who"].split()
    candidates = [" ".join(words), words[-1], words[0]]
    colleague = next((c for n in candidates if (c := speakers.contact(n)) is not None), None)
    title = _title_from(sentence, match.end())
    if colleague is None or title is None:
        return None
    return _title_finding(sentence, colleague, title)


def _corrected_title(sentence: Sentence, earlier: str | None) -> str | None:
    if earlier is None:
        return None
    source = sentence.text if len(sentence.text) == len(sentence.norm) else sentence.norm
    for separator in (":", ","):
        if separator in source:
            return _title_from(sentence, source.rindex(separator) + 1)
    return None


def _title_finding(sentence: Sentence, contact: Contact, title: str) -> Finding | None:
    if title.lower() == (contact.title or "").strip().lower():
        return None
    return Finding(
        field="contact.title",
        value=title,
        sentence=sentence,
        confidence=lexicon.CONFIDENCE["title"],
        contact=contact.email.lower(),
    )


def _title_from(sentence: Sentence, at: int) -> str | None:
    source = sentence.text if len(sentence.text) == len(sentence.norm) else sentence.norm
    rest = source[at:].lstrip()
    rest = re.sub(r"^(?:the|our|a|an)\s+", "", rest, flags=re.IGNORECASE)
    end = lexicon.TITLE_END.search(rest)
    title = " ".join(rest[: end.start() if end else len(rest)].split())
    words = title.split()
    if not words or len(words) > lexicon.MAX_TITLE_WORDS:
        return None
    if not lexicon.TITLE_WORDS.search(title.lower()):
        return None
    if title == title.lower():
        title = " ".join(_title_case(w, first=i == 0) for i, w in enumerate(words))
    return title


def _title_case(word: str, *, first: bool) -> str:
    if word in lexicon.TITLE_SPELLING:
        return lexicon.TITLE_SPELLING[word]
    if word in lexicon.TITLE_LOWER and not first:
        return word
    return word[:1].upper() + word[1:]


def detect_phone(sentence: Sentence, speakers: Speakers) -> Finding | None:
    """The speaker's own new number; a missing country code is taken from the CRM's number."""
    contact = _detail_owner(sentence, speakers, lexicon.PHONE_CUES)
    if contact is None:
        return None
    numbers = {
        re.sub(r"\D", "", m.group()): m.group().strip().startswith("+")
        for m in lexicon.PHONE_SPAN.finditer(sentence.text)
        if 7 <= len(re.sub(r"\D", "", m.group())) <= 15
    }
    if len(numbers) != 1:
        return None
    digits, plus = next(iter(numbers.items()))
    current = re.sub(r"\D", "", contact.phone or "")
    if current.endswith(digits) and current:
        return None
    prefix = current[: len(current) - len(digits)]
    if not plus and (contact.phone or "").strip().startswith("+") and 0 < len(prefix) <= 3:
        digits, plus = prefix + digits, True
    return _detail(sentence, contact, "contact.phone", ("+" if plus else "") + digits)


def detect_email(sentence: Sentence, speakers: Speakers) -> Finding | None:
    """The speaker's own new email address."""
    contact = _detail_owner(sentence, speakers, lexicon.EMAIL_CUES)
    if contact is None:
        return None
    addresses = {m.group().rstrip(".").lower() for m in lexicon.EMAIL_SPAN.finditer(sentence.text)}
    if len(addresses) != 1:
        return None
    address = addresses.pop()
    if address == contact.email.lower():
        return None
    return _detail(sentence, contact, "contact.email", address)


def _detail_owner(sentence: Sentence, speakers: Speakers, cues: re.Pattern[str]) -> Contact | None:
    if sentence.flags & _DETAIL_BLOCKING or not sentence.customer:
        return None
    if not (cues.search(sentence.norm) and lexicon.FIRST_PERSON.search(sentence.norm)):
        return None
    return speakers.contact(sentence.segment.speaker)


def _detail(sentence: Sentence, contact: Contact, field: str, value: str) -> Finding:
    return Finding(
        field=field,
        value=value,
        sentence=sentence,
        confidence=lexicon.CONFIDENCE["contact_detail"],
        contact=contact.email.lower(),
    )
