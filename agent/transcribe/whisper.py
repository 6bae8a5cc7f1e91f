"""`Transcriber` on faster-whisper (CTranslate2, CPU, int8), bounded in length, time and memory.

What a file may cost is bounded three ways: `probe_audio` refuses a file that is too large, too
long or not audio before any work starts; the model runs in a spawned worker process under an
address-space limit; and the parent waits for that worker only so long, then kills it. A thread
could not be stopped in the middle of a CTranslate2 call; a process can.

Speakers: a two-channel file whose channels carry different voices (`channels_are_separate`) is
transcribed channel by channel and the segments are merged by time, labelled `Channel 1`,
`Channel 2`. Anything else is transcribed as one mix; its segments name no speaker and the
transcript is marked `AUDIO_MIXED`, so the summary can say who spoke is unknown.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from agent.domain.models import Segment, Transcript
from agent.domain.transcripts import AUDIO_BY_CHANNEL, AUDIO_MIXED, UNKNOWN_SPEAKER
from agent.errors import AudioError, ConfigError, TranscriptionError
from agent.transcribe.audio import AudioInfo, probe_audio
from agent.transcribe.model import resolve_model

__all__ = [
    "AudioLimits",
    "AudioTranscript",
    "WhisperTranscriber",
    "channel_label",
    "run_in_worker",
    "spoken_runs",
]

_KILL_GRACE_S = 5.0
PAUSE_S = 1.0
"""A silence inside a model segment longer than this starts a new transcript segment."""
_PASSED_ERRORS: dict[str, type[Exception]] = {
    "AudioError": AudioError,
    "ConfigError": ConfigError,
}


@dataclass(frozen=True, kw_only=True)
class AudioLimits:
    """What one file may cost; every bound is a setting (`ENGAGE_AUDIO_*`)."""

    max_seconds: float = 7200.0
    max_bytes: int = 500_000_000
    timeout_s: float = 3600.0
    max_memory_mb: int = 4096


@dataclass(frozen=True, kw_only=True)
class AudioTranscript:
    """The transcript and what was learnt on the way, for the VTT header and the benchmark."""

    transcript: Transcript
    language: str
    language_probability: float
    duration_s: float
    by_channel: bool
    elapsed_s: float


def channel_label(channel: int) -> str:
    return f"Channel {channel + 1}"


class WhisperTranscriber:
    """Nothing heavy happens at construction: the model is assembled and loaded per file, in
    the worker, so a service that never sees audio never pays for it."""

    def __init__(
        self,
        *,
        model: str,
        home: Path,
        language: str | None = None,
        limits: AudioLimits | None = None,
        threads: int | None = None,
        beam_size: int = 5,
    ) -> None:
        self._model = model
        self._home = home
        self._language = language or None
        self._limits = limits or AudioLimits()
        self._threads = threads or max(1, min(4, os.cpu_count() or 1))
        self._beam_size = beam_size

    def transcribe(self, path: Path) -> Transcript:
        return self.transcribe_with_details(path).transcript

    def transcribe_with_details(self, path: Path) -> AudioTranscript:
        """Probe, then transcribe in the worker.

        Raises:
            AudioError: not audio, too large, too long, or no speech heard.
            ConfigError: the model is missing or does not match its pinned hash.
            TranscriptionError: the worker ran out of time or memory, or failed.
        """
        started = time.perf_counter()
        limits = self._limits
        info = probe_audio(path, max_seconds=limits.max_seconds, max_bytes=limits.max_bytes)
        job = {
            "path": str(path),
            "model_dir": str(resolve_model(self._model, home=self._home)),
            "language": self._language,
            "split": info.channels == 2,
            "max_seconds": limits.max_seconds,
            "max_memory_mb": limits.max_memory_mb,
            "threads": self._threads,
            "beam_size": self._beam_size,
        }
        heard = run_in_worker(job, timeout_s=limits.timeout_s, name=path.name)
        return _to_result(heard, info=info, name=path.name, elapsed=time.perf_counter() - started)


WorkerMain = Callable[[Connection, dict[str, Any]], None]


def run_in_worker(
    job: dict[str, Any], *, timeout_s: float, name: str, target: WorkerMain | None = None
) -> dict[str, Any]:
    """Run `target` (by default the transcription) in a spawned process; kill it when
    `timeout_s` passes. The target answers with one `(outcome, payload)` through the pipe.

    Spawned, not forked: the parent may be a server with threads, and a forked copy of a
    threaded process can deadlock on a lock some other thread held.
    """
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(target=target or _child_main, args=(sender, job), daemon=True)
    worker.start()
    sender.close()
    answered = False
    try:
        if not receiver.poll(timeout_s):
            raise TranscriptionError(
                f"transcribing {name} took longer than {timeout_s:g} s (ENGAGE_AUDIO_TIMEOUT)"
            )
        try:
            outcome, payload = receiver.recv()
        except EOFError:
            worker.join(_KILL_GRACE_S)
            raise TranscriptionError(
                f"the transcription worker for {name} died (exit code {worker.exitcode}); it may "
                f"have hit the memory limit of {job.get('max_memory_mb')} MB "
                "(ENGAGE_AUDIO_MAX_MEMORY_MB)"
            ) from None
        answered = True
    finally:
        receiver.close()
        if answered:
            worker.join(_KILL_GRACE_S)
        if worker.is_alive():
            worker.kill()
        worker.join(_KILL_GRACE_S)
    if outcome == "ok":
        return dict(payload)
    error = _PASSED_ERRORS.get(outcome, TranscriptionError)
    raise error(str(payload))


def _child_main(sender: Connection, job: dict[str, Any]) -> None:
    """The worker's entry point: every outcome, errors included, goes back through the pipe."""
    try:
        _limit_memory(int(job["max_memory_mb"]))
        sender.send(("ok", heard_in_child(job)))
    except (AudioError, ConfigError) as exc:
        sender.send((type(exc).__name__, str(exc)))
    except Exception as exc:  # the parent must hear of any failure, whatever its type
        message = f"transcription failed: {type(exc).__name__}: {exc}"
        if isinstance(exc, MemoryError) or "alloc" in str(exc).lower():
            message = (
                f"transcription ran out of memory: the worker's memory limit of "
                f"{job['max_memory_mb']} MB (ENGAGE_AUDIO_MAX_MEMORY_MB) is too low "
                f"({exc or 'MemoryError'})"
            )
        sender.send(("TranscriptionError", message))
    finally:
        sender.close()


def _limit_memory(megabytes: int) -> None:
    import resource

    limit = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def heard_in_child(job: dict[str, Any]) -> dict[str, Any]:
    """Decode, choose per-channel or mixed, and run the model: plain data for the pipe."""
    import numpy as np
    from faster_whisper import WhisperModel

    from agent.transcribe.audio import channels_are_separate, decode_channels

    path = Path(job["path"])
    channels = decode_channels(path, split=bool(job["split"]), max_seconds=job["max_seconds"])
    by_channel = len(channels) == 2 and channels_are_separate(channels[0], channels[1])
    if len(channels) == 2 and not by_channel:
        channels = [np.mean(np.stack(channels), axis=0, dtype=np.float32)]
    model = WhisperModel(
        job["model_dir"], device="cpu", compute_type="int8", cpu_threads=int(job["threads"])
    )
    segments: list[dict[str, Any]] = []
    languages: list[tuple[float, str, float]] = []
    for number, samples in enumerate(channels):
        found, info = model.transcribe(
            samples,
            language=job["language"],
            vad_filter=True,
            beam_size=int(job["beam_size"]),
            word_timestamps=True,
        )
        for segment in found:
            segments.extend(
                {"channel": number, "start": start, "end": end, "text": text}
                for start, end, text in spoken_runs(segment)
            )
        languages.append(
            (float(info.duration_after_vad), str(info.language), float(info.language_probability))
        )
    _, language, probability = max(languages)
    return {
        "segments": segments,
        "by_channel": by_channel,
        "language": language,
        "language_probability": probability,
    }


def spoken_runs(segment: Any, *, pause_s: float = PAUSE_S) -> list[tuple[float, float, str]]:
    """A model segment cut where its words pause, timed by its first and last word.

    With VAD the model sees one channel's speech glued together, so one segment can span the
    other channel's whole turn, and its own start time can be seconds early; word times are
    what orders two channels' turns correctly.
    """
    words = [word for word in (segment.words or []) if str(word.word).strip()]
    if not words:
        text = " ".join(str(segment.text).split())
        return [(float(segment.start), float(segment.end), text)] if text else []
    runs = [[words[0]]]
    for word in words[1:]:
        if float(word.start) - float(runs[-1][-1].end) > pause_s:
            runs.append([word])
        else:
            runs[-1].append(word)
    return [
        (float(run[0].start), float(run[-1].end), " ".join("".join(w.word for w in run).split()))
        for run in runs
    ]


def _to_result(
    heard: dict[str, Any], *, info: AudioInfo, name: str, elapsed: float
) -> AudioTranscript:
    by_channel = bool(heard["by_channel"])
    found = sorted(heard["segments"], key=lambda s: (float(s["start"]), int(s["channel"])))
    if not found:
        raise AudioError(f"no speech was heard in {name}")
    segments = tuple(
        Segment(
            index=index,
            speaker=channel_label(int(s["channel"])) if by_channel else UNKNOWN_SPEAKER,
            text=str(s["text"]),
            start=round(float(s["start"]), 3),
            end=round(float(s["end"]), 3),
        )
        for index, s in enumerate(found)
    )
    source = AUDIO_BY_CHANNEL if by_channel else AUDIO_MIXED
    return AudioTranscript(
        transcript=Transcript(segments=segments, source_format=source),
        language=str(heard["language"]),
        language_probability=float(heard["language_probability"]),
        duration_s=info.duration_s,
        by_channel=by_channel,
        elapsed_s=elapsed,
    )
