"""Every headline metric against values worked out by hand for crafted predictions.

The fixture (`fixtures/mini.jsonl`) has three calls with 5 gold field updates (fx-1: amount
120,000, close date 2026-12-15, Dana's title; fx-2: stage Negotiation, competitors Gong+Chorus;
fx-3: none), 3 gold next steps, 4 gold key points, and `unchanged` fields deal.stage (fx-1),
deal.amount (fx-2), deal.amount and deal.close_date (fx-3). The stand-in embedder gives 1.0
for identical texts and 0.0 for texts with no word in common.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.eval.support import replay_report


def by_id(report: dict[str, Any], call_id: str) -> dict[str, Any]:
    return next(c for c in report["calls"] if c["id"] == call_id)


def test_report_has_exactly_the_issue_top_level() -> None:
    report = replay_report("perfect")
    assert set(report) == {"metrics", "calls"}
    m = report["metrics"]
    assert set(m["field_updates"]) == {"precision", "recall", "f1", "tp", "fp", "fn", "by_field"}
    assert set(m["next_steps"]) == {"precision", "recall", "owner_accuracy", "due_accuracy"}
    assert set(m["summary"]) == {"key_point_coverage", "faithfulness"}
    assert set(m["tokens"]) == {"prompt", "completion"}
    assert [c["id"] for c in report["calls"]] == ["fx-1", "fx-2", "fx-3"]


def test_perfect_predictions_score_one_everywhere() -> None:
    m = replay_report("perfect")["metrics"]
    fu = m["field_updates"]
    assert (fu["tp"], fu["fp"], fu["fn"]) == (5, 0, 0)
    assert (fu["precision"], fu["recall"], fu["f1"]) == (1.0, 1.0, 1.0)
    assert set(fu["by_field"]) == {
        "deal.amount",
        "deal.close_date",
        "contact.title",
        "deal.stage",
        "deal.competitors",
    }
    assert all(f["f1"] == 1.0 for f in fu["by_field"].values())
    assert m["unchanged_violations"] == 0
    assert m["evidence_validity"] == 1.0
    assert m["next_steps"] == {
        "precision": 1.0,
        "recall": 1.0,
        "owner_accuracy": 1.0,
        "due_accuracy": 1.0,
    }
    assert m["summary"] == {"key_point_coverage": 1.0, "faithfulness": 1.0}


def test_usage_latency_and_cost_come_from_the_predictions() -> None:
    m = replay_report("perfect")["metrics"]
    # fx-1: 1000 + 200 tokens in 2.0 s, fx-2: 3000 + 300 in 1.0 s, fx-3: nothing reported.
    assert m["tokens"] == {"prompt": 4000, "completion": 500}
    assert m["seconds_per_call"] == 1.5
    # m-test costs 2 USD per million prompt and 10 per million completion tokens.
    assert m["estimated_cost_usd"] == pytest.approx(4000 * 2e-6 + 500 * 10e-6)
    assert m["run"]["model"] == "m-test"


def test_empty_predictions_find_nothing_and_claim_nothing() -> None:
    m = replay_report("empty")["metrics"]
    fu = m["field_updates"]
    assert (fu["tp"], fu["fp"], fu["fn"]) == (0, 0, 5)
    assert fu["precision"] is None  # nothing was claimed: not measurable
    assert (fu["recall"], fu["f1"]) == (0.0, 0.0)
    assert m["unchanged_violations"] == 0
    assert m["evidence_validity"] is None
    assert m["next_steps"] == {
        "precision": None,
        "recall": 0.0,
        "owner_accuracy": None,
        "due_accuracy": None,
    }
    assert m["summary"] == {"key_point_coverage": 0.0, "faithfulness": None}
    assert m["seconds_per_call"] is None


def test_wrong_values_count_once_as_false_positive_and_once_as_false_negative() -> None:
    report = replay_report("wrong_values")
    fu = report["metrics"]["field_updates"]
    # fx-1: amount 90,000 and date 12-16 are wrong (2 FP + 2 FN); the title names Sam, not Dana
    # (1 FP extra + 1 FN missed). fx-2: "negotiation" is not the picklist's "Negotiation"
    # (1 FP + 1 FN); "gong.io" and "Chorus Inc" normalize to the gold names (1 TP).
    assert (fu["tp"], fu["fp"], fu["fn"]) == (1, 4, 4)
    assert (fu["precision"], fu["recall"], fu["f1"]) == (0.2, 0.2, 0.2)
    by_field = fu["by_field"]
    for field in ("deal.amount", "deal.close_date", "deal.stage", "contact.title"):
        assert by_field[field] == {
            "precision": 0.0,
            "recall": 0.0,
            "f1": 0.0,
            "tp": 0,
            "fp": 1,
            "fn": 1,
        }
    assert by_field["deal.competitors"]["f1"] == 1.0
    fx1 = by_id(report, "fx-1")
    assert [w["gold"]["field"] for w in fx1["field_updates"]["wrong"]] == [
        "deal.amount",
        "deal.close_date",
    ]
    assert [e["contact"] for e in fx1["field_updates"]["extra"]] == ["sam@acme.com"]
    assert [g["contact"] for g in fx1["field_updates"]["missed"]] == ["dana@acme.com"]
    assert fx1["metrics"]["field_updates"]["tp"] == 0
    assert fx1["metrics"]["field_updates"]["fp"] == 3


def test_owner_and_due_accuracy_on_matched_steps() -> None:
    ns = replay_report("wrong_values")["metrics"]["next_steps"]
    # All 3 actions match. fx-1: "customer" for a rep step (wrong owner) due a day late (wrong
    # due); "Sam" for Dana's step (wrong owner), no date as in gold (right due). fx-2: "Priya"
    # is the rep's first name, so "rep" is right, and the due date is right.
    assert (ns["precision"], ns["recall"]) == (1.0, 1.0)
    assert ns["owner_accuracy"] == round(1 / 3, 4)
    assert ns["due_accuracy"] == round(2 / 3, 4)


def test_extra_updates_and_touched_unchanged_fields() -> None:
    m = replay_report("extra_updates")["metrics"]
    fu = m["field_updates"]
    # All 5 gold updates found; extras: fx-1 a stage and a second amount, fx-2 an amount, fx-3
    # an amount. fx-3's deal.next_step is not scored.
    assert (fu["tp"], fu["fp"], fu["fn"]) == (5, 4, 0)
    assert fu["precision"] == round(5 / 9, 4)
    assert fu["recall"] == 1.0
    assert fu["f1"] == round(10 / 14, 4)
    assert fu["by_field"]["deal.amount"] == {
        "precision": 0.25,
        "recall": 1.0,
        "f1": 0.4,
        "tp": 1,
        "fp": 3,
        "fn": 0,
    }
    assert fu["by_field"]["deal.stage"]["precision"] == 0.5
    assert "deal.next_step" not in fu["by_field"]
    # fx-1 touches deal.stage, fx-2 and fx-3 touch deal.amount.
    assert m["unchanged_violations"] == 3
    # Every quote occurs in its transcript, the unscored one included: 10 of 10.
    assert m["evidence_validity"] == 1.0


def test_unscored_and_violating_predictions_are_listed_per_call() -> None:
    fx3 = by_id(replay_report("extra_updates"), "fx-3")
    assert [u["field"] for u in fx3["field_updates"]["unscored"]] == ["deal.next_step"]
    assert [v["field"] for v in fx3["unchanged_violations"]] == ["deal.amount"]


def test_missing_and_invented_evidence() -> None:
    report = replay_report("missing_evidence")
    m = report["metrics"]
    # Replay is scored as given: the field updates are all right whatever their evidence.
    assert (m["field_updates"]["tp"], m["field_updates"]["fp"]) == (5, 0)
    # Valid: Dana's title (case and line break differ) and the competitors (curly quotes
    # around it). Invalid: an empty quote, an invented sentence, and "ready" (too short).
    assert m["evidence_validity"] == 0.4
    fx1 = by_id(report, "fx-1")
    flags = {
        h["predicted"]["field"]: h["predicted"]["evidence_ok"] for h in fx1["field_updates"]["hits"]
    }
    assert flags == {"deal.amount": False, "deal.close_date": False, "contact.title": True}
