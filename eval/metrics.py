"""The metrics, as pure functions, each with its exact matching rule.

The same rules are written out in `eval/README.md`; a change here is a change to what every
report means, so keep both in step. A share whose denominator is zero is `None` (reported as
null, shown as "—"): nothing was there to be right or wrong about.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from rapidfuzz import fuzz

from agent.domain.fields import DEFAULT_POLICY, FieldKind, FieldPolicy
from agent.domain.models import FieldValueT, ObjectType, Transcript
from eval.dataset import UNSCORED_FIELDS, GoldUpdate, Step
from eval.embeddings import Embedder, Vector
from eval.predictions import PredictedUpdate

AMOUNT_TOLERANCE = 0.005
"""Amounts match within 0.5% of the gold amount (rounding, "about 120k" for 119,500)."""
TEXT_MIN_RATIO = 85.0
"""Free text (titles) matches at rapidfuzz `token_sort_ratio` ≥ 85 after `_text_key`."""
MIN_QUOTE_CHARS = 8
"""A quote shorter than this (after folding) supports nothing, as in the service's validator."""
STEP_MIN_COSINE = 0.6
"""Two next-step actions are the same step at cosine ≥ 0.6 (all-MiniLM-L6-v2)."""
KEY_POINT_MIN_COSINE = 0.5
"""A summary sentence covers a gold key point at cosine ≥ 0.5."""
FAITHFUL_MIN_COSINE = 0.5
"""A summary sentence is supported when some transcript passage reaches cosine ≥ 0.5."""

_QUOTE_EDGES = " \"'.…"
_FILLER = frozenset({"of", "the", "and", "a", "an", "for"})
_LEGAL = frozenset(
    {"inc", "llc", "ltd", "limited", "gmbh", "corp", "corporation", "co", "com", "io", "the"}
)
_TYPOGRAPHY = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u00a0": " ",
    }
)


def share(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@dataclass(frozen=True, kw_only=True)
class Counts:
    """True/false positives and false negatives, with the usual ratios."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(tp=self.tp + other.tp, fp=self.fp + other.fp, fn=self.fn + other.fn)

    @property
    def precision(self) -> float | None:
        return share(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        return share(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float | None:
        """2·TP / (2·TP + FP + FN): defined whenever anything was predicted or expected."""
        return share(2 * self.tp, 2 * self.tp + self.fp + self.fn)


@dataclass(frozen=True, kw_only=True)
class FieldMatch:
    """How one call's predicted updates line up with its gold updates."""

    hits: tuple[tuple[GoldUpdate, PredictedUpdate], ...] = ()
    wrong: tuple[tuple[GoldUpdate, PredictedUpdate], ...] = ()
    extra: tuple[PredictedUpdate, ...] = ()
    missed: tuple[GoldUpdate, ...] = ()
    unscored: tuple[PredictedUpdate, ...] = ()

    def counts(self, field: str | None = None) -> Counts:
        """All counts, or one field's; a wrong value is one FP and one FN."""

        def n(items: Sequence[GoldUpdate | PredictedUpdate]) -> int:
            return sum(1 for i in items if field is None or i.field == field)

        wrong = n([g for g, _ in self.wrong])
        return Counts(
            tp=n([g for g, _ in self.hits]),
            fp=wrong + n(self.extra),
            fn=wrong + n(self.missed),
        )

    @property
    def fields(self) -> set[str]:
        pairs = self.hits + self.wrong
        return {g.field for g, _ in pairs} | {u.field for u in self.extra + self.missed}


def _key(field: str, contact: str | None, policy: FieldPolicy) -> tuple[str, str | None]:
    spec = policy.spec(field)
    is_contact = spec is not None and spec.object_type is ObjectType.CONTACT
    if not is_contact:
        return field, None
    return field, (contact or "").strip().lower() or None


def match_field_updates(
    gold: Sequence[GoldUpdate],
    predicted: Sequence[PredictedUpdate],
    *,
    policy: FieldPolicy = DEFAULT_POLICY,
) -> FieldMatch:
    """Pair predictions with gold updates one to one.

    A prediction is a hit when its field and (for contact fields) its contact equal a gold
    update's and the value matches by `values_match`. A prediction for a gold field whose value
    does not match is `wrong`; any other prediction, including a second one for a field already
    paired, is `extra`. Predictions for `UNSCORED_FIELDS` are kept aside and not counted.
    """
    open_gold = {_key(g.field, g.contact, policy): g for g in gold}
    scored = [p for p in predicted if p.field not in UNSCORED_FIELDS]
    hits: list[tuple[GoldUpdate, PredictedUpdate]] = []
    rest: list[PredictedUpdate] = []
    for pred in scored:
        g = open_gold.get(_key(pred.field, pred.contact, policy))
        if g is not None and values_match(g.field, g.value, pred.value, policy=policy):
            hits.append((g, pred))
            del open_gold[_key(g.field, g.contact, policy)]
        else:
            rest.append(pred)
    wrong: list[tuple[GoldUpdate, PredictedUpdate]] = []
    extra: list[PredictedUpdate] = []
    for pred in rest:
        g = open_gold.pop(_key(pred.field, pred.contact, policy), None)
        if g is None:
            extra.append(pred)
        else:
            wrong.append((g, pred))
    return FieldMatch(
        hits=tuple(hits),
        wrong=tuple(wrong),
        extra=tuple(extra),
        missed=tuple(open_gold.values()),
        unscored=tuple(p for p in predicted if p.field in UNSCORED_FIELDS),
    )


def values_match(
    field: str, gold: FieldValueT, predicted: FieldValueT, *, policy: FieldPolicy = DEFAULT_POLICY
) -> bool:
    """The value rule by the field's kind; see the README's table."""
    spec = policy.spec(field)
    kind = spec.kind if spec is not None else FieldKind.PICKLIST
    if kind is FieldKind.AMOUNT:
        g, p = as_number(gold), as_number(predicted)
        return g is not None and p is not None and abs(p - g) <= AMOUNT_TOLERANCE * abs(g)
    if kind is FieldKind.DATE:
        g_date, p_date = as_date(gold), as_date(predicted)
        return g_date is not None and g_date == p_date
    if kind is FieldKind.NAME_LIST:
        return name_set(gold) == name_set(predicted)
    if kind is FieldKind.PHONE:
        return phones_match(str(gold or ""), str(predicted or ""))
    if kind is FieldKind.EMAIL:
        return str(gold or "").strip().casefold() == str(predicted or "").strip().casefold()
    if kind is FieldKind.TEXT:
        g_text, p_text = _text_key(str(gold or "")), _text_key(str(predicted or ""))
        return bool(g_text) and fuzz.token_sort_ratio(g_text, p_text) >= TEXT_MIN_RATIO
    return isinstance(predicted, str) and predicted.strip() == str(gold).strip()


def as_number(value: FieldValueT) -> float | None:
    """A number, or a plain numeric string once currency signs, commas and spaces are gone."""
    if isinstance(value, bool) or value is None or isinstance(value, list):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    cleaned = re.sub(r"[\s,$€£]", "", value)
    try:
        number = float(cleaned)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def as_date(value: FieldValueT) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def normalize_name(name: str) -> str:
    """`Gong.io`, `gong` and `Gong, Inc.` are one name: case, punctuation, legal suffixes go."""
    tokens = re.findall(r"[a-z0-9]+", name.casefold().replace("&", " and "))
    return "".join(t for t in tokens if t not in _LEGAL)


def name_set(value: FieldValueT) -> frozenset[str]:
    """A list of names, or one string of names split on commas, semicolons and ' and '."""
    if isinstance(value, list):
        parts = [str(v) for v in value]
    elif isinstance(value, str):
        parts = re.split(r"[,;]|\band\b", value)
    else:
        return frozenset()
    return frozenset(n for n in (normalize_name(p) for p in parts) if n)


def phones_match(gold: str, predicted: str) -> bool:
    """Digits only, leading zeros dropped; equal, or one a country-code extension of the other."""
    g, p = re.sub(r"\D", "", gold).lstrip("0"), re.sub(r"\D", "", predicted).lstrip("0")
    if not g or not p:
        return False
    short, long = sorted((g, p), key=len)
    return g == p or (len(short) >= 9 and long.endswith(short))


def _text_key(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.casefold().replace("&", " and "))
    return " ".join(w for w in words if w not in _FILLER)


def unchanged_violations(
    unchanged: Sequence[str], predicted: Sequence[PredictedUpdate]
) -> list[PredictedUpdate]:
    """Every predicted update, for any record, of a field the gold says must stay as it is."""
    protected = set(unchanged)
    return [p for p in predicted if p.field in protected]


def fold(text: str) -> str:
    """Case, runs of whitespace and typographic quotes/dashes do not count in quote matching."""
    return re.sub(r"\s+", " ", text.translate(_TYPOGRAPHY)).strip().casefold()


def quote_occurs(quote: str, transcript: Transcript) -> bool:
    """The folded quote, without surrounding quote marks and periods, is a substring of the
    folded spoken text (segments joined by a space)."""
    needle = fold(quote).strip(_QUOTE_EDGES)
    if len(needle) < MIN_QUOTE_CHARS:
        return False
    return needle in fold(" ".join(s.text for s in transcript.segments))


def evidence_flags(predicted: Sequence[PredictedUpdate], transcript: Transcript) -> list[bool]:
    """For every predicted update, scored or not, whether its quote occurs in the transcript;
    evidence validity is the share of True over a run."""
    return [quote_occurs(p.quote, transcript) for p in predicted]


def cosine(a: Vector, b: Vector) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))
    return dot / norm if norm else 0.0


def similarity(embedder: Embedder, left: Sequence[str], right: Sequence[str]) -> list[list[float]]:
    """Cosine of every left text with every right text, one embedding batch for all."""
    if not left or not right:
        return [[] for _ in left]
    vectors = embedder.embed([*left, *right])
    lv, rv = vectors[: len(left)], vectors[len(left) :]
    return [[cosine(a, b) for b in rv] for a in lv]


def greedy_pairs(sims: Sequence[Sequence[float]], threshold: float) -> list[tuple[int, int, float]]:
    """One-to-one pairs above the threshold, best cosine first (ties: lower indices first)."""
    candidates = sorted(
        ((s, i, j) for i, row in enumerate(sims) for j, s in enumerate(row) if s >= threshold),
        key=lambda c: (-c[0], c[1], c[2]),
    )
    used_left: set[int] = set()
    used_right: set[int] = set()
    pairs: list[tuple[int, int, float]] = []
    for s, i, j in candidates:
        if i not in used_left and j not in used_right:
            used_left.add(i)
            used_right.add(j)
            pairs.append((i, j, s))
    return sorted(pairs)


@dataclass(frozen=True, kw_only=True)
class StepPair:
    gold: Step
    predicted: Step
    cosine: float
    owner_ok: bool
    due_ok: bool


@dataclass(frozen=True, kw_only=True)
class StepMatch:
    pairs: tuple[StepPair, ...] = ()
    missed: tuple[Step, ...] = ()
    extra: tuple[Step, ...] = ()


def match_next_steps(
    gold: Sequence[Step],
    predicted: Sequence[Step],
    embedder: Embedder,
    *,
    sides: Mapping[str, str],
    threshold: float = STEP_MIN_COSINE,
) -> StepMatch:
    """Pair steps by the cosine of their actions (greedy, one to one, ≥ `threshold`)."""
    sims = similarity(embedder, [g.action for g in gold], [p.action for p in predicted])
    pairs = greedy_pairs(sims, threshold)
    return StepMatch(
        pairs=tuple(
            StepPair(
                gold=gold[i],
                predicted=predicted[j],
                cosine=s,
                owner_ok=owner_matches(gold[i].owner, predicted[j].owner, sides),
                due_ok=(gold[i].due or None) == ((predicted[j].due or "").strip() or None),
            )
            for i, j, s in pairs
        ),
        missed=tuple(g for i, g in enumerate(gold) if i not in {p[0] for p in pairs}),
        extra=tuple(p for j, p in enumerate(predicted) if j not in {p[1] for p in pairs}),
    )


def _first_name(owner: str) -> str:
    words = re.findall(r"[^\W\d_]+", owner.casefold())
    return words[0] if words else ""


def owner_matches(gold: str, predicted: str, sides: Mapping[str, str]) -> bool:
    """A role (`rep`/`customer`) matches the same role or a person on that side; a named owner
    matches only the same first name. `sides` maps first names (lower case) to their side."""
    g, p = _first_name(gold), _first_name(predicted)
    if g in ("rep", "customer"):
        return (p if p in ("rep", "customer") else sides.get(p)) == g
    return bool(g) and g == p


def split_sentences(text: str) -> list[str]:
    """Sentences of a summary: split at line breaks and at . ! ? before a capital or digit."""
    parts = re.split(r"\n+|(?<=[.!?])\s+(?=[\"'(A-Z0-9])", text)
    cleaned = (re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", p).strip() for p in parts)
    return [p for p in cleaned if len(p) >= 3]


def key_point_coverage(
    key_points: Sequence[str],
    summary: str,
    embedder: Embedder,
    *,
    threshold: float = KEY_POINT_MIN_COSINE,
) -> list[bool]:
    """For each gold key point, whether some summary sentence reaches the threshold."""
    sims = similarity(embedder, list(key_points), split_sentences(summary))
    return [any(s >= threshold for s in row) for row in sims]


def faithfulness(
    summary: str,
    transcript: Transcript,
    embedder: Embedder,
    *,
    threshold: float = FAITHFUL_MIN_COSINE,
) -> list[bool]:
    """For each summary sentence, whether a transcript passage (a whole segment or one of its
    sentences) reaches the threshold."""
    passages: list[str] = []
    for segment in transcript.segments:
        passages.append(segment.text)
        passages.extend(s for s in split_sentences(segment.text) if s != segment.text)
    sims = similarity(embedder, split_sentences(summary), list(dict.fromkeys(passages)))
    return [any(s >= threshold for s in row) for row in sims]
