"""Audio through the real model: a two-voice call, synthesized here, to VTT and to a proposal.

Wiring, not accuracy: espeak-ng speech is robotic, so the assertions name only words Whisper base
hears reliably in it. The Whisper model is assembled once for the module from its PyPI packages
(checking the pinned hash), and every command then points `ENGAGE_WHISPER_MODEL` at that folder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.domain.models import Transcript
from agent.domain.transcripts import AUDIO_BY_CHANNEL, AUDIO_MIXED, parse_transcript
from agent.runtime import build_runtime
from agent.services import meetings as meeting_service
from agent.services.extract import UNKNOWN_SPEAKERS_NOTE
from agent.settings import load_settings
from agent.transcribe.model import PACKAGED_MODELS, resolve_model
from tests.audio import RELIABLE_WORDS, SALES_CALL, render_call, render_silence, speech_tools, words

__all__ = ["speech_tools"]

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("speech_tools")]

REP = "riley@engage-demo.com"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packaged base model, joined from its two wheels and checked against the pinned hash."""
    folder = resolve_model("base", home=tmp_path_factory.mktemp("models-home"))
    assert (folder / "model.bin").stat().st_size == PACKAGED_MODELS["base"].size_bytes
    return folder


@pytest.fixture(scope="module")
def calls(tmp_path_factory: pytest.TempPathFactory, speech_tools: None) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("calls")
    return {
        "mixed": render_call(SALES_CALL, root / "mixed.ogg"),
        "by_channel": render_call(SALES_CALL, root / "by-channel.flac", stereo=True),
        "silence": render_silence(root / "silence.wav", seconds=3.0),
    }


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model_dir: Path) -> Path:
    monkeypatch.setenv("ENGAGE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ENGAGE_ENGINE", "rules")
    monkeypatch.setenv("ENGAGE_WHISPER_MODEL", str(model_dir))
    monkeypatch.setenv("ENGAGE_AUDIO_TIMEOUT", "600")
    return tmp_path / "home"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def heard_words(vtt: str) -> set[str]:
    return set(words(parse_transcript(vtt).full_text))


def stored_transcript(meeting_id: str) -> Transcript:
    """The marker must survive the store, so a later re-extraction still knows."""
    rt = build_runtime(load_settings())
    try:
        with rt.db.session() as session:
            transcript = meeting_service.latest_transcript(session, meeting_id)
    finally:
        rt.close()
    assert transcript is not None
    return transcript


def demo_deal() -> str:
    assert run("init", "--seed", "demo")[0] == 0
    code, out, _ = run("meetings", "--json")
    assert code == 0
    return str(next(m for m in json.loads(out) if m["status"] == "scheduled")["deal_id"])


def test_transcribe_prints_vtt_of_a_mixed_call(home: Path, calls: dict[str, Path]) -> None:
    code, out, err = run("transcribe", str(calls["mixed"]))
    assert code == 0, err
    assert out.startswith("WEBVTT\n\nNOTE ")
    assert "language en" in out
    assert "speakers unknown (one mixed track)" in out
    transcript = parse_transcript(out)
    assert {s.speaker for s in transcript.segments} == {"Unknown"}
    assert set(RELIABLE_WORDS) <= heard_words(out)


def test_transcribe_labels_one_speaker_per_channel(home: Path, calls: dict[str, Path]) -> None:
    code, out, err = run("transcribe", str(calls["by_channel"]), "--json")
    assert code == 0, err
    heard = json.loads(out)
    assert (heard["speakers"], heard["source_format"]) == ("by_channel", AUDIO_BY_CHANNEL)
    said: dict[str, set[str]] = {}
    for segment in heard["segments"]:
        said.setdefault(segment["speaker"], set()).update(words(segment["text"]))
    assert set(said) == {"Channel 1", "Channel 2"}
    assert {"order", "friday"} <= said["Channel 1"]
    assert {"budget", "march"} <= said["Channel 2"]
    turns = [segment["speaker"] for segment in heard["segments"]]
    assert [s for n, s in enumerate(turns) if n == 0 or turns[n - 1] != s] == [
        "Channel 1", "Channel 2", "Channel 1", "Channel 2",
    ]  # fmt: skip


def test_process_turns_a_recording_into_a_proposal(home: Path, calls: dict[str, Path]) -> None:
    deal = demo_deal()
    code, out, err = run(
        "process", str(calls["mixed"]), "--deal", deal, "--rep", REP, "--date", "2026-11-20"
    )
    assert code == 0, err
    proposal_id = out.strip()
    code, out, _ = run("show", proposal_id, "--json")
    assert code == 0
    proposal = json.loads(out)
    assert proposal["summary"].startswith(UNKNOWN_SPEAKERS_NOTE)
    assert proposal["engine"] == "rules"
    assert stored_transcript(proposal["meeting_id"]).source_format == AUDIO_MIXED


def test_process_keeps_channel_speakers(home: Path, calls: dict[str, Path]) -> None:
    deal = demo_deal()
    code, out, err = run("process", str(calls["by_channel"]), "--deal", deal, "--rep", REP)
    assert code == 0, err
    code, shown, _ = run("show", out.strip(), "--json")
    assert UNKNOWN_SPEAKERS_NOTE not in json.loads(shown)["summary"]


def test_not_audio_is_refused_with_the_reason(home: Path, tmp_path: Path) -> None:
    fake = tmp_path / "call.wav"
    fake.write_text("Riley Chen: this is a transcript saved with the wrong suffix\n")
    code, _, err = run("transcribe", str(fake))
    assert code == 2
    assert err.startswith("engage: call.wav is not decodable audio")
    deal = demo_deal()
    code, _, err = run("process", str(fake), "--deal", deal, "--rep", REP)
    assert code == 2
    assert "call.wav is not decodable audio" in err


def test_too_long_is_refused_before_transcribing(
    home: Path, calls: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENGAGE_AUDIO_MAX_SECONDS", "5")
    code, _, err = run("transcribe", str(calls["mixed"]))
    assert code == 2
    assert "the limit is 0:05 (ENGAGE_AUDIO_MAX_SECONDS)" in err


def test_too_large_is_refused(
    home: Path, calls: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENGAGE_AUDIO_MAX_BYTES", "2000")
    code, _, err = run("transcribe", str(calls["by_channel"]))
    assert code == 2
    assert "(ENGAGE_AUDIO_MAX_BYTES)" in err


def test_silence_is_refused_as_no_speech(home: Path, calls: dict[str, Path]) -> None:
    code, _, err = run("transcribe", str(calls["silence"]))
    assert code == 2
    assert err.strip() == "engage: no speech was heard in silence.wav"


def test_a_worker_over_its_memory_limit_fails_with_the_setting(
    home: Path, calls: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENGAGE_AUDIO_MAX_MEMORY_MB", "512")
    code, _, err = run("transcribe", str(calls["mixed"]))
    assert code == 1
    assert "memory limit of 512 MB (ENGAGE_AUDIO_MAX_MEMORY_MB)" in err
