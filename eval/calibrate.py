"""`engage eval DATASET --calibrate`: the confidence threshold per field that keeps precision up.

Every call runs through the service's own extraction with abstention switched off, so each
proposed change comes with the confidence the service would compare to its field's threshold.
A change is correct when the call's gold labels hold the same field (and contact) with a
matching value, by the eval's own value rules. For each field the threshold is the lowest cut
at which the changes at or above it reach the target precision: the cut that keeps the most
correct changes. When every change of a field is right the cut is 0 (nothing to abstain on);
when no cut reaches the target the field is reported unreachable, and RevOps decides.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from rich.console import Console
from rich.table import Table

from agent.domain.fields import DEFAULT_POLICY, FieldPolicy
from agent.domain.ports import ExtractionEngine
from agent.errors import EngageError, InputError
from eval.cache import DEFAULT_CACHE_DIR
from eval.dataset import EvalCall
from eval.metrics import values_match

__all__ = [
    "Calibration",
    "FieldThreshold",
    "calibrate",
    "print_calibration",
    "run_calibration",
    "write_calibration",
]


@dataclass(frozen=True, kw_only=True)
class Candidate:
    field: str
    confidence: float
    correct: bool


@dataclass(frozen=True, kw_only=True)
class FieldThreshold:
    field: str
    candidates: int
    correct: int
    threshold: float | None
    """None when no cut reaches the target (or the field had no changes)."""
    kept: int = 0
    precision: float | None = None
    """Precision of the changes at or above the threshold."""


@dataclass(frozen=True, kw_only=True)
class Calibration:
    engine: str
    dataset: str
    target: float
    calls: int
    failed_calls: int
    fields: tuple[FieldThreshold, ...]


def open_policy(policy: FieldPolicy = DEFAULT_POLICY) -> FieldPolicy:
    """The policy with every threshold at 0, so nothing is held back for low confidence."""
    return replace(policy, fields=tuple(replace(f, min_confidence=0.0) for f in policy.fields))


def candidates_of(
    calls: Sequence[EvalCall],
    engine: ExtractionEngine,
    *,
    prompt_version: str | None = None,
    policy: FieldPolicy = DEFAULT_POLICY,
) -> tuple[list[Candidate], int]:
    """Every change the service would consider proposing, judged against gold; and how many
    calls the engine failed on."""
    from agent.services.extract import run_extraction

    found: list[Candidate] = []
    failed = 0
    scoring = open_policy(policy)
    for call in calls:
        try:
            result = run_extraction(
                engine=engine,
                transcript=call.transcript,
                context=call.context,
                meeting_date=call.meeting_date,
                policy=scoring,
                prompt_version=prompt_version,
            )
        except EngageError:
            failed += 1
            continue
        for change in result.validated.changes:
            contact = (change.contact_email or "").casefold()
            correct = any(
                gold.field == change.field
                and (gold.contact or "").casefold() == contact
                and values_match(gold.field, gold.value, change.after, policy=policy)
                for gold in call.gold.field_updates
            )
            found.append(
                Candidate(field=change.field, confidence=change.confidence, correct=correct)
            )
    return found, failed


def threshold_for(field: str, found: Sequence[Candidate], target: float) -> FieldThreshold:
    """The lowest cut whose kept changes reach `target` precision."""
    right = sum(1 for c in found if c.correct)
    for cut in sorted({0.0, *(c.confidence for c in found)}):
        kept = [c for c in found if c.confidence >= cut]
        if not kept:
            break
        precision = sum(1 for c in kept if c.correct) / len(kept)
        if precision >= target:
            return FieldThreshold(
                field=field,
                candidates=len(found),
                correct=right,
                threshold=cut,
                kept=len(kept),
                precision=precision,
            )
    return FieldThreshold(field=field, candidates=len(found), correct=right, threshold=None)


def calibrate(
    calls: Sequence[EvalCall],
    engine: ExtractionEngine,
    *,
    target: float,
    dataset: str,
    prompt_version: str | None = None,
    policy: FieldPolicy = DEFAULT_POLICY,
) -> Calibration:
    if not 0.0 < target <= 1.0:
        raise InputError(f"the target precision must be above 0 and at most 1, not {target}")
    found, failed = candidates_of(calls, engine, prompt_version=prompt_version, policy=policy)
    by_field: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in found:
        by_field[candidate.field].append(candidate)
    fields = tuple(
        threshold_for(spec.name, by_field.get(spec.name, []), target) for spec in policy.writable
    )
    return Calibration(
        engine=engine.name,
        dataset=dataset,
        target=target,
        calls=len(calls),
        failed_calls=failed,
        fields=fields,
    )


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def print_calibration(result: Calibration, console: Console) -> None:
    table = Table(
        title=f"Confidence thresholds for precision ≥ {result.target:.2f} "
        f"({result.engine} on {result.dataset}, {result.calls} calls)"
    )
    for column in ("field", "threshold", "precision", "kept", "changes", "correct"):
        table.add_column(column)
    for row in result.fields:
        if row.candidates == 0:
            shown = "no data"
        else:
            shown = "unreachable" if row.threshold is None else f"{row.threshold:.2f}"
        table.add_row(
            row.field,
            shown,
            _share(row.precision),
            str(row.kept),
            str(row.candidates),
            str(row.correct),
        )
    console.print(table)
    if result.failed_calls:
        console.print(f"{result.failed_calls} call(s) failed in the engine and were left out")
    lines = [
        f'[fields."{row.field}"]\nmin_confidence = {row.threshold:.2f}'
        for row in result.fields
        if row.threshold is not None
    ]
    if lines:
        console.print("\nFor the field policy file:\n" + "\n".join(lines), markup=False)


def run_calibration(
    *,
    dataset: Path,
    engine: str,
    prompt: str | None,
    limit: int | None,
    target: float,
    use_cache: bool,
    json_out: Path | None,
    console: Console,
) -> Calibration:
    """The CLI's path: load the dataset, build the named engine behind the eval cache, print."""
    from eval.dataset import load_dataset, select
    from eval.runner import REPLAY_PREFIX, build_cached_engine

    if engine.startswith(REPLAY_PREFIX):
        raise InputError(
            "calibration needs an engine's confidences; replayed predictions have none"
        )
    calls = select(load_dataset(dataset), limit)
    cached = build_cached_engine(
        engine, prompt_version=prompt, cache_dir=DEFAULT_CACHE_DIR, use_cache=use_cache
    )
    result = calibrate(calls, cached, target=target, dataset=str(dataset), prompt_version=prompt)
    print_calibration(result, console)
    if json_out is not None:
        write_calibration(result, json_out)
    return result


def write_calibration(result: Calibration, path: Path) -> None:
    path.write_text(json.dumps(asdict(result), indent=2) + "\n", encoding="utf-8")
