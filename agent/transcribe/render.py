"""What `engage transcribe` prints: WebVTT that says what the machine guessed, or the same as JSON.

The NOTE block carries the detected language and whether speakers are known, because a reader of
the VTT (or the next tool) should not mistake `Unknown` cues for one person talking to themselves.
`parse_transcript` skips NOTE blocks, so the output reads back as an ordinary transcript.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from agent.domain.transcripts import to_vtt
from agent.transcribe.whisper import AudioTranscript

__all__ = ["audio_json", "audio_vtt", "speaker_note"]


def speaker_note(heard: AudioTranscript) -> str:
    if heard.by_channel:
        return "speakers labelled by channel (one channel per speaker)"
    return "speakers unknown (one mixed track)"


def audio_vtt(heard: AudioTranscript) -> str:
    header, _, cues = to_vtt(heard.transcript).partition("\n\n")
    note = (
        f"NOTE {heard.duration_s:.1f} s of audio, language {heard.language} "
        f"(probability {heard.language_probability:.2f}), {speaker_note(heard)}"
    )
    return f"{header}\n\n{note}\n\n{cues}"


def audio_json(heard: AudioTranscript) -> dict[str, Any]:
    return {
        "language": heard.language,
        "language_probability": round(heard.language_probability, 3),
        "duration_s": round(heard.duration_s, 3),
        "speakers": "by_channel" if heard.by_channel else "unknown",
        "source_format": heard.transcript.source_format,
        "segments": [asdict(segment) for segment in heard.transcript.segments],
    }
