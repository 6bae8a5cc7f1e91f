"""Transcription speed and accuracy on a synthesized two-voice sales call.

    .venv/bin/python -m benchmarks.transcribe [--turns N] [--beam 5]

Renders a call with espeak-ng (two voices) and sox, as one mixed track and as one speaker per
channel, transcribes both through `WhisperTranscriber` (worker process, model load and all), and
prints the real-time factor (seconds of work per second of audio, lower is better) and the word
error rate against the text that was synthesized. espeak-ng is robotic, so real speech usually
fares better; numbers are spelt out in the script, and Whisper writes them as digits, which counts
against it here.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from agent.transcribe import AudioLimits, WhisperTranscriber
from agent.transcribe.model import resolve_model
from tests.audio import BUYER_VOICE, REP_VOICE, Turn, missing_tools, render_call, words

SCRIPT = (
    Turn(REP_VOICE, "Thanks for joining today, Dana. Where are we on the order form?"),
    Turn(BUYER_VOICE, "We approved the budget last week. Procurement is reviewing the contract."),
    Turn(REP_VOICE, "Great. Is the security review still open on your side?"),
    Turn(BUYER_VOICE, "It closed on Monday. Legal asked for a shorter renewal term."),
    Turn(REP_VOICE, "I can offer a one year term with the same price."),
    Turn(BUYER_VOICE, "That works. Please send the revised order form by Friday."),
    Turn(REP_VOICE, "I will send it by Friday and book a call with your legal team."),
    Turn(BUYER_VOICE, "Good. We want to sign the contract by the end of March."),
    Turn(REP_VOICE, "Understood. Who else should be on the next call?"),
    Turn(BUYER_VOICE, "Our finance director will join, and the head of operations."),
)


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level edit distance (substitutions, insertions, deletions) over the reference length."""
    ref, hyp = words(reference), words(hypothesis)
    if not ref:
        return float(bool(hyp))
    previous = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, start=1):
        current = [i]
        for j, hyp_word in enumerate(hyp, start=1):
            current.append(
                min(
                    previous[j] + 1,
                    current[j - 1] + 1,
                    previous[j - 1] + (ref_word != hyp_word),
                )
            )
        previous = current
    return previous[-1] / len(ref)


def measure(transcriber: WhisperTranscriber, audio: Path, reference: str) -> dict[str, float]:
    heard = transcriber.transcribe_with_details(audio)
    text = " ".join(segment.text for segment in heard.transcript.segments)
    return {
        "audio_s": heard.duration_s,
        "elapsed_s": heard.elapsed_s,
        "rtf": heard.elapsed_s / heard.duration_s,
        "wer": word_error_rate(reference, text),
        "segments": len(heard.transcript.segments),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=len(SCRIPT), help="turns of the call to use")
    parser.add_argument("--beam", type=int, default=5, help="beam size")
    args = parser.parse_args(argv)
    missing = missing_tools()
    if missing:
        print(f"needs {' and '.join(missing)}: run `make sysdeps`", file=sys.stderr)
        return 2
    turns = SCRIPT[: max(1, args.turns)]
    reference = " ".join(turn.text for turn in turns)
    with tempfile.TemporaryDirectory(prefix="engage-bench-") as scratch:
        root = Path(scratch)
        model_dir = resolve_model("base", home=root / "home")
        transcriber = WhisperTranscriber(
            model=str(model_dir), home=root / "home", limits=AudioLimits(), beam_size=args.beam
        )
        print(f"Whisper base, CPU int8, beam {args.beam}, {len(turns)} turns of espeak-ng speech")
        print(f"{'layout':<12} {'audio s':>8} {'elapsed s':>10} {'RTF':>6} {'WER':>7} {'segs':>5}")
        for layout, stereo in (("mixed", False), ("by channel", True)):
            audio = render_call(turns, root / f"call-{stereo}.wav", stereo=stereo)
            row = measure(transcriber, audio, reference)
            print(
                f"{layout:<12} {row['audio_s']:>8.1f} {row['elapsed_s']:>10.1f} "
                f"{row['rtf']:>6.2f} {row['wer']:>7.1%} {row['segments']:>5.0f}"
            )
    print("elapsed includes the worker's start and the model load (about 2-3 s per file)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
