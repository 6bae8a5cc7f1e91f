"""Run the dataset through an engine (or replay stored predictions) and score every call.

Engine runs call `agent.services.extract.run_extraction`, the function the service itself uses,
so a figure in the report is a figure of the code that reaches reps. Calls run on `jobs`
threads (engines spend their time waiting on a model endpoint); scoring runs afterwards on
the main thread because it shares one embedding model.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from agent.domain.fields import DEFAULT_POLICY, FieldPolicy
from agent.domain.ports import ExtractionEngine
from agent.errors import EngageError
from eval.cache import DEFAULT_CACHE_DIR, CachingEngine
from eval.dataset import DatasetError, EvalCall
from eval.embeddings import Embedder
from eval.predictions import Prediction, from_extraction, load_predictions
from eval.scoring import CallScore, score_call

REPLAY_PREFIX = "replay:"

Advance = Callable[[], None]


@dataclass(frozen=True, kw_only=True)
class EvalRun:
    """A scored run: what ran, on which calls, and each call's score."""

    dataset: str
    engine: str
    model: str | None
    prompt_version: str | None
    scores: tuple[CallScore, ...]
    wall_seconds: float
    embedder: str
    embedder_load_seconds: float | None = None


@contextmanager
def _progress(console: Console | None, total: int, label: str) -> Iterator[Advance]:
    """A rich progress bar on `console`; with no console, a silent counter."""
    if console is None:
        yield lambda: None
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(label, total=total)
        yield lambda: progress.advance(task)


def replay_predictions(
    calls: Sequence[EvalCall], path: Path, *, known_ids: set[str]
) -> list[Prediction]:
    """Stored predictions in the calls' order; a call without one scores as an empty answer."""
    stored = load_predictions(path)
    unknown = sorted(set(stored) - known_ids)
    if unknown:
        raise DatasetError(
            f"{path}: predictions for calls not in the dataset: {', '.join(unknown)}"
        )
    missing = Prediction(error="no prediction for this call in the replay file")
    return [stored.get(call.id, missing) for call in calls]


def engine_predictions(
    calls: Sequence[EvalCall],
    engine: CachingEngine,
    *,
    prompt_version: str | None,
    policy: FieldPolicy = DEFAULT_POLICY,
    jobs: int = 1,
    advance: Advance = lambda: None,
) -> list[Prediction]:
    """Each call through `run_extraction`; a call the engine fails on keeps its error."""
    from agent.services.extract import run_extraction

    def one(call: EvalCall) -> Prediction:
        try:
            result = run_extraction(
                engine=engine,
                transcript=call.transcript,
                context=call.context,
                meeting_date=call.meeting_date,
                policy=policy,
                prompt_version=prompt_version,
            )
        except EngageError as exc:
            prediction = Prediction(error=f"{type(exc).__name__}: {exc}")
        else:
            prediction = from_extraction(
                result.output, result.validated, cached=engine.last_was_hit()
            )
        advance()
        return prediction

    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="eval") as pool:
        return list(pool.map(one, calls))


def build_cached_engine(
    name: str, *, prompt_version: str | None, cache_dir: Path, use_cache: bool
) -> CachingEngine:
    """The named engine from the service's factory and settings, behind the response cache."""
    from agent.llm.factory import build_engine
    from agent.settings import get_settings

    settings = get_settings()
    engine = build_engine(name, settings, prompt_version=prompt_version)
    model = name
    if name == "openai":
        # The same model name behind another endpoint or output mode answers differently.
        endpoint = settings.openai_base_url or "default endpoint"
        model = f"{settings.engage_llm_model} @ {endpoint} ({settings.engage_llm_structured})"
    return CachingEngine(engine, root=cache_dir, model=model, enabled=use_cache)


def _cached(
    engine: str | ExtractionEngine,
    *,
    model: str | None,
    prompt_version: str | None,
    cache_dir: Path,
    use_cache: bool,
) -> CachingEngine:
    if isinstance(engine, str):
        return build_cached_engine(
            engine, prompt_version=prompt_version, cache_dir=cache_dir, use_cache=use_cache
        )
    return CachingEngine(engine, root=cache_dir, model=model or engine.name, enabled=use_cache)


def run_eval(
    calls: Sequence[EvalCall],
    *,
    engine: str | ExtractionEngine,
    embedder: Embedder,
    dataset: str,
    known_ids: set[str] | None = None,
    prompt_version: str | None = None,
    jobs: int = 1,
    cache_dir: Path = DEFAULT_CACHE_DIR,
    use_cache: bool = True,
    console: Console | None = None,
    model: str | None = None,
) -> EvalRun:
    """Predict (engine name, engine object, or `replay:FILE`) and score every call."""
    started = time.perf_counter()
    label = engine if isinstance(engine, str) else engine.name
    with _progress(console, len(calls), f"{label} · predicting") as advance:
        if isinstance(engine, str) and engine.startswith(REPLAY_PREFIX):
            ids = known_ids if known_ids is not None else {c.id for c in calls}
            path = Path(engine.removeprefix(REPLAY_PREFIX))
            predictions = replay_predictions(calls, path, known_ids=ids)
            for _ in predictions:
                advance()
        else:
            cached = _cached(
                engine,
                model=model,
                prompt_version=prompt_version,
                cache_dir=cache_dir,
                use_cache=use_cache,
            )
            predictions = engine_predictions(
                calls, cached, prompt_version=prompt_version, jobs=jobs, advance=advance
            )
    with _progress(console, len(calls), "scoring") as advance:
        scores = [_scored(c, p, embedder, advance) for c, p in zip(calls, predictions, strict=True)]
    ran = [p for p in predictions if p.error is None]
    return EvalRun(
        dataset=dataset,
        engine=label,
        model=model or next((p.model for p in ran if p.model), None),
        prompt_version=next((p.prompt_version for p in ran if p.prompt_version), prompt_version),
        scores=tuple(scores),
        wall_seconds=time.perf_counter() - started,
        embedder=embedder.name,
        embedder_load_seconds=getattr(embedder, "load_seconds", None),
    )


def _scored(
    call: EvalCall, prediction: Prediction, embedder: Embedder, advance: Advance
) -> CallScore:
    score = score_call(call, prediction, embedder)
    advance()
    return score
