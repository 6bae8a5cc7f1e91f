"""Speech for the audio tests and the benchmark, synthesized on the spot with espeak-ng and sox.

Nothing is downloaded and no recording is checked in: each turn is rendered by `espeak-ng` in its
own voice, and `sox` joins the turns with short silences, either as one mixed mono track or as a
stereo file with one speaker per channel (as call recorders write them).

Tests that need the tools use the `speech_tools` fixture: a missing tool fails the test with the
command that installs it (`make sysdeps`), never a silent skip.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

TOOLS = ("espeak-ng", "sox")
_RATE = "22050"
_TIMEOUT_S = 60


@dataclass(frozen=True)
class Turn:
    voice: str
    text: str


REP_VOICE = "en-us"
BUYER_VOICE = "en-gb"

SALES_CALL: tuple[Turn, ...] = (
    Turn(REP_VOICE, "Thanks for joining today, Dana. Where are we on the order form?"),
    Turn(BUYER_VOICE, "We approved the budget last week. Procurement is reviewing the contract."),
    Turn(REP_VOICE, "Great. I will send the revised order form by Friday."),
    Turn(BUYER_VOICE, "Good. We want to sign the contract by the end of March."),
)
"""Two voices; the words the tests look for are ones the ASR hears reliably in this speech."""

RELIABLE_WORDS = ("budget", "contract", "order", "friday", "march")


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


@pytest.fixture(scope="session")
def speech_tools() -> None:
    """Fail loudly when espeak-ng or sox is missing: these tests must not pass by skipping."""
    missing = missing_tools()
    if missing:
        pytest.fail(
            f"the audio tests need {' and '.join(missing)}: run `make sysdeps` "
            f"(apt-get install {' '.join(TOOLS)})",
            pytrace=False,
        )


def render_call(
    turns: Sequence[Turn], out: Path, *, stereo: bool = False, gap_s: float = 0.4
) -> Path:
    """Write the conversation to `out` (any format sox writes, chosen by suffix).

    With `stereo`, each distinct voice gets its own channel (first voice left) and the other
    channel is silent while it speaks.
    """
    work = out.parent / f".{out.stem}-parts"
    work.mkdir(parents=True, exist_ok=True)
    voices = list(dict.fromkeys(turn.voice for turn in turns))
    gap = work / "gap.wav"
    _run(
        "sox", "-n", "-r", _RATE, "-c", "2" if stereo else "1", str(gap), "trim", "0.0", f"{gap_s}"
    )
    pieces: list[Path] = []
    for number, turn in enumerate(turns):
        spoken = work / f"turn{number}.wav"
        _run("espeak-ng", "-v", turn.voice, "-s", "160", "-w", str(spoken), turn.text)
        if stereo:
            spoken = _on_channel(spoken, channel=voices.index(turn.voice), work=work)
        pieces.extend([spoken, gap])
    _run("sox", *(str(piece) for piece in pieces[:-1]), str(out))
    shutil.rmtree(work)
    return out


def render_silence(out: Path, *, seconds: float) -> Path:
    _run("sox", "-n", "-r", _RATE, "-c", "1", str(out), "trim", "0.0", f"{seconds}")
    return out


def spoken_text(turns: Sequence[Turn]) -> str:
    return " ".join(turn.text for turn in turns)


def words(text: str) -> list[str]:
    """Lower-cased words without punctuation, for comparing what was said with what was heard."""
    return re.findall(r"[a-z0-9']+", text.lower())


def _on_channel(mono: Path, *, channel: int, work: Path) -> Path:
    silent = work / f"{mono.stem}-silent.wav"
    stereo = work / f"{mono.stem}-stereo.wav"
    _run("sox", str(mono), str(silent), "vol", "0")
    left, right = (mono, silent) if channel == 0 else (silent, mono)
    _run("sox", "-M", str(left), str(right), str(stereo))
    return stereo


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=_TIMEOUT_S)
