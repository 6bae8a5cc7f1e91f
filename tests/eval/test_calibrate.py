"""`engage eval --calibrate`: the threshold per field that keeps precision at the target, on a
small dataset whose engine confidences and gold labels are chosen by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

import eval.calibrate as calibrate_module
from agent.domain.models import EngineOutput, Evidence, RawFieldUpdate
from agent.domain.ports import ExtractionRequest
from eval.calibrate import Candidate, calibrate, threshold_for
from eval.cli import register
from eval.dataset import load_dataset
from tests.eval.support import MINI, WordsEmbedder

STAGES = ["Discovery", "Demo", "Proposal", "Negotiation", "Closed Won", "Closed Lost"]

AMOUNT, CLOSE, TITLE = "deal.amount", "deal.close_date", "contact.title"
CALLS: tuple[tuple[str, str, str, Any, float, list[dict[str, Any]]], ...] = (
    # id, what the customer says, field and value proposed, the engine's confidence, gold
    ("a-1", "The budget is 120,000.", AMOUNT, 120000, 0.9, [{"field": AMOUNT, "value": 120000}]),
    ("a-2", "The budget is 110,000.", AMOUNT, 110000, 0.7, [{"field": AMOUNT, "value": 110000}]),
    ("a-3", "The budget is 95,000.", AMOUNT, 95000, 0.6, []),
    ("a-4", "The budget is 80,000.", AMOUNT, 80000, 0.5, [{"field": AMOUNT, "value": 85000}]),
    (
        "d-1",
        "We sign on December 15th.",
        CLOSE,
        "2026-12-15",
        0.8,
        [{"field": CLOSE, "value": "2026-12-15"}],
    ),
    (
        "t-1",
        "I've been promoted to VP of Operations.",
        TITLE,
        "VP of Operations",
        0.9,
        [{"field": TITLE, "contact": "dana@acme.com", "value": "Chief of Staff"}],
    ),
)


def write_dataset(path: Path) -> Path:
    lines = []
    for call_id, line, _, _, _, gold in CALLS:
        lines.append(
            {
                "id": call_id,
                "transcript": [
                    {"speaker": "Riley (Engage)", "start": 0.0, "text": f"Hello from {call_id}."},
                    {"speaker": "Dana (Acme)", "start": 5.0, "text": line},
                ],
                "crm_context": {
                    "deal": {"stage": "Proposal", "amount": 90000, "close_date": "2026-12-31"},
                    "account": {"name": "Acme", "domain": "acme.com"},
                    "contacts": [
                        {"name": "Dana Cole", "email": "dana@acme.com", "title": "Director"}
                    ],
                    "stages": STAGES,
                },
                "meeting_date": "2026-11-18",
                "expected": {
                    "field_updates": gold,
                    "unchanged": [],
                    "next_steps": [],
                    "key_points": [],
                },
            }
        )
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


class HandEngine:
    """Answers each call with its one update, at the confidence chosen above."""

    name = "hand"

    def extract(self, request: ExtractionRequest) -> EngineOutput:
        call_id = request.transcript.segments[0].text.removeprefix("Hello from ").rstrip(".")
        _, line, field, value, confidence, _ = next(c for c in CALLS if c[0] == call_id)
        update = RawFieldUpdate(
            field=field,
            value=value,
            evidence=Evidence(quote=line, segment_indices=(1,)),
            contact="dana@acme.com" if field == TITLE else None,
            confidence=confidence,
        )
        return EngineOutput(
            summary="",
            next_steps=(),
            field_updates=(update,),
            engine="hand",
            model="hand",
            prompt_version="test",
        )


def test_each_field_gets_the_lowest_cut_that_reaches_the_target(tmp_path: Path) -> None:
    calls = load_dataset(write_dataset(tmp_path / "calls.jsonl"))
    result = calibrate(calls, HandEngine(), target=0.9, dataset="calls.jsonl")
    rows = {r.field: r for r in result.fields}
    amount = rows["deal.amount"]
    assert (amount.candidates, amount.correct, amount.threshold, amount.kept) == (4, 2, 0.7, 2)
    assert amount.precision == 1.0
    assert (rows["deal.close_date"].threshold, rows["deal.close_date"].kept) == (0.0, 1)
    assert rows["contact.title"].threshold is None
    assert rows["deal.stage"].candidates == 0
    assert result.failed_calls == 0

    looser = calibrate(calls, HandEngine(), target=0.6, dataset="calls.jsonl")
    assert {r.field: r.threshold for r in looser.fields}["deal.amount"] == 0.6


def right(confidence: float) -> Candidate:
    return Candidate(field="f", confidence=confidence, correct=True)


def wrong(confidence: float) -> Candidate:
    return Candidate(field="f", confidence=confidence, correct=False)


def test_the_threshold_search_itself() -> None:
    assert threshold_for("f", [right(0.4), right(0.9)], 0.9).threshold == 0.0
    assert threshold_for("f", [wrong(0.95), right(0.4), right(0.9)], 0.6).threshold == 0.0
    assert threshold_for("f", [wrong(0.3), wrong(0.5), right(0.8)], 0.9).threshold == 0.8
    assert threshold_for("f", [right(0.3), wrong(0.9)], 0.9).threshold is None
    assert threshold_for("f", [], 0.9).threshold is None


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """The `engage` stand-in."""

    register(app, embedder_factory=WordsEmbedder)
    return app


def test_the_cli_prints_and_writes_the_thresholds_for_the_offline_engine(
    app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calibrate_module, "DEFAULT_CACHE_DIR", tmp_path / "cache")
    out = tmp_path / "thresholds.json"
    result = CliRunner().invoke(
        app,
        [
            "eval",
            str(MINI),
            "--calibrate",
            "--engine",
            "rules",
            "--target-precision",
            "0.9",
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert "Confidence thresholds for precision ≥ 0.90" in result.stdout
    assert '[fields."deal.amount"]' in result.stdout
    written = json.loads(out.read_text())
    assert written["engine"] == "rules"
    assert written["target"] == 0.9
    amount = next(f for f in written["fields"] if f["field"] == "deal.amount")
    assert amount["candidates"] >= 1
    assert amount["threshold"] is not None


def test_the_cli_refuses_replays_and_bad_targets(app: typer.Typer, tmp_path: Path) -> None:
    replay = CliRunner().invoke(
        app, ["eval", str(MINI), "--calibrate", "--engine", f"replay:{tmp_path / 'x.jsonl'}"]
    )
    assert replay.exit_code == 2
    assert "replayed predictions have none" in replay.stderr
    bad = CliRunner().invoke(app, ["eval", str(MINI), "--calibrate", "--target-precision", "2"])
    assert bad.exit_code == 2
