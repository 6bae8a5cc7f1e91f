"""The held-out eval calls load, and share no call with the dataset the rules were tuned on."""

from __future__ import annotations

from pathlib import Path

from eval.dataset import load_dataset

DATASETS = Path(__file__).resolve().parents[2] / "eval" / "datasets"


def test_held_out_calls_load_and_are_distinct_from_the_tuning_set() -> None:
    tuned = load_dataset(DATASETS / "calls.jsonl")
    held_out = load_dataset(DATASETS / "holdout.jsonl") + load_dataset(DATASETS / "holdout2.jsonl")

    assert len(held_out) >= 12
    assert not {c.id for c in held_out} & {c.id for c in tuned}
    tuned_lines = {s.text for c in tuned for s in c.transcript.segments if len(s.text) > 40}
    assert not any(s.text in tuned_lines for c in held_out for s in c.transcript.segments)
