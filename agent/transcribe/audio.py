"""Look at an audio file before anyone spends minutes on it, and decode it for the model.

A file from outside may be huge, endless, or not audio at all. `probe_audio` checks the size on
disk, then asks the decoder (FFmpeg through PyAV) for an audio stream, its declared length and a
first decodable frame, so a bad file is refused with a reason in well under a second. The
decoded length is checked again after full decoding (`decode_channels`), because a header can lie.

Whether a two-channel file has one speaker per channel is judged from the signal, not assumed:
call recorders put the rep on one side and the customer on the other, but plenty of stereo files
carry the same mix twice. PyAV and NumPy are imported inside the functions so that importing this
module (and starting the service) stays cheap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from agent.errors import AudioError

if TYPE_CHECKING:
    import numpy as np
    from av.audio.stream import AudioStream
    from av.container import InputContainer
    from numpy.typing import NDArray

__all__ = [
    "AUDIO_SUFFIXES",
    "SAMPLE_RATE",
    "AudioInfo",
    "channels_are_separate",
    "decode_channels",
    "is_audio_file",
    "probe_audio",
]

AUDIO_SUFFIXES = frozenset({".wav", ".mp3", ".m4a", ".ogg", ".flac"})
SAMPLE_RATE = 16_000
"""Whisper's input rate."""

_WINDOW_S = 0.1
_ACTIVE_BELOW_PEAK_DB = 35.0
_DOMINANCE_DB = 10.0
_SEPARATE_SHARE = 0.8
_MIN_SHARE_PER_CHANNEL = 0.05


@dataclass(frozen=True, kw_only=True)
class AudioInfo:
    duration_s: float
    channels: int
    codec: str
    size_bytes: int


def is_audio_file(path: Path) -> bool:
    """Chosen by suffix, as a person would; the decoder still has the last word."""
    return path.suffix.lower() in AUDIO_SUFFIXES


def probe_audio(path: Path, *, max_seconds: float, max_bytes: int) -> AudioInfo:
    """The file's length, channels and codec, or an `AudioError` naming what is wrong.

    Raises:
        AudioError: missing or empty file, larger than `max_bytes`, not decodable, no audio
            stream, or longer than `max_seconds`.
    """
    size = _size_of(path)
    if size > max_bytes:
        raise AudioError(
            f"{path.name} is {_megabytes(size)}; the limit is {_megabytes(max_bytes)} "
            "(ENGAGE_AUDIO_MAX_BYTES)"
        )
    import av

    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise AudioError(f"{path.name} has no audio stream")
            stream = container.streams.audio[0]
            codec = stream.codec_context.name
            channels = stream.codec_context.channels
            declared = _declared_seconds(container.duration, stream)
            if declared is not None and declared > max_seconds:
                raise _too_long(path, declared, max_seconds)
            decoded = _decoded_seconds(container, stream, whole=declared is None, cap=max_seconds)
    except av.FFmpegError as exc:
        raise AudioError(f"{path.name} is not decodable audio ({_reason(exc)})") from None
    if decoded is None:
        raise AudioError(f"{path.name} has an audio stream but no decodable sound")
    duration = declared if declared is not None else decoded
    if duration > max_seconds:
        raise _too_long(path, duration, max_seconds)
    return AudioInfo(duration_s=duration, channels=channels, codec=codec, size_bytes=size)


def decode_channels(path: Path, *, split: bool, max_seconds: float) -> list[NDArray[np.float32]]:
    """16 kHz float samples: one array per channel of a stereo file when `split`, else a mix.

    Raises:
        AudioError: the decoded audio is longer than `max_seconds` (the header understated it).
    """
    import av
    from faster_whisper.audio import decode_audio

    try:
        decoded = decode_audio(str(path), sampling_rate=SAMPLE_RATE, split_stereo=split)
    except (av.FFmpegError, ValueError) as exc:
        raise AudioError(f"{path.name} could not be decoded ({_reason(exc)})") from None
    channels = list(decoded) if split else [decoded]
    seconds = max(len(channel) for channel in channels) / SAMPLE_RATE
    if seconds > max_seconds:
        raise _too_long(path, seconds, max_seconds)
    return channels


def channels_are_separate(left: NDArray[np.float32], right: NDArray[np.float32]) -> bool:
    """True when each speech moment is loud on one side and quiet on the other.

    The signal is cut in 100 ms windows; windows within 35 dB of the loudest are active. The
    channels are separate when in at least 80% of active windows one side is 10 dB louder,
    and each side leads in at least 5% of them (else one channel is just silent or noise).
    """
    import numpy as np

    window = int(SAMPLE_RATE * _WINDOW_S)
    count = min(len(left), len(right)) // window
    if count == 0:
        return False
    energy_left = np.square(left[: count * window].reshape(count, window)).mean(axis=1)
    energy_right = np.square(right[: count * window].reshape(count, window)).mean(axis=1)
    total = energy_left + energy_right
    peak = float(total.max())
    if peak <= 0.0:
        return False
    active = total >= peak * 10 ** (-_ACTIVE_BELOW_PEAK_DB / 10)
    tiny = peak * 1e-9
    balance = 10 * np.log10((energy_left[active] + tiny) / (energy_right[active] + tiny))
    left_leads = float(np.mean(balance >= _DOMINANCE_DB))
    right_leads = float(np.mean(balance <= -_DOMINANCE_DB))
    return (
        left_leads + right_leads >= _SEPARATE_SHARE
        and min(left_leads, right_leads) >= _MIN_SHARE_PER_CHANNEL
    )


def _size_of(path: Path) -> int:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise AudioError(f"no such file: {path}") from None
    if not path.is_file():
        raise AudioError(f"{path} is not a file")
    if size == 0:
        raise AudioError(f"{path.name} is empty")
    return size


def _declared_seconds(container_duration: int | None, stream: AudioStream) -> float | None:
    """The length the header states: the container's (microseconds), else the stream's."""
    import av

    if container_duration is not None and container_duration > 0:
        return container_duration / av.time_base
    if stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        return float(stream.duration * stream.time_base)
    return None


def _decoded_seconds(
    container: InputContainer, stream: AudioStream, *, whole: bool, cap: float
) -> float | None:
    """Decode the first frame (proof that it is audio), or, when `whole`, every frame until
    `cap` seconds are passed. None when not a single frame decodes."""
    seconds = 0.0
    decoded_any = False
    for frame in container.decode(stream):
        decoded_any = True
        seconds += frame.samples / (frame.sample_rate or SAMPLE_RATE)
        if not whole or seconds > cap:
            break
    return seconds if decoded_any else None


def _too_long(path: Path, seconds: float, limit: float) -> AudioError:
    return AudioError(
        f"{path.name} lasts {_clock(seconds)}; the limit is {_clock(limit)} "
        "(ENGAGE_AUDIO_MAX_SECONDS)"
    )


def _clock(seconds: float) -> str:
    whole = math.ceil(seconds) if seconds % 1 > 0.001 else round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
