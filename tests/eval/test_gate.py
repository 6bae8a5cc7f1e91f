"""The regression gate: what counts as a drop, and a worse engine failing against a better one."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from eval.cost import load_prices
from eval.dataset import DatasetError, load_dataset
from eval.gate import compare_reports
from eval.report import build_report
from eval.runner import run_eval
from tests.eval.support import (
    MINI,
    PRICES,
    ScriptedEngine,
    WordsEmbedder,
    replay_report,
    scripted_outputs,
)


def with_metric(report: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    changed = copy.deepcopy(report)
    node = changed["metrics"]
    *parents, last = path.split("/")
    for part in parents:
        node = node[part]
    node[last] = value
    return changed


def test_equal_reports_pass() -> None:
    report = replay_report("perfect")
    assert compare_reports(report, copy.deepcopy(report)) == []


def test_a_drop_of_exactly_the_allowance_passes_and_more_fails() -> None:
    base = replay_report("perfect")
    assert compare_reports(base, with_metric(base, "field_updates/f1", 0.98)) == []
    failed = compare_reports(base, with_metric(base, "field_updates/f1", 0.9799))
    assert [r.metric for r in failed] == ["field_updates.f1"]
    assert str(failed[0]) == "field_updates.f1: 1 → 0.9799"


def test_a_share_that_became_unmeasurable_fails() -> None:
    base = replay_report("perfect")
    failed = compare_reports(base, with_metric(base, "next_steps/precision", None))
    assert [str(r) for r in failed] == ["next_steps.precision: 1 → not measurable"]


def test_any_new_unchanged_violation_fails() -> None:
    base = replay_report("perfect")
    failed = compare_reports(base, with_metric(base, "unchanged_violations", 1), max_drop=0.5)
    assert [r.metric for r in failed] == ["unchanged_violations"]


def test_reports_over_different_calls_are_not_compared() -> None:
    base = replay_report("perfect")
    other = copy.deepcopy(base)
    other["calls"] = other["calls"][:2]
    with pytest.raises(DatasetError, match="different calls"):
        compare_reports(base, other)


def test_worse_replayed_predictions_fail_naming_each_metric() -> None:
    failed = {
        r.metric for r in compare_reports(replay_report("perfect"), replay_report("wrong_values"))
    }
    assert {
        "field_updates.precision",
        "field_updates.recall",
        "field_updates.f1",
        "next_steps.owner_accuracy",
        "next_steps.due_accuracy",
        "field_updates.by_field.deal.amount.f1",
    } <= failed
    assert "field_updates.by_field.deal.competitors.f1" not in failed
    assert "evidence_validity" not in failed


def test_an_engine_change_that_loses_f1_fails_the_gate(tmp_path: Path) -> None:
    calls = load_dataset(MINI)

    def report(engine: ScriptedEngine, cache: str) -> dict[str, Any]:
        run = run_eval(
            calls,
            engine=engine,
            embedder=WordsEmbedder(),
            dataset=str(MINI),
            cache_dir=tmp_path / cache,
        )
        return build_report(run, prices=load_prices(PRICES))

    good = report(ScriptedEngine(scripted_outputs()), "good")
    worse = report(ScriptedEngine(scripted_outputs(with_amount=False)), "worse")
    # The worse engine misses one of five updates: F1 1.0 → 8/9.
    assert worse["metrics"]["field_updates"]["f1"] == round(8 / 9, 4)
    failed = {r.metric for r in compare_reports(good, worse, max_drop=0.02)}
    assert failed == {
        "field_updates.recall",
        "field_updates.f1",
        "field_updates.by_field.deal.amount.f1",
    }
    # A looser allowance forgives the overall drop (0.11), not the amount field's (1.0 → 0.0).
    loose = compare_reports(good, worse, max_drop=0.2)
    assert [r.metric for r in loose] == ["field_updates.by_field.deal.amount.f1"]
