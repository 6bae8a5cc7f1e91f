"""What a system said about one call, in the one shape the metrics score.

Predictions come from two places: the service's own extraction (engine output after validation,
exactly what a rep would see) or a replay file of stored predictions. A replay is scored as
given, with no validation dropping anything first, so the evidence metric sees what the system
really said.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.domain.models import EngineOutput, FieldValueT, ValidatedExtraction
from eval.dataset import DatasetError, Step


@dataclass(frozen=True, kw_only=True)
class PredictedUpdate:
    field: str
    value: FieldValueT
    contact: str | None
    quote: str


@dataclass(frozen=True, kw_only=True)
class Prediction:
    """One call's predictions plus what running it cost; `error` is set when the run failed."""

    summary: str = ""
    next_steps: tuple[Step, ...] = ()
    field_updates: tuple[PredictedUpdate, ...] = ()
    dropped: tuple[str, ...] = ()
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float | None = None
    model: str | None = None
    prompt_version: str | None = None
    cached: bool = False
    error: str | None = None


def from_extraction(
    output: EngineOutput, validated: ValidatedExtraction, *, cached: bool = False
) -> Prediction:
    """The rep's view of one run: validated changes, with the engine's usage and latency."""
    return Prediction(
        summary=validated.summary,
        next_steps=tuple(
            Step(owner=s.owner, action=s.action, due=s.due) for s in validated.next_steps
        ),
        field_updates=tuple(
            PredictedUpdate(
                field=c.field, value=c.after, contact=c.contact_email, quote=c.evidence.quote
            )
            for c in validated.changes
        ),
        dropped=(
            *(f"{d.field}: {d.reason}" for d in validated.dropped),
            *(
                f"{m.change.field}: mentioned, not proposed: {m.reason}"
                for m in validated.mentioned
            ),
        ),
        prompt_tokens=output.usage.prompt,
        completion_tokens=output.usage.completion,
        latency_s=output.latency_s,
        model=output.model,
        prompt_version=output.prompt_version,
        cached=cached,
    )


def load_predictions(path: Path) -> dict[str, Prediction]:
    """A replay file by call id; a bad line fails with its file and line number."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DatasetError(f"cannot read predictions {path}: {exc.strerror or exc}") from None
    found: dict[str, Prediction] = {}
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        where = f"{path}:{number}"
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise DatasetError(
                f"{where}: not valid JSON ({exc.msg} at column {exc.colno})"
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
            raise DatasetError(f"{where}: each line must be an object with a string 'id'")
        if data["id"] in found:
            raise DatasetError(f"{where}: a second prediction for {data['id']!r}")
        found[data["id"]] = _replayed(data, where)
    return found


def _replayed(data: Mapping[str, Any], where: str) -> Prediction:
    summary = data.get("summary", "")
    if not isinstance(summary, str):
        raise DatasetError(f"{where}: summary must be a string")
    usage = data.get("usage") or {}
    if not isinstance(usage, dict):
        raise DatasetError(f"{where}: usage must be an object with prompt and completion")
    latency = data.get("latency_s")
    if latency is not None and (isinstance(latency, bool) or not isinstance(latency, int | float)):
        raise DatasetError(f"{where}: latency_s must be a number")
    return Prediction(
        summary=summary,
        next_steps=tuple(
            _replayed_step(s, f"{where}: next_steps[{i}]")
            for i, s in enumerate(_list(data.get("next_steps", []), f"{where}: next_steps"))
        ),
        field_updates=tuple(
            _replayed_update(u, f"{where}: field_updates[{i}]")
            for i, u in enumerate(_list(data.get("field_updates", []), f"{where}: field_updates"))
        ),
        prompt_tokens=_count(usage.get("prompt", 0), f"{where}: usage.prompt"),
        completion_tokens=_count(usage.get("completion", 0), f"{where}: usage.completion"),
        latency_s=float(latency) if latency is not None else None,
        model=str(data["model"]) if data.get("model") else None,
    )


def _list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise DatasetError(f"{where} must be a list")
    return value


def _count(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DatasetError(f"{where} must be a whole number of tokens")
    return value


def _replayed_step(step: object, where: str) -> Step:
    if not isinstance(step, dict) or not isinstance(step.get("action"), str):
        raise DatasetError(f"{where} must be an object with a string 'action'")
    owner, due = step.get("owner") or "", step.get("due")
    if not isinstance(owner, str) or (due is not None and not isinstance(due, str)):
        raise DatasetError(f"{where}: owner must be a string and due a string or null")
    return Step(owner=owner, action=step["action"], due=due)


def _replayed_update(update: object, where: str) -> PredictedUpdate:
    if not isinstance(update, dict) or not isinstance(update.get("field"), str):
        raise DatasetError(f"{where} must be an object with a string 'field'")
    value = update.get("value")
    if isinstance(value, list):
        value = [str(v) for v in value]
    elif value is not None and not isinstance(value, str | int | float | bool):
        raise DatasetError(f"{where}: value must be text, a number or a list of names")
    contact = update.get("contact")
    if contact is not None and not isinstance(contact, str):
        raise DatasetError(f"{where}: contact must be an email or null")
    evidence = update.get("evidence")
    if isinstance(evidence, dict):
        evidence = evidence.get("quote")
    if evidence is not None and not isinstance(evidence, str):
        raise DatasetError(f"{where}: evidence must be a quote or an object with 'quote'")
    return PredictedUpdate(
        field=update["field"], value=value, contact=contact, quote=evidence or ""
    )
