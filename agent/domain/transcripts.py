"""Turn the transcript files meeting tools produce into one `Transcript` shape.

Zoom and Teams hand over WebVTT, the eval dataset and APIs hand over JSON segments, and reps paste
plain `Name: text` lines. Every later step (evidence quotes, segment indices) rests on this one
parse, so bad input fails here loudly, with the line or cue that is wrong, instead of producing a
transcript that quietly lost turns.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from agent.domain.models import Segment, Transcript
from agent.errors import TranscriptFormatError

__all__ = [
    "AUDIO_BY_CHANNEL",
    "AUDIO_MIXED",
    "FORMATS",
    "UNKNOWN_SPEAKER",
    "detect_format",
    "parse_transcript",
    "speakers_unknown",
    "split_speaker",
    "to_vtt",
]

FORMATS = ("vtt", "json", "plain")
UNKNOWN_SPEAKER = "Unknown"
"""The speaker of a cue that names nobody (Zoom leaves unidentified speech unprefixed)."""
AUDIO_BY_CHANNEL = "audio-channels"
"""`source_format` of a transcript heard from audio with one channel per speaker."""
AUDIO_MIXED = "audio-mixed"
"""`source_format` of a transcript heard from one mixed track: who said what is unknown."""

_MAX_LABEL_CHARS = 64
_MAX_LABEL_WORDS = 6
_NOT_SPEAKERS = frozenset(
    {
        "note", "notes", "update", "reminder", "action item", "action items", "agenda", "fyi",
        "ps", "p.s.", "question", "answer", "summary", "next steps", "next step", "warning",
        "important", "example", "correction", "edit", "todo", "re", "subject", "status", "tip",
        "caveat", "context", "background", "decision", "result", "outcome", "quote", "ok", "so",
        "budget", "pricing", "price", "timeline", "risk", "risks", "owner", "due", "date",
    }
)  # fmt: skip
"""Labels that introduce text rather than a person: `Note: pricing is …` stays text."""
_LOWER_NAME_PARTS = frozenset({"de", "da", "van", "von", "der", "del", "la", "le", "of", "bin"})
_TIMING = re.compile(
    r"^\s*(?P<start>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s+-->\s+"
    r"(?P<end>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})(?:\s+.*)?$"
)
_VOICE = re.compile(r"^\s*<v(?:\.[^\s>]*)?(?:\s+(?P<name>[^>]*))?>(?P<rest>.*)$", re.DOTALL)
_TAG = re.compile(r"</?[a-z][^>]*>|<\d[\d:.]*>", re.IGNORECASE)
_PLAIN_STAMP = re.compile(r"^\s*\[?(?P<stamp>(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?)\]?\s+")


@dataclass(frozen=True)
class _Turn:
    speaker: str
    text: str
    start: float
    end: float | None


def parse_transcript(raw: str | bytes, *, fmt: str | None = None) -> Transcript:
    """Parse WebVTT, JSON segments or plain `Name: text` lines; `fmt=None` detects the format.

    Raises:
        TranscriptFormatError: empty input, no text, malformed JSON or VTT, or an unknown `fmt`;
            the message says what is wrong and where.
    """
    text = _decode(raw)
    if not text.strip():
        raise TranscriptFormatError("the transcript is empty")
    chosen = fmt or detect_format(text)
    if chosen not in FORMATS:
        raise TranscriptFormatError(f"unknown transcript format {fmt!r}; use one of {FORMATS}")
    if chosen == "vtt":
        turns = _merge_same_speaker(_parse_vtt(text))
    elif chosen == "json":
        turns = _parse_json(text)
    else:
        turns = _parse_plain(text)
    if not turns:
        raise TranscriptFormatError(f"the {chosen} transcript has no spoken text")
    segments = tuple(
        Segment(index=i, speaker=t.speaker, text=t.text, start=t.start, end=t.end)
        for i, t in enumerate(turns)
    )
    return Transcript(segments=segments, source_format=chosen)


def speakers_unknown(transcript: Transcript) -> bool:
    """True when the transcript came from mixed audio, so no segment's speaker can be trusted."""
    return transcript.source_format == AUDIO_MIXED


def detect_format(text: str) -> str:
    """Guess the format from the first non-blank characters (a `[00:01]` stamp is plain text)."""
    head = text.lstrip("\ufeff \t\r\n")
    if head.startswith("WEBVTT"):
        return "vtt"
    if head.startswith("{") or (head.startswith("[") and not re.match(r"\[\d{1,2}:\d", head)):
        return "json"
    return "plain"


def to_vtt(transcript: Transcript) -> str:
    """Write Teams-style WebVTT (`<v Name>` voice tags) that `parse_transcript` reads back.

    A segment without an end time gets the next segment's start (or its own start) as its end,
    since every cue needs one; consecutive segments of one speaker merge on reading, as in any VTT.
    """
    blocks = ["WEBVTT"]
    segments = transcript.segments
    for pos, seg in enumerate(segments):
        end = seg.end
        if end is None:
            end = segments[pos + 1].start if pos + 1 < len(segments) else seg.start
        text = " ".join(seg.text.split())
        name = _escape(" ".join(seg.speaker.split()))
        timing = f"{_format_time(seg.start)} --> {_format_time(max(end, seg.start))}"
        blocks.append(f"{seg.index + 1}\n{timing}\n<v {name}>{_escape(text)}</v>")
    return "\n\n".join(blocks) + "\n"


def _decode(raw: str | bytes) -> str:
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise TranscriptFormatError(
                f"the transcript is not UTF-8 text (bad byte at offset {exc.start})"
            ) from exc
    return raw.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _format_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{ms:03d}"


def _parse_time(stamp: str) -> float:
    """`HH:MM:SS.mmm`, `MM:SS.mmm` or `HH:MM:SS` to seconds, exact to the millisecond."""
    whole, _, frac = stamp.replace(",", ".").partition(".")
    parts = [int(p) for p in whole.split(":")]
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + part
    millis = seconds * 1000 + (int(frac.ljust(3, "0")[:3]) if frac else 0)
    return millis / 1000


def split_speaker(line: str) -> tuple[str | None, str]:
    """Split `Name: text` when the part before `": "` looks like a name, not like a sentence."""
    label, sep, rest = line.partition(": ")
    if not sep:
        stripped = line.rstrip()
        if stripped.endswith(":") and _looks_like_name(stripped[:-1].strip()):
            return stripped[:-1].strip(), ""
        return None, line
    label = label.strip()
    if not _looks_like_name(label):
        return None, line
    return label, rest.strip()


def _looks_like_name(label: str) -> bool:
    if not label or len(label) >= _MAX_LABEL_CHARS or label.lower() in _NOT_SPEAKERS:
        return False
    if re.search(r"[!?;:\"]", label) or label.endswith(","):
        return False
    words = label.split()
    if len(words) > _MAX_LABEL_WORDS or not (label[0].isalnum() or label[0] == "("):
        return False
    for word in words:
        if "." in word.strip("()") and len(word.strip("()")) > 4:
            return False
    if len(words) == 1:
        return True
    return all(
        w[0].isupper() or w[0].isdigit() or w[0] in "(@" or w.lower() in _LOWER_NAME_PARTS
        for w in words
    )


def _clean_cue_text(text: str) -> str:
    return " ".join(html.unescape(_TAG.sub("", text)).split())


def _parse_vtt(text: str) -> list[_Turn]:
    lines = text.split("\n")
    first_at = next(i for i, line in enumerate(lines) if line.strip())
    first = lines[first_at].strip()
    if not (first == "WEBVTT" or first.startswith(("WEBVTT ", "WEBVTT\t"))):
        raise TranscriptFormatError(f"line {first_at + 1}: a WebVTT file must start with 'WEBVTT'")
    turns: list[_Turn] = []
    for number, (line_no, block) in enumerate(_vtt_blocks(lines), start=1):
        turns.extend(_parse_cue(block, line_no=line_no, number=number))
    return turns


def _vtt_blocks(lines: list[str]) -> Iterator[tuple[int, list[str]]]:
    """Yield (first line number, lines) of each cue, skipping the header, NOTE and STYLE blocks."""
    blocks: list[tuple[int, list[str]]] = []
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            if blocks and blocks[-1][1]:
                blocks.append((0, []))
            continue
        if not blocks or not blocks[-1][1]:
            blocks[-1:] = [(line_no, [line])]
        else:
            blocks[-1][1].append(line)
    for start, block in blocks[1:]:
        if block and not re.match(r"(NOTE|STYLE|REGION)(\s|$)", block[0]):
            yield start, block


def _parse_cue(block: list[str], *, line_no: int, number: int) -> list[_Turn]:
    timing_at = 0 if "-->" in block[0] else 1
    if timing_at >= len(block) or "-->" not in block[timing_at]:
        raise TranscriptFormatError(f"cue {number} (line {line_no}): missing the timing line")
    match = _TIMING.match(block[timing_at])
    if match is None:
        raise TranscriptFormatError(
            f"cue {number} (line {line_no + timing_at}): bad timing {block[timing_at].strip()!r}"
        )
    start, end = _parse_time(match["start"]), _parse_time(match["end"])
    turns: list[_Turn] = []
    for raw_line in block[timing_at + 1 :]:
        speaker, body = _cue_line_speaker(raw_line)
        if speaker is None and turns:
            turns[-1] = replace(turns[-1], text=f"{turns[-1].text} {body}".strip())
            continue
        turns.append(_Turn(speaker=speaker or UNKNOWN_SPEAKER, text=body, start=start, end=end))
    return [t for t in turns if t.text]


def _cue_line_speaker(line: str) -> tuple[str | None, str]:
    voice = _VOICE.match(line)
    if voice is not None:
        name = " ".join(html.unescape(voice["name"] or "").split())
        return name or UNKNOWN_SPEAKER, _clean_cue_text(voice["rest"])
    cleaned = _clean_cue_text(line)
    return split_speaker(cleaned)


def _merge_same_speaker(turns: list[_Turn]) -> list[_Turn]:
    merged: list[_Turn] = []
    for turn in turns:
        if merged and merged[-1].speaker == turn.speaker:
            last = merged[-1]
            merged[-1] = replace(last, text=f"{last.text} {turn.text}", end=turn.end)
        else:
            merged.append(turn)
    return merged


def _parse_json(text: str) -> list[_Turn]:
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TranscriptFormatError(
            f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    if isinstance(data, dict):
        if not isinstance(data.get("segments"), list):
            raise TranscriptFormatError("a JSON transcript object needs a 'segments' list")
        data = data["segments"]
    if not isinstance(data, list):
        raise TranscriptFormatError("a JSON transcript must be a list of segments")
    turns = [_json_turn(item, position=i) for i, item in enumerate(data)]
    return [t for t in turns if t.text]


def _json_turn(item: Any, *, position: int) -> _Turn:
    where = f"segment {position}"
    if not isinstance(item, dict):
        raise TranscriptFormatError(f"{where}: expected an object, got {type(item).__name__}")
    speaker, text = item.get("speaker"), item.get("text")
    if not isinstance(speaker, str) or not speaker.strip():
        raise TranscriptFormatError(f"{where}: 'speaker' must be a non-empty string")
    if not isinstance(text, str):
        raise TranscriptFormatError(f"{where}: 'text' must be a string")
    start = _json_time(item.get("start"), where=f"{where} 'start'")
    end = _json_time(item.get("end"), where=f"{where} 'end'")
    return _Turn(speaker=speaker.strip(), text=text.strip(), start=start or 0.0, end=end)


def _json_time(value: Any, *, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TranscriptFormatError(f"{where}: expected seconds, got {value!r}")
    if isinstance(value, str):
        stamp = value.strip()
        if re.fullmatch(r"(?:\d+:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?", stamp):
            return _parse_time(stamp)
        try:
            value = float(stamp)
        except ValueError:
            raise TranscriptFormatError(f"{where}: expected seconds, got {value!r}") from None
    if value < 0 or value != value:
        raise TranscriptFormatError(f"{where}: expected non-negative seconds, got {value!r}")
    return float(value)


def _parse_plain(text: str) -> list[_Turn]:
    turns: list[_Turn] = []
    for line_no, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        start: float | None = None
        stamp = _PLAIN_STAMP.match(line)
        if stamp is not None:
            start, line = _parse_time(stamp["stamp"]), line[stamp.end() :]
        speaker, body = split_speaker(line.strip())
        if speaker is None:
            if not turns:
                raise TranscriptFormatError(
                    f"line {line_no}: expected 'Speaker: text' before any unattributed text"
                )
            last = turns[-1]
            turns[-1] = replace(last, text=f"{last.text} {body.strip()}".strip())
            continue
        begin = start if start is not None else (turns[-1].start if turns else 0.0)
        turns.append(_Turn(speaker=speaker, text=body, start=begin, end=None))
    return [t for t in turns if t.text]
