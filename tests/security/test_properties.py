"""Hypothesis properties of the parts every later step trusts: the transcript parsers, the
identity normalizer, the evidence matcher and the audit chain."""

from __future__ import annotations

import json
import math
import os
from typing import Any

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from agent.domain.audit import AUDIT_KEYS, _canonical, next_link, verify_chain
from agent.domain.evidence import MIN_QUOTE_CHARS, _core, fold, locate
from agent.domain.identity import normalize_domain, normalize_email
from agent.domain.models import Evidence, Segment, Transcript
from agent.domain.transcripts import parse_transcript, to_vtt
from agent.errors import TranscriptFormatError

SCALE = int(os.environ.get("ENGAGE_PROPERTY_EXAMPLES", "200"))
"""Examples per property (the input-robustness ones get 2.5x); raise it for a deeper search."""
EXAMPLES = settings(max_examples=SCALE, deadline=None)
ROBUST = settings(max_examples=SCALE * 5 // 2, deadline=None)

# -- transcripts ---------------------------------------------------------------------------------

names = st.from_regex(r"[A-ZÉØ][a-zéüñ']{1,8}( [A-Z][a-z-]{1,10})?", fullmatch=True)
words = st.from_regex(r"[A-Za-z0-9$,.'?!%&<>\"éß€’–-]{1,12}", fullmatch=True)
texts = st.lists(words, min_size=1, max_size=12).map(" ".join)


@st.composite
def transcripts(draw: st.DrawFn) -> Transcript:
    """Turns that alternate speakers (adjacent turns of one speaker merge in VTT), in time order."""
    people = draw(st.lists(names, min_size=2, max_size=4, unique=True))
    count = draw(st.integers(min_value=1, max_value=8))
    start, segments = 0.0, []
    for index in range(count):
        start += draw(st.integers(min_value=0, max_value=90_000)) / 1000
        length = draw(st.integers(min_value=1, max_value=30_000)) / 1000
        speaker = people[index % len(people)]
        text = draw(texts)
        segments.append(
            Segment(
                index=index,
                speaker=speaker,
                text=text,
                start=round(start, 3),
                end=round(start + length, 3),
            )
        )
    return Transcript(segments=tuple(segments))


def said(transcript: Transcript) -> list[tuple[str, str]]:
    return [(s.speaker, " ".join(s.text.split())) for s in transcript.segments]


@EXAMPLES
@given(transcripts())
def test_vtt_written_by_engage_reads_back_the_same_turns(transcript: Transcript) -> None:
    back = parse_transcript(to_vtt(transcript))
    assert back.source_format == "vtt"
    assert said(back) == said(transcript)
    assert [s.index for s in back.segments] == list(range(len(back.segments)))
    for mine, read in zip(transcript.segments, back.segments, strict=True):
        assert math.isclose(read.start, mine.start, abs_tol=0.001)


@EXAMPLES
@given(transcripts())
def test_json_and_plain_segments_read_back_the_same_turns(transcript: Transcript) -> None:
    rows = [{"speaker": s.speaker, "text": s.text, "start": s.start} for s in transcript.segments]
    assert said(parse_transcript(json.dumps(rows))) == said(transcript)
    plain = "\n".join(f"{s.speaker}: {s.text}" for s in transcript.segments)
    assert said(parse_transcript(plain, fmt="plain")) == said(transcript)


@ROBUST
@given(
    st.one_of(st.text(max_size=400), st.binary(max_size=400)),
    st.sampled_from([None, "vtt", "json", "plain"]),
)
@example("WEBVTT\n\n00:00.000 --> 00:01.000\n<v>\n", "vtt")
@example('[{"speaker": "A", "text": "x", "start": NaN}]', "json")
@example('{"segments": [{"speaker": " ", "text": "x"}]}', None)
def test_any_input_parses_or_fails_with_a_format_error(raw: str | bytes, fmt: str | None) -> None:
    try:
        transcript = parse_transcript(raw, fmt=fmt)
    except TranscriptFormatError as exc:
        transcript, reason = None, str(exc)
    if transcript is None:
        assert reason
        return
    assert transcript.segments
    for position, segment in enumerate(transcript.segments):
        assert segment.index == position
        assert segment.speaker.strip()
        assert segment.start >= 0
        assert not math.isnan(segment.start)


# -- identity ------------------------------------------------------------------------------------

locals_ = st.from_regex(r"[a-z0-9._-]{1,16}", fullmatch=True)
label = r"[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?"
domains = st.from_regex(rf"{label}(\.{label}){{1,2}}", fullmatch=True)
aliases = st.text(st.characters(blacklist_categories=["Cc", "Cs", "Zs", "Zl", "Zp"]), max_size=8)


@EXAMPLES
@given(locals_, aliases, domains, st.booleans(), st.booleans())
def test_every_spelling_of_an_address_normalizes_to_one_key(
    local: str, alias: str, domain: str, upper: bool, padded: bool
) -> None:
    canonical = normalize_email(f"{local}@{domain}")
    spelled = f"{local}+{alias}@{domain}" if "@" not in alias else f"{local}@{domain}"
    spelled = spelled.upper() if upper else spelled
    spelled = f"  {spelled}\t" if padded else spelled
    assert normalize_email(spelled) == canonical == f"{local}@{domain}"


@ROBUST
@given(st.text(max_size=60))
def test_normal_forms_are_fixed_points_and_only_value_errors_escape(value: str) -> None:
    for normalize in (normalize_email, normalize_domain):
        try:
            once = normalize(value)
        except ValueError:
            continue
        assert normalize(once) == once
        assert once == once.strip().lower()
    try:
        email = normalize_email(value)
    except ValueError:
        return
    local, _, _ = email.partition("@")
    assert "+" not in local


@EXAMPLES
@given(
    domains,
    st.sampled_from(["", "www.", "https://", "https://www.", "http://WWW."]),
    st.text("/abc?=", max_size=10),
)
def test_a_website_and_its_domain_normalize_alike(domain: str, prefix: str, path: str) -> None:
    assume(not domain.startswith("www."))
    suffix = "/" + path if prefix.startswith("http") else ""
    assert normalize_domain(f"{prefix}{domain}{suffix}") == normalize_domain(domain)


# -- evidence ------------------------------------------------------------------------------------

letters = st.from_regex(r"[A-Za-z0-9 ,.'-]{20,120}", fullmatch=True)


@st.composite
def quoted(draw: st.DrawFn) -> tuple[Transcript, int, str]:
    """A transcript and a piece of one of its segments, re-spaced and re-cased."""
    bodies = draw(st.lists(letters, min_size=1, max_size=5))
    segments = tuple(
        Segment(index=i, speaker=f"S{i}", text=b, start=float(i)) for i, b in enumerate(bodies)
    )
    which = draw(st.integers(min_value=0, max_value=len(segments) - 1))
    text = segments[which].text
    begin = draw(st.integers(min_value=0, max_value=len(text) - 1))
    end = draw(st.integers(min_value=begin + 1, max_value=len(text)))
    piece = text[begin:end]
    assume(len(_core(piece)) >= MIN_QUOTE_CHARS)
    typographic = piece.replace("'", "\u2019").replace("-", "\u2013")
    respaced = "  " + piece.replace(" ", "   ") + " "
    mangled = draw(st.sampled_from([piece, piece.upper(), respaced, typographic]))
    return Transcript(segments=segments), which, mangled


@EXAMPLES
@given(quoted(), st.booleans())
def test_a_real_quote_is_found_where_it_was_said(
    case: tuple[Transcript, int, str], cite: bool
) -> None:
    transcript, which, quote = case
    cited = (which,) if cite else ()
    check = locate(Evidence(quote=quote, segment_indices=cited), transcript)
    assert check.ok, check.reason
    found = check.evidence.segment_indices[0]
    assert _core(quote) in fold(transcript.segments[found].text)
    assert check.evidence.speaker == transcript.segments[found].speaker


@EXAMPLES
@given(quoted(), st.text(min_size=1, max_size=10))
def test_an_invented_or_misplaced_quote_fails(
    case: tuple[Transcript, int, str], extra: str
) -> None:
    transcript, _, quote = case
    invented = quote + " \u2603 " + extra
    assert not locate(Evidence(quote=invented), transcript).ok
    missing = len(transcript.segments) + 3
    assert not locate(Evidence(quote=quote, segment_indices=(missing,)), transcript).ok
    elsewhere = [s.index for s in transcript.segments if _core(quote) not in fold(s.text)]
    if elsewhere:
        assert not locate(Evidence(quote=quote, segment_indices=(elsewhere[0],)), transcript).ok


@ROBUST
@given(
    st.text(max_size=80),
    st.lists(st.integers(-3, 8), max_size=3),
    st.lists(st.text(max_size=60), min_size=1, max_size=4),
)
def test_the_matcher_never_raises(quote: str, cited: list[int], bodies: list[str]) -> None:
    transcript = Transcript(
        segments=tuple(Segment(index=i, speaker="A", text=b) for i, b in enumerate(bodies))
    )
    check = locate(Evidence(quote=quote, segment_indices=tuple(cited)), transcript)
    assert check.ok or check.reason


# -- audit chain ---------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**9, 10**9), st.text(max_size=20),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)  # fmt: skip
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
contents = st.fixed_dictionaries({key: values for key in AUDIT_KEYS})


def chain(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows, last = [], None
    for content in items:
        last = next_link(last=last, content=content)
        rows.append({**content, "seq": last.seq, "prev_hash": last.prev_hash, "hash": last.hash})
    return rows


@EXAMPLES
@given(st.lists(contents, min_size=1, max_size=6), st.data())
def test_the_chain_verifies_and_any_edit_deletion_or_swap_is_caught(
    items: list[dict[str, Any]], data: st.DataObject
) -> None:
    rows = chain(items)
    assert verify_chain(rows).ok
    assert verify_chain(rows).checked == len(rows)
    at = data.draw(st.integers(0, len(rows) - 1))
    key = data.draw(st.sampled_from(AUDIT_KEYS))
    new = data.draw(values)
    assume(
        json.dumps(_canonical(new), sort_keys=True)
        != json.dumps(_canonical(rows[at][key]), sort_keys=True)
    )
    edited = [dict(r) for r in rows]
    edited[at][key] = new
    verdict = verify_chain(edited)
    assert (verdict.ok, verdict.bad_seq) == (False, at + 1)
    if len(rows) > 1 and at < len(rows) - 1:
        assert verify_chain(rows[:at] + rows[at + 1 :]).bad_seq == at + 2
        swapped = list(rows)
        swapped[at], swapped[at + 1] = swapped[at + 1], swapped[at]
        assert not verify_chain(swapped).ok


@EXAMPLES
@given(contents, st.integers(-(10**6), 10**6))
def test_a_whole_float_and_its_integer_hash_alike(content: dict[str, Any], amount: int) -> None:
    as_float = chain([{**content, "after": float(amount)}])
    as_int = chain([{**content, "after": amount}])
    assert as_float[0]["hash"] == as_int[0]["hash"]


@pytest.mark.parametrize("count", [0, 1])
def test_an_empty_or_single_chain(count: int) -> None:
    rows = chain([dict.fromkeys(AUDIT_KEYS, "x")] * count)
    assert verify_chain(rows).ok
