"""`make bench`: every figure of Engage measured in one run, printed as one table.

    .venv/bin/python -m benchmarks.run_all [--no-save] [--quick]

Each figure stands beside its documented limit (Zoom's 3-second webhook deadline, two CRM calls
per record, the README's calls per brief, real time for transcription) and beside the previous
run in `benchmarks/baseline.json`, which this run then replaces (unless `--no-save`). A part
that needs something this machine lacks (PostgreSQL, espeak-ng and sox, the llm-local extra)
says so in its row instead of failing the run. Built for 2 cores and well under 10 minutes.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.figures import Figure, load_baseline, save_baseline, table  # noqa: E402

BRIEF_CALLS = {"salesforce": 2.0, "hubspot": 5.0, "pipedrive": 6.0}
"""The README's documented upper bound of calls per brief (the first one reads the picklist)."""


def crm_call_figures(proposals: int) -> list[Figure]:
    from benchmarks import crm_calls

    figures = []
    for name, setup in (
        ("salesforce", crm_calls._salesforce),
        ("hubspot", crm_calls._hubspot),
        ("pipedrive", crm_calls._pipedrive),
    ):
        found = crm_calls.measure(setup, proposals)
        figures += [
            Figure(
                name=f"CRM calls per record written, {name}",
                value=found["per record"],
                unit="calls",
                limit=2.0,
                limit_note="re-read + one write",
            ),
            Figure(
                name=f"CRM calls per applied proposal, {name}",
                value=found["per proposal"],
                unit="calls",
            ),
            Figure(
                name=f"CRM calls per brief (first), {name}",
                value=found["brief (cold)"],
                unit="calls",
                limit=BRIEF_CALLS[name],
                limit_note="README",
            ),
        ]
    return figures


def whisper_figure() -> Figure:
    name = "faster-whisper base real-time factor (42 s call, beam 5)"
    from tests.audio import missing_tools

    if missing := missing_tools():
        return Figure(name=name, value=None, unit="x", missing=f"needs {', '.join(missing)}")
    from agent.transcribe import AudioLimits, WhisperTranscriber
    from agent.transcribe.model import resolve_model
    from benchmarks.transcribe import SCRIPT, measure
    from tests.audio import render_call

    with tempfile.TemporaryDirectory(prefix="engage-bench-") as scratch:
        root = Path(scratch)
        model_dir = resolve_model("base", home=root / "home")
        transcriber = WhisperTranscriber(
            model=str(model_dir), home=root / "home", limits=AudioLimits(), beam_size=5
        )
        audio = render_call(SCRIPT, root / "call.wav", stereo=False)
        row = measure(transcriber, audio, " ".join(t.text for t in SCRIPT))
    return Figure(name=name, value=row["rtf"], unit="x", limit=1.0, limit_note="real time")


def _section(name: str, run: Callable[[], list[Figure]], out: list[Figure]) -> None:
    began = time.perf_counter()
    print(f"  measuring {name} …", file=sys.stderr, flush=True)
    try:
        out.extend(run())
    except Exception as exc:  # a part that cannot run says so in the table
        out.append(Figure(name=name, value=None, unit="", missing=f"failed: {exc!r}"[:120]))
    print(f"    {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-save", action="store_true", help="keep the old baseline")
    parser.add_argument("--quick", action="store_true", help="smaller loads, for a smoke run")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    warnings.simplefilter("ignore")
    from benchmarks import pipeline, processes

    requests = 200 if args.quick else 1000
    sizes = (1, 10) if args.quick else (1, 10, 100)
    began = time.perf_counter()
    figures: list[Figure] = []
    _section("webhooks", lambda: processes.webhook_figures(requests), figures)
    _section("pipeline", lambda: pipeline.pipeline_overhead(sizes), figures)
    _section(
        "approval to write", lambda: pipeline.approval_to_write(10 if args.quick else 20), figures
    )
    _section("CRM calls", lambda: crm_call_figures(5 if args.quick else 20), figures)
    _section("offline engine", lambda: [pipeline.rules_engine_speed()], figures)
    _section("local model", lambda: [pipeline.local_model_speed()], figures)
    _section("whisper", lambda: [whisper_figure()], figures)
    _section("worker", lambda: [processes.worker_memory(5 if args.quick else 20)], figures)
    baseline = load_baseline()
    print()
    print(table(figures, baseline))
    print(f"\n{len(figures)} figures in {time.perf_counter() - began:.0f} s on this machine.")
    if not args.no_save:
        save_baseline(figures)
        print("Saved as the new baseline: benchmarks/baseline.json")
    over = [f.name for f in figures if f.value is not None and f.limit is not None and (
        f.value > f.limit if f.lower_is_better else f.value < f.limit)]  # fmt: skip
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
