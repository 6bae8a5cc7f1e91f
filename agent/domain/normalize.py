"""Deterministic resolvers that turn what was said into a canonical CRM value, or refuse.

Engines (a model or the rules) state values the way people speak them: "138k", "the 3rd of
February", "procurement". The validator runs every proposed value through `normalize_value`, so
the CRM only ever receives a number, an ISO date or a picklist's own spelling. When a value cannot
be resolved without guessing (a range, an ambiguous `03/04`, a stage this pipeline lacks, an amount
in another currency than the deal's) the resolver refuses: a refused change is shown to nobody, a
guessed one could be approved by mistake. Amounts live in `amounts`, dates (and their
conventions) in `dates`; this module adds stages and the dispatch by field kind.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime

from rapidfuzz import fuzz

from agent.domain.amounts import currency_compatible, currency_of, parse_amount
from agent.domain.dates import ordinals_to_digits, parse_date
from agent.domain.fields import FieldKind, FieldSpec
from agent.domain.models import FieldValueT

__all__ = ["match_stage", "normalize_value", "ordinals_to_digits", "parse_amount", "parse_date"]

# --- stages --------------------------------------------------------------------------------------

_STAGE_SYNONYMS: tuple[tuple[frozenset[str], tuple[str, ...]], ...] = (
    (frozenset({"procurement", "legal", "legal review", "redlines", "redline", "redlining",
                "contract review", "negotiating", "negotiations", "negotiate", "terms",
                "paperwork", "contracting", "contract", "contracts", "purchasing",
                "commercial negotiation", "vendor onboarding", "supplier onboarding"}),
     ("negotiat", "contract", "legal", "procure", "purchas")),
    (frozenset({"closed", "signed", "won", "closed won", "contract signed", "deal signed",
                "signed contract", "done deal", "booked", "countersigned", "executed"}),
     ("closed won", "won")),
    (frozenset({"lost", "closed lost", "dead", "no go", "no deal", "churned", "disqualified",
                "no decision", "went with a competitor"}), ("closed lost", "lost")),
    (frozenset({"quote", "pricing", "proposal sent", "quote sent", "proposal", "commercials"}),
     ("proposal", "quote")),
    (frozenset({"demo", "demonstration", "product demo"}), ("demo",)),
    (frozenset({"discovery", "qualification", "qualified", "qualify", "qualifying", "intro"}),
     ("discover", "qualif")),
    (frozenset({"evaluation", "technical evaluation", "trial", "pilot", "poc", "proof of concept",
                "technical validation", "security review", "technical review"}),
     ("evaluat", "trial", "pilot", "poc", "validat")),
    (frozenset({"business case", "business review", "exec review", "executive review",
                "budget approval", "approvals"}), ("business", "approval", "review")),
    (frozenset({"verbal", "verbal commit", "commit", "committed", "verbal yes"}),
     ("commit", "verbal")),
)  # fmt: skip
"""Spoken phrase → fragments of the pipeline's own stage names, tried in order."""
_STAGE_FILLER = frozenset({"the", "stage", "phase", "step", "to", "into", "in", "a", "our", "of"})
_FUZZY_MIN = 90


def _stage_key(text: str) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", text.lower()).split()
    return " ".join(w for w in words if w not in _STAGE_FILLER) or " ".join(words)


def match_stage(text: str, stages: Sequence[str]) -> str | None:
    """The pipeline's own stage that `text` names, or None: a miss is refused, never guessed.

    Tries, in order: the same words ignoring case, spacing and punctuation; a synonym whose stage
    fragment names exactly one stage ("procurement" → the stage containing "negotiat"); a near
    spelling (rapidfuzz ratio ≥ 90) of exactly one stage.
    """
    key = _stage_key(text)
    if not key or not stages:
        return None
    keyed = {_stage_key(stage): stage for stage in stages}
    squashed = {k.replace(" ", ""): v for k, v in keyed.items()}
    if key in keyed or key.replace(" ", "") in squashed:
        return keyed.get(key) or squashed[key.replace(" ", "")]
    for phrases, fragments in _STAGE_SYNONYMS:
        if key not in phrases:
            continue
        for fragment in fragments:
            hits = [stage for stage in stages if fragment in stage.lower()]
            if len(hits) == 1:
                return hits[0]
        return None
    scored = sorted(((fuzz.ratio(key, k), v) for k, v in keyed.items()), reverse=True)
    if scored and scored[0][0] >= _FUZZY_MIN and (len(scored) == 1 or scored[1][0] < _FUZZY_MIN):
        return scored[0][1]
    return None


# --- dispatch ------------------------------------------------------------------------------------

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_NAME_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b|\bplus\b)\s*", re.IGNORECASE)
_MIN_PHONE_DIGITS = 7
_KIND_NAMES = {
    FieldKind.AMOUNT: "an amount",
    FieldKind.DATE: "a date",
    FieldKind.PICKLIST: "a picklist value",
    FieldKind.EMAIL: "an email address",
    FieldKind.PHONE: "a phone number",
    FieldKind.TEXT: "text",
    FieldKind.NAME_LIST: "a list of names",
}


def normalize_value(
    spec: FieldSpec,
    value: FieldValueT,
    *,
    meeting_date: date,
    stages: Sequence[str],
    currency: str | None = None,
    day_first: bool | None = None,
) -> FieldValueT:
    """The canonical value for `spec`, or `ValueError` with a short reason a rep can read.

    `currency` is the deal's: an amount said in another one is refused, never converted.
    `day_first` is the locale's order for numeric dates (None refuses an ambiguous `03/04`).
    """
    if spec.kind is FieldKind.NAME_LIST:
        return _name_list(value)
    if isinstance(value, list) or value is None or isinstance(value, bool):
        raise ValueError(f"not {_KIND_NAMES[spec.kind]}: {value!r}")
    if spec.kind is FieldKind.AMOUNT:
        return _amount_value(value, currency)
    text = str(value)
    if spec.kind is FieldKind.DATE:
        return _date_value(text, meeting_date, day_first)
    if spec.kind is FieldKind.PICKLIST:
        stage = match_stage(text, stages)
        if stage is None:
            raise ValueError(f"{text!r} is not a stage of this pipeline")
        return stage
    if spec.kind is FieldKind.EMAIL:
        email = text.strip().lower().removeprefix("mailto:")
        if not _EMAIL.match(email):
            raise ValueError(f"not an email address: {text!r}")
        return email
    if spec.kind is FieldKind.PHONE:
        return _phone(text)
    collapsed = " ".join(text.split())
    if not collapsed:
        raise ValueError("empty text")
    return collapsed


def _amount_value(value: str | int | float, currency: str | None) -> float:
    amount = parse_amount(value)
    if amount is None:
        raise ValueError(f"not an amount: {value!r}")
    stated = currency_of(value) if isinstance(value, str) else None
    if currency is not None and not currency_compatible(stated, currency):
        raise ValueError(f"amount {value!r} is not in the deal's currency ({currency.upper()})")
    return amount


def _date_value(text: str, meeting_date: date, day_first: bool | None) -> str:
    try:
        return datetime.fromisoformat(text.strip()).date().isoformat()
    except ValueError:
        pass
    found = parse_date(text, meeting_date=meeting_date, day_first=day_first)
    if found is None:
        raise ValueError(f"not a date: {text!r}")
    return found.isoformat()


def _phone(text: str) -> str:
    stripped = text.strip()
    if re.search(r"[a-z]", stripped, re.IGNORECASE):
        raise ValueError(f"not a phone number: {text!r}")
    digits = re.sub(r"\D", "", stripped)
    if len(digits) < _MIN_PHONE_DIGITS:
        raise ValueError(f"not a phone number: {text!r}")
    return ("+" if stripped.startswith("+") else "") + digits


def _name_list(value: FieldValueT) -> list[str]:
    if isinstance(value, str):
        items = [value]
    elif isinstance(value, list):
        items = value
    else:
        raise ValueError(f"not a list of names: {value!r}")
    names: list[str] = []
    seen: set[str] = set()
    for item in items:
        for part in _NAME_SPLIT.split(item):
            name = " ".join(part.split()).strip(" .")
            if name and name.lower() not in seen:
                seen.add(name.lower())
                names.append(name)
    return names
