"""Engine runs: through the service's `run_extraction`, the response cache, and failures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.domain.models import EngineOutput, Evidence, RawFieldUpdate
from eval.cost import load_prices
from eval.dataset import load_dataset
from eval.report import build_report
from eval.runner import run_eval
from tests.eval.support import CALLS, MINI, PRICES, ScriptedEngine, WordsEmbedder, scripted_outputs


def run(engine: ScriptedEngine, cache: Path, **kwargs: Any) -> dict[str, Any]:
    result = run_eval(
        load_dataset(MINI),
        engine=engine,
        embedder=WordsEmbedder(),
        dataset=str(MINI),
        cache_dir=cache,
        **kwargs,
    )
    return build_report(result, prices=load_prices(PRICES))


def test_engine_output_goes_through_the_services_validation(tmp_path: Path) -> None:
    outputs = scripted_outputs()
    first = "Thanks for joining, Dana."
    good = outputs[first]
    outputs[first] = EngineOutput(
        **{
            **good.__dict__,
            "field_updates": (
                *good.field_updates,
                RawFieldUpdate(
                    field="deal.stage",
                    value="Closed Won",
                    evidence=Evidence(quote="Dana approved the deal and signed it"),
                ),
                RawFieldUpdate(
                    field="account.name",
                    value="Acme Global",
                    evidence=Evidence(quote="Thanks for joining, Dana."),
                ),
            ),
        }
    )
    report = run(ScriptedEngine(outputs), tmp_path)
    m = report["metrics"]
    assert m["field_updates"]["tp"] == 5
    assert m["field_updates"]["fp"] == 0
    assert m["unchanged_violations"] == 0
    assert m["evidence_validity"] == 1.0
    fx1 = report["calls"][0]
    dropped = fx1["field_updates"]["dropped_by_validation"]
    assert len(dropped) == 2
    assert any(d.startswith("deal.stage:") for d in dropped)
    assert any(d.startswith("account.name:") for d in dropped)
    assert m["tokens"] == {"prompt": 300, "completion": 60}
    assert m["seconds_per_call"] == 0.5
    assert m["run"]["model"] == "scripted-1"


def test_a_rerun_is_answered_from_the_cache(tmp_path: Path) -> None:
    engine = ScriptedEngine(scripted_outputs())
    first = run(engine, tmp_path, jobs=2)
    assert engine.calls == 3
    second = run(engine, tmp_path, jobs=2)
    assert engine.calls == 3
    assert second["metrics"]["run"]["cached_calls"] == 3
    assert second["calls"] == [{**c, "cached": True} for c in first["calls"]]
    fresh = run(engine, tmp_path, use_cache=False)
    assert engine.calls == 6
    assert fresh["metrics"]["run"]["cached_calls"] == 0


def test_the_cache_key_covers_the_prompt_version_and_the_input(tmp_path: Path) -> None:
    engine = ScriptedEngine(scripted_outputs())
    run(engine, tmp_path, prompt_version="v1")
    run(engine, tmp_path, prompt_version="v2")
    assert engine.calls == 6
    entries = list((tmp_path / "scripted").glob("*.json"))
    assert len(entries) == 6


def test_a_corrupt_cache_entry_is_asked_again(tmp_path: Path) -> None:
    engine = ScriptedEngine(scripted_outputs())
    run(engine, tmp_path)
    for entry in (tmp_path / "scripted").glob("*.json"):
        entry.write_text("{not json")
    report = run(engine, tmp_path)
    assert engine.calls == 6
    assert report["metrics"]["field_updates"]["tp"] == 5


def test_a_failing_call_is_reported_and_the_others_are_scored(tmp_path: Path) -> None:
    engine = ScriptedEngine(scripted_outputs(), fail_on="Where did the review land?")
    report = run(engine, tmp_path)
    m = report["metrics"]
    assert m["run"]["errors"] == 1
    fx2 = report["calls"][1]
    assert fx2["error"] == "ExtractionError: the model answered nonsense twice"
    # fx-2's two gold updates count as missed; fx-1's three are found.
    assert (m["field_updates"]["tp"], m["field_updates"]["fn"]) == (3, 2)


@pytest.fixture
def rules_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    from agent.settings import get_settings

    monkeypatch.setenv("ENGAGE_ENGINE", "rules")
    monkeypatch.setenv("ENGAGE_HOME", str(tmp_path / "home"))
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("rules_settings")
def test_the_rules_engine_on_a_slice_of_the_dataset(tmp_path: Path) -> None:
    calls = load_dataset(CALLS)[:10]
    result = run_eval(
        calls, engine="rules", embedder=WordsEmbedder(), dataset=str(CALLS), cache_dir=tmp_path
    )
    report = build_report(result, prices=load_prices())
    m = report["metrics"]
    assert m["run"]["calls"] == 10
    assert m["run"]["errors"] == 0
    assert m["run"]["engine"] == "rules"
    assert m["run"]["prompt_version"].startswith("rules/")
    # What the service proposes has passed the evidence check, so every quote is real.
    assert m["evidence_validity"] in (1.0, None)
    assert m["tokens"] == {"prompt": 0, "completion": 0}
    assert m["estimated_cost_usd"] == 0.0
    fu = m["field_updates"]
    gold = sum(len(c.gold.field_updates) for c in calls)
    assert fu["tp"] + fu["fn"] == gold
    again = build_report(
        run_eval(
            calls, engine="rules", embedder=WordsEmbedder(), dataset=str(CALLS), cache_dir=tmp_path
        ),
        prices=load_prices(),
    )
    assert again["metrics"]["run"]["cached_calls"] == 10
    assert again["metrics"]["field_updates"] == fu
