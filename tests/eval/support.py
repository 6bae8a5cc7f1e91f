"""Shared helpers for the eval tests: fixture paths, a stand-in embedder, a replay run."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agent.domain.models import EngineOutput, Evidence, NextStep, RawFieldUpdate, TokenUsage
from agent.domain.ports import ExtractionRequest
from agent.errors import ExtractionError
from eval.cost import load_prices
from eval.dataset import load_dataset
from eval.embeddings import Vector
from eval.report import build_report
from eval.runner import run_eval

FIXTURES = Path(__file__).with_name("fixtures")
MINI = FIXTURES / "mini.jsonl"
PRICES = FIXTURES / "prices.json"
CALLS = Path(__file__).resolve().parents[2] / "eval" / "datasets" / "calls.jsonl"


class WordsEmbedder:
    """Bag-of-words counts over the batch's vocabulary: cosines a person can work out by hand.

    Identical texts score 1.0 and texts without a shared word score 0.0, so the metric tests
    check the metrics' arithmetic, not a model's judgement.
    """

    name = "bag of words (test stand-in)"

    def embed(self, texts: Sequence[str]) -> list[Vector]:
        tokens = [re.findall(r"[a-z0-9]+", t.casefold()) for t in texts]
        vocab = {w: i for i, w in enumerate(sorted({w for ws in tokens for w in ws}))}
        vectors: list[Vector] = []
        for words in tokens:
            vector = [0.0] * len(vocab)
            for w in words:
                vector[vocab[w]] += 1.0
            vectors.append(vector)
        return vectors


def replay_report(name: str, *, dataset: Path = MINI) -> dict[str, Any]:
    """The report for a stored replay fixture `replay_<name>.jsonl` over the mini dataset."""
    calls = load_dataset(dataset)
    run = run_eval(
        calls,
        engine=f"replay:{FIXTURES / f'replay_{name}.jsonl'}",
        embedder=WordsEmbedder(),
        dataset=str(dataset),
    )
    return build_report(run, prices=load_prices(PRICES))


FX1_UPDATES = (
    RawFieldUpdate(
        field="deal.amount", value="120,000", evidence=Evidence(quote="the number is now 120,000")
    ),
    RawFieldUpdate(
        field="deal.close_date",
        value="2026-12-15",
        evidence=Evidence(quote="Signature will be on December 15th"),
    ),
    RawFieldUpdate(
        field="contact.title",
        value="VP of Operations",
        contact="dana@acme.com",
        evidence=Evidence(quote="I've been promoted to VP of Operations"),
    ),
)
FX2_UPDATES = (
    RawFieldUpdate(
        field="deal.stage",
        value="Negotiation",
        evidence=Evidence(quote="ready to move into negotiation"),
    ),
    RawFieldUpdate(
        field="deal.competitors",
        value=["Gong", "Chorus"],
        evidence=Evidence(quote="also evaluating Chorus alongside Gong"),
    ),
)


def _output(
    summary: str, steps: Sequence[NextStep], updates: Sequence[RawFieldUpdate]
) -> EngineOutput:
    return EngineOutput(
        summary=summary,
        next_steps=tuple(steps),
        field_updates=tuple(updates),
        engine="scripted",
        model="scripted-1",
        prompt_version="test/v1",
        usage=TokenUsage(prompt=100, completion=20),
        latency_s=0.5,
    )


def scripted_outputs(*, with_amount: bool = True) -> dict[str, EngineOutput]:
    """What a good engine says about each mini call, keyed by the call's first line.

    Values are stated as a model would ("120,000"): the service's validator normalizes them.
    `with_amount=False` is a worse engine that misses fx-1's new amount.
    """
    order_form = NextStep(owner="rep", action="send the revised order form", due="2026-11-20")
    return {
        "Thanks for joining, Dana.": _output(
            "Finance approved the budget: the number is now 120,000 for the first year.",
            [order_form],
            FX1_UPDATES if with_amount else FX1_UPDATES[1:],
        ),
        "Where did the review land?": _output(
            "We are ready to move into negotiation.", [], FX2_UPDATES
        ),
        "What are you using today?": _output("We use Slack and Zoom.", [], []),
    }


class ScriptedEngine:
    """An engine that answers from a script and counts how often it was asked."""

    def __init__(self, outputs: dict[str, EngineOutput], *, fail_on: str | None = None) -> None:
        self._outputs = outputs
        self._fail_on = fail_on
        self._lock = threading.Lock()
        self.calls = 0

    @property
    def name(self) -> str:
        return "scripted"

    def extract(self, request: ExtractionRequest) -> EngineOutput:
        with self._lock:
            self.calls += 1
        first = request.transcript.segments[0].text
        if first == self._fail_on:
            raise ExtractionError("the model answered nonsense twice")
        return self._outputs[first]
