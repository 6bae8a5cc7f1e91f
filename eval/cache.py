"""A disk cache of engine responses, so a rerun of the eval is free and CI is deterministic.

The cache sits between `run_extraction` and the engine, as an engine itself: validation still
runs on every call, so a change to the validator shows in the next run even on a warm cache.
Responses are keyed by engine, model, prompt version, the hash of the whole request and a
fingerprint of the engine's code and prompt files, so editing either makes old entries miss.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from agent.domain.models import (
    EngineOutput,
    Evidence,
    NextStep,
    RawFieldUpdate,
    TokenUsage,
)
from agent.domain.ports import ExtractionEngine, ExtractionRequest

DEFAULT_CACHE_DIR = Path(__file__).with_name(".cache")
_PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


def _digest(data: object) -> str:
    text = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def request_hash(request: ExtractionRequest) -> str:
    """Everything the engine sees: transcript, CRM context, meeting date, policy, prompt."""
    return _digest(dataclasses.asdict(request))


def engine_fingerprint(engine: object) -> str:
    """Hash of the Python files beside the engine's class and of the prompt templates."""
    module = inspect.getmodule(type(engine))
    files: list[Path] = []
    if module is not None and getattr(module, "__file__", None):
        files.extend(sorted(Path(str(module.__file__)).parent.glob("*.py")))
    if _PROMPTS_DIR.is_dir():
        files.extend(sorted(_PROMPTS_DIR.rglob("*.j2")))
    sha = hashlib.sha256()
    for path in files:
        sha.update(path.name.encode())
        sha.update(path.read_bytes())
    return sha.hexdigest()[:16]


def output_to_json(output: EngineOutput) -> dict[str, Any]:
    return dataclasses.asdict(output)


def output_from_json(data: dict[str, Any]) -> EngineOutput:
    def evidence(raw: dict[str, Any] | None) -> Evidence | None:
        if raw is None:
            return None
        return Evidence(
            quote=raw["quote"],
            segment_indices=tuple(raw.get("segment_indices", ())),
            speaker=raw.get("speaker"),
            start=raw.get("start"),
        )

    return EngineOutput(
        summary=data["summary"],
        next_steps=tuple(
            NextStep(
                owner=s["owner"],
                action=s["action"],
                due=s.get("due"),
                evidence=evidence(s.get("evidence")),
            )
            for s in data["next_steps"]
        ),
        field_updates=tuple(
            RawFieldUpdate(
                field=u["field"],
                value=u["value"],
                evidence=evidence(u["evidence"]) or Evidence(quote=""),
                contact=u.get("contact"),
                confidence=u.get("confidence", 0.5),
            )
            for u in data["field_updates"]
        ),
        engine=data["engine"],
        model=data["model"],
        prompt_version=data["prompt_version"],
        usage=TokenUsage(**data.get("usage", {})),
        latency_s=data.get("latency_s", 0.0),
        repaired=data.get("repaired", False),
    )


class CachingEngine:
    """An `ExtractionEngine` that answers from disk when it has seen the same request before.

    `last_was_hit()` tells the calling thread whether its latest `extract` came from the cache.
    """

    def __init__(
        self, inner: ExtractionEngine, *, root: Path, model: str, enabled: bool = True
    ) -> None:
        self._inner = inner
        self._root = root / inner.name
        self._model = model
        self._enabled = enabled
        self._fingerprint = engine_fingerprint(inner)
        self._local = threading.local()

    @property
    def name(self) -> str:
        return self._inner.name

    def key(self, request: ExtractionRequest) -> str:
        return _digest(
            {
                "engine": self._inner.name,
                "model": self._model,
                "prompt_version": request.prompt_version,
                "input": request_hash(request),
                "code": self._fingerprint,
            }
        )

    def last_was_hit(self) -> bool:
        return bool(getattr(self._local, "hit", False))

    def extract(self, request: ExtractionRequest) -> EngineOutput:
        path = self._root / f"{self.key(request)}.json"
        if self._enabled and path.is_file():
            try:
                output = output_from_json(json.loads(path.read_text(encoding="utf-8")))
            except (ValueError, KeyError, TypeError):
                path.unlink(missing_ok=True)
            else:
                self._local.hit = True
                return output
        self._local.hit = False
        output = self._inner.extract(request)
        self._store(path, output)
        return output

    def _store(self, path: Path, output: EngineOutput) -> None:
        """Write atomically: parallel jobs never see half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(output_to_json(output), handle, ensure_ascii=False)
        os.replace(tmp, path)
