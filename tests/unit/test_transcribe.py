"""The transcriber's guards without the model: probing, channel judgement, model assembly, worker.

The model itself runs in tests/integration/test_audio.py; everything here takes well under a
second per test.
"""

from __future__ import annotations

import hashlib
import os
import time
from multiprocessing.connection import Connection
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from agent.domain.models import Segment, Transcript
from agent.domain.transcripts import AUDIO_MIXED, parse_transcript, speakers_unknown
from agent.errors import AudioError, ConfigError, TranscriptionError
from agent.transcribe import is_audio_file, probe_audio
from agent.transcribe.audio import SAMPLE_RATE, channels_are_separate
from agent.transcribe.model import PackagedModel, assemble, resolve_model
from agent.transcribe.render import audio_vtt
from agent.transcribe.whisper import AudioTranscript, run_in_worker, spoken_runs
from tests.audio import render_silence, speech_tools

__all__ = ["speech_tools"]

RNG = np.random.default_rng(7)


def tone(seconds: float, level: float = 0.3) -> np.ndarray:
    return (RNG.standard_normal(int(seconds * SAMPLE_RATE)) * level).astype(np.float32)


def quiet(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32)


# -- probing ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("speech_tools")
def test_a_real_wav_is_probed_for_length_and_channels(tmp_path: Path) -> None:
    info = probe_audio(
        render_silence(tmp_path / "s.wav", seconds=2.0), max_seconds=60, max_bytes=10**7
    )
    assert info.duration_s == pytest.approx(2.0, abs=0.01)
    assert info.channels == 1
    assert info.codec.startswith("pcm_")


def test_text_named_wav_is_refused_as_not_audio(tmp_path: Path) -> None:
    fake = tmp_path / "call.wav"
    fake.write_text("Riley: this is a transcript, not a recording\n")
    with pytest.raises(AudioError, match=r"call\.wav is not decodable audio"):
        probe_audio(fake, max_seconds=60, max_bytes=10**6)


def test_missing_and_empty_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="no such file"):
        probe_audio(tmp_path / "nope.mp3", max_seconds=60, max_bytes=10**6)
    empty = tmp_path / "empty.ogg"
    empty.write_bytes(b"")
    with pytest.raises(AudioError, match=r"empty\.ogg is empty"):
        probe_audio(empty, max_seconds=60, max_bytes=10**6)


@pytest.mark.usefixtures("speech_tools")
def test_too_large_is_refused_before_decoding(tmp_path: Path) -> None:
    path = render_silence(tmp_path / "s.wav", seconds=1.0)
    with pytest.raises(AudioError, match=r"the limit is 0\.0 MB \(ENGAGE_AUDIO_MAX_BYTES\)"):
        probe_audio(path, max_seconds=60, max_bytes=1000)


@pytest.mark.usefixtures("speech_tools")
def test_too_long_is_refused_with_both_lengths(tmp_path: Path) -> None:
    path = render_silence(tmp_path / "long.flac", seconds=12.5)
    with pytest.raises(
        AudioError, match=r"lasts 0:13; the limit is 0:10 \(ENGAGE_AUDIO_MAX_SECONDS\)"
    ):
        probe_audio(path, max_seconds=10, max_bytes=10**7)


@pytest.mark.parametrize(
    ("name", "audio"),
    [("a.WAV", True), ("b.mp3", True), ("c.m4a", True), ("d.ogg", True), ("e.flac", True),
     ("f.vtt", False), ("g.txt", False), ("h.json", False)],
)  # fmt: skip
def test_audio_is_recognised_by_suffix(name: str, audio: bool) -> None:
    assert is_audio_file(Path(name)) is audio


# -- one speaker per channel? ----------------------------------------------------------------


def test_alternating_sides_are_separate_channels() -> None:
    left = np.concatenate([tone(1.0), quiet(1.0), tone(1.0), quiet(1.0)])
    right = np.concatenate([quiet(1.0), tone(1.0), quiet(1.0), tone(1.0)])
    assert channels_are_separate(left, right)


def test_the_same_mix_on_both_sides_is_not() -> None:
    mix = np.concatenate([tone(1.0), quiet(0.5), tone(1.0)])
    assert not channels_are_separate(mix, mix.copy())


def test_one_silent_side_is_not() -> None:
    speech = np.concatenate([tone(1.0), quiet(0.5), tone(1.0)])
    assert not channels_are_separate(speech, np.zeros_like(speech))


def test_a_panned_mix_with_bleed_is_not() -> None:
    """Both voices on both sides at a few dB apart, as in a room recording."""
    voice_a = np.concatenate([tone(1.0), quiet(1.0)])
    voice_b = np.concatenate([quiet(1.0), tone(1.0)])
    assert not channels_are_separate(voice_a + 0.6 * voice_b, voice_b + 0.6 * voice_a)


def test_silence_is_not_separate() -> None:
    assert not channels_are_separate(quiet(1.0), quiet(1.0))


# -- the model folder ------------------------------------------------------------------------


def fake_packages(root: Path, parts: list[bytes]) -> PackagedModel:
    names = []
    for number, blob in enumerate(parts, start=1):
        name = f"fake_whisper_part_{number}_{os.getpid()}"
        data = root / name / "data"
        data.mkdir(parents=True)
        (root / name / "__init__.py").write_text("")
        (data / f"model.bin.part{number}").write_bytes(blob)
        names.append(name)
    for side in ("config.json", "tokenizer.json", "vocabulary.json"):
        (root / names[-1] / "data" / side).write_text("{}")
    whole = b"".join(parts)
    return PackagedModel(
        size="fake",
        packages=tuple(names),
        distributions=tuple(n.replace("_", "-") for n in names),
        sha256=hashlib.sha256(whole).hexdigest(),
        size_bytes=len(whole),
    )


def test_parts_are_joined_once_and_verified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    model = fake_packages(tmp_path / "site", [b"first-half|", b"second-half"])
    folder = assemble(model, tmp_path / "models" / "whisper-fake")
    assert (folder / "model.bin").read_bytes() == b"first-half|second-half"
    assert sorted(p.name for p in folder.iterdir()) == [
        "config.json", "model.bin", "tokenizer.json", "vocabulary.json",
    ]  # fmt: skip
    (tmp_path / "site" / model.packages[0] / "data" / "model.bin.part1").unlink()
    assert assemble(model, folder) == folder


def test_a_hash_mismatch_is_refused_and_leaves_no_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    model = fake_packages(tmp_path / "site", [b"aaaa", b"bbbb"])
    tampered = PackagedModel(
        size="fake",
        packages=model.packages,
        distributions=model.distributions,
        sha256="0" * 64,
        size_bytes=model.size_bytes,
    )
    target = tmp_path / "models" / "whisper-fake"
    with pytest.raises(ConfigError, match="not the pinned 0000"):
        assemble(tampered, target)
    assert not (target / "model.bin").exists()
    assert not list(target.glob(".model.*"))


def test_missing_packages_name_the_pip_command(tmp_path: Path) -> None:
    model = PackagedModel(
        size="tiny",
        packages=("no_such_whisper_package_1", "no_such_whisper_package_2"),
        distributions=("no-such-whisper-package-1", "no-such-whisper-package-2"),
        sha256="0" * 64,
        size_bytes=1,
    )
    with pytest.raises(ConfigError, match="pip install no-such-whisper-package-1 no-such"):
        assemble(model, tmp_path / "m")


def test_a_folder_with_a_model_is_used_as_is(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "model.bin").write_bytes(b"x")
    assert resolve_model(str(tmp_path / "mine"), home=tmp_path) == tmp_path / "mine"


def test_an_unknown_model_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"ENGAGE_WHISPER_MODEL='huge' is neither a packaged size \(base\)"
    ):
        resolve_model("huge", home=tmp_path)


# -- the worker ------------------------------------------------------------------------------


def sleeping_child(sender: Connection, job: dict[str, Any]) -> None:
    time.sleep(float(job["sleep"]))
    sender.send(("ok", {}))


def crashing_child(sender: Connection, job: dict[str, Any]) -> None:
    os._exit(int(job["code"]))


def complaining_child(sender: Connection, job: dict[str, Any]) -> None:
    sender.send(("AudioError", "no speech was heard in x.wav"))


def test_a_worker_past_its_time_is_killed() -> None:
    with pytest.raises(
        TranscriptionError, match=r"took longer than 0\.5 s \(ENGAGE_AUDIO_TIMEOUT\)"
    ):
        run_in_worker({"sleep": 60}, timeout_s=0.5, name="call.wav", target=sleeping_child)


def test_a_worker_that_dies_is_reported_with_its_exit_code() -> None:
    with pytest.raises(TranscriptionError, match=r"died \(exit code 3\)"):
        run_in_worker(
            {"code": 3, "max_memory_mb": 512}, timeout_s=60, name="x.wav", target=crashing_child
        )


def test_input_errors_from_the_worker_stay_input_errors() -> None:
    with pytest.raises(AudioError, match="no speech was heard"):
        run_in_worker({}, timeout_s=60, name="x.wav", target=complaining_child)


# -- cutting model segments at pauses ------------------------------------------------------


def word(start: float, end: float, text: str) -> SimpleNamespace:
    return SimpleNamespace(start=start, end=end, word=text)


def test_a_segment_spanning_the_other_channels_turn_is_cut_at_the_pause() -> None:
    segment = SimpleNamespace(
        start=9.4,
        end=17.6,
        text=" Good. We want it by March.",
        words=[word(13.9, 14.3, " Good."), word(14.7, 15.0, " We"), word(15.0, 15.2, " want"),
               word(15.2, 15.4, " it"), word(15.4, 15.6, " by"), word(17.0, 17.6, " March.")],
    )  # fmt: skip
    assert spoken_runs(segment) == [(13.9, 15.6, "Good. We want it by"), (17.0, 17.6, "March.")]


def test_a_segment_without_words_keeps_its_own_times() -> None:
    segment = SimpleNamespace(start=1.0, end=2.5, text="  Hello  there ", words=None)
    assert spoken_runs(segment) == [(1.0, 2.5, "Hello there")]
    assert spoken_runs(SimpleNamespace(start=0.0, end=1.0, text=" ", words=[])) == []


# -- marking and printing --------------------------------------------------------------------


def test_a_mixed_audio_transcript_prints_a_note_and_reads_back() -> None:
    transcript = Transcript(
        segments=(
            Segment(index=0, speaker="Unknown", text="Where are we?", start=0.0, end=1.5),
            Segment(index=1, speaker="Unknown", text="Budget is approved.", start=1.9, end=3.2),
        ),
        source_format=AUDIO_MIXED,
    )
    heard = AudioTranscript(
        transcript=transcript,
        language="en",
        language_probability=0.93,
        duration_s=3.4,
        by_channel=False,
        elapsed_s=1.0,
    )
    assert speakers_unknown(transcript)
    vtt = audio_vtt(heard)
    assert "NOTE 3.4 s of audio, language en (probability 0.93), speakers unknown" in vtt
    back = parse_transcript(vtt)
    assert back.full_text == "Unknown: Where are we? Budget is approved."
    assert back.segments[0].end == 3.2
