"""`engage eval` as RevOps runs it: outputs, the gate's exit code, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from eval.cli import register
from tests.eval.support import FIXTURES, MINI, PRICES, WordsEmbedder


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """The `engage` stand-in: the lead's app registers the same command."""

    register(app, embedder_factory=WordsEmbedder)
    return app


def replay(name: str) -> str:
    return f"replay:{FIXTURES / f'replay_{name}.jsonl'}"


def invoke(app: typer.Typer, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["eval", str(MINI), "--prices", str(PRICES), *args])
    return result.exit_code, result.stdout, result.stderr


def test_writes_json_and_html_and_prints_the_table(app: typer.Typer, tmp_path: Path) -> None:
    out, page = tmp_path / "report.json", tmp_path / "report.html"
    code, stdout, _ = invoke(
        app, "--engine", replay("wrong_values"), "--json", str(out), "--html", str(page)
    )
    assert code == 0
    report = json.loads(out.read_text())
    assert report["metrics"]["field_updates"]["f1"] == 0.2
    assert "Field updates P / R / F1" in stdout
    assert "20.0% / 20.0% / 20.0%" in stdout
    html = page.read_text()
    assert html.startswith("<!doctype html>")
    assert "<link" not in html
    assert "<script" not in html
    assert "src=" not in html
    assert "wrong value" in html
    assert "false positive" in html
    assert "missed" in html
    assert "I&#39;ve been promoted to VP of Operations" in html  # evidence quotes, escaped


def test_the_gate_fails_with_exit_1_naming_the_metrics(app: typer.Typer, tmp_path: Path) -> None:
    base = tmp_path / "base.json"
    assert invoke(app, "--engine", replay("perfect"), "--json", str(base))[0] == 0
    code, _, stderr = invoke(
        app, "--engine", replay("wrong_values"), "--baseline", str(base), "--max-drop", "0.02"
    )
    assert code == 1
    assert "gate failed" in stderr
    assert "field_updates.f1: 1 → 0.2" in stderr
    code, _, stderr = invoke(app, "--engine", replay("perfect"), "--baseline", str(base))
    assert code == 0
    assert "gate passed" in stderr


def test_limit_scores_a_prefix(app: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    assert invoke(app, "--engine", replay("perfect"), "--limit", "1", "--json", str(out))[0] == 0
    assert [c["id"] for c in json.loads(out.read_text())["calls"]] == ["fx-1"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--engine", "replay:/nowhere/p.jsonl"], "cannot read predictions"),
        (["--engine", "bogus"], "unknown engine 'bogus'"),
        (["--engine", "replay:x", "--baseline", "/nowhere/base.json"], "cannot read baseline"),
    ],
)
def test_bad_input_exits_2_with_a_reason(app: typer.Typer, args: list[str], message: str) -> None:
    code, _, stderr = invoke(app, *args)
    assert code == 2
    assert message in stderr


def test_a_bad_dataset_line_exits_2_naming_the_line(app: typer.Typer, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    fourth = json.loads(MINI.read_text().splitlines()[2])
    fourth.update(id="fx-4", transcript=[])
    bad.write_text(MINI.read_text() + json.dumps(fourth) + "\n")
    result = CliRunner().invoke(app, ["eval", str(bad), "--engine", replay("perfect")])
    assert result.exit_code == 2
    assert f"{bad}:4 (fx-4): transcript needs at least 1 item(s)" in result.stderr


def test_predictions_for_unknown_calls_are_refused(app: typer.Typer, tmp_path: Path) -> None:
    stray = tmp_path / "stray.jsonl"
    stray.write_text('{"id": "fx-404", "summary": "?"}\n')
    code, _, stderr = invoke(app, "--engine", f"replay:{stray}")
    assert code == 2
    assert "fx-404" in stderr


def test_a_call_without_a_prediction_is_scored_empty(app: typer.Typer, tmp_path: Path) -> None:
    partial = tmp_path / "partial.jsonl"
    partial.write_text((FIXTURES / "replay_perfect.jsonl").read_text().splitlines()[0] + "\n")
    out = tmp_path / "r.json"
    assert invoke(app, "--engine", f"replay:{partial}", "--json", str(out))[0] == 0
    report = json.loads(out.read_text())
    assert report["metrics"]["field_updates"]["fn"] == 2
    assert report["calls"][1]["error"] == "no prediction for this call in the replay file"
