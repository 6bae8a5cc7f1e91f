"""The eval report: JSON for machines and the gate, a rich table for the terminal, an HTML page.

The JSON's top level is exactly `metrics` and `calls`. Run totals are micro-averages: counts are
summed over calls before any ratio is taken, so a call with many fields weighs more than one
with none. Figures are rounded to four decimals.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from rich.console import Console
from rich.table import Table

from agent.domain.models import FieldValueT, Transcript
from eval.cost import Price, estimate_cost
from eval.dataset import GoldUpdate, Step
from eval.metrics import (
    FAITHFUL_MIN_COSINE,
    KEY_POINT_MIN_COSINE,
    STEP_MIN_COSINE,
    TEXT_MIN_RATIO,
    Counts,
    quote_occurs,
    share,
)
from eval.predictions import PredictedUpdate
from eval.runner import EvalRun
from eval.scoring import CallScore

Report = dict[str, Any]
_TEMPLATES = Path(__file__).with_name("templates")


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _prf(counts: Counts) -> dict[str, Any]:
    return {
        "precision": _r(counts.precision),
        "recall": _r(counts.recall),
        "f1": _r(counts.f1),
        "tp": counts.tp,
        "fp": counts.fp,
        "fn": counts.fn,
    }


def _metrics(scores: Sequence[CallScore]) -> dict[str, Any]:
    """The headline metrics over `scores` (a whole run, or one call)."""
    total = sum((s.fields.counts() for s in scores), Counts())
    fields = sorted({f for s in scores for f in s.fields.fields})
    by_field = {f: _prf(sum((s.fields.counts(f) for s in scores), Counts())) for f in fields}
    pairs = [p for s in scores for p in s.steps.pairs]
    n_gold = sum(len(s.call.gold.next_steps) for s in scores)
    n_pred = sum(len(s.prediction.next_steps) for s in scores)
    latencies = [s.prediction.latency_s for s in scores if s.prediction.latency_s is not None]
    return {
        "field_updates": {**_prf(total), "by_field": by_field},
        "unchanged_violations": sum(len(s.violations) for s in scores),
        "evidence_validity": _r(
            share(sum(sum(s.evidence_ok) for s in scores), sum(len(s.evidence_ok) for s in scores))
        ),
        "next_steps": {
            "precision": _r(share(len(pairs), n_pred)),
            "recall": _r(share(len(pairs), n_gold)),
            "owner_accuracy": _r(share(sum(p.owner_ok for p in pairs), len(pairs))),
            "due_accuracy": _r(share(sum(p.due_ok for p in pairs), len(pairs))),
        },
        "summary": {
            "key_point_coverage": _r(
                share(
                    sum(sum(s.key_points) for s in scores), sum(len(s.key_points) for s in scores)
                )
            ),
            "faithfulness": _r(
                share(sum(sum(s.faithful) for s in scores), sum(len(s.faithful) for s in scores))
            ),
        },
        "seconds_per_call": _r(sum(latencies) / len(latencies)) if latencies else None,
        "tokens": {
            "prompt": sum(s.prediction.prompt_tokens for s in scores),
            "completion": sum(s.prediction.completion_tokens for s in scores),
        },
    }


def _gold_json(g: GoldUpdate) -> dict[str, Any]:
    return {"field": g.field, "contact": g.contact, "value": g.value}


def _pred_json(p: PredictedUpdate, transcript: Transcript) -> dict[str, Any]:
    return {
        "field": p.field,
        "contact": p.contact,
        "value": p.value,
        "quote": p.quote,
        "evidence_ok": quote_occurs(p.quote, transcript),
    }


def _step_json(s: Step) -> dict[str, Any]:
    return {"owner": s.owner, "action": s.action, "due": s.due}


def _field_diff(score: CallScore) -> dict[str, Any]:
    match, said = score.fields, score.call.transcript
    return {
        "hits": [{"gold": _gold_json(g), "predicted": _pred_json(p, said)} for g, p in match.hits],
        "wrong": [
            {"gold": _gold_json(g), "predicted": _pred_json(p, said)} for g, p in match.wrong
        ],
        "missed": [_gold_json(g) for g in match.missed],
        "extra": [_pred_json(p, said) for p in match.extra],
        "unscored": [_pred_json(p, said) for p in match.unscored],
        "dropped_by_validation": list(score.prediction.dropped),
    }


def _steps_diff(score: CallScore) -> dict[str, Any]:
    pairs = [
        {
            "gold": _step_json(p.gold),
            "predicted": _step_json(p.predicted),
            "cosine": round(p.cosine, 3),
            "owner_ok": p.owner_ok,
            "due_ok": p.due_ok,
        }
        for p in score.steps.pairs
    ]
    return {
        "pairs": pairs,
        "missed": [_step_json(s) for s in score.steps.missed],
        "extra": [_step_json(s) for s in score.steps.extra],
    }


def call_entry(score: CallScore) -> dict[str, Any]:
    """One call's metrics and its gold/predicted diff."""
    pred = score.prediction
    sentences = zip(score.summary_sentences, score.faithful, strict=True)
    points = zip(score.call.gold.key_points, score.key_points, strict=True)
    return {
        "id": score.call.id,
        "error": pred.error,
        "cached": pred.cached,
        "metrics": _metrics([score]),
        "field_updates": _field_diff(score),
        "unchanged_violations": [_pred_json(p, score.call.transcript) for p in score.violations],
        "next_steps": _steps_diff(score),
        "summary": {
            "text": pred.summary,
            "sentences": [{"text": t, "supported": f} for t, f in sentences],
            "key_points": [{"text": t, "covered": c} for t, c in points],
        },
    }


def build_report(run: EvalRun, *, prices: Mapping[str, Price]) -> Report:
    metrics = _metrics(run.scores)
    tokens = metrics["tokens"]
    cost = estimate_cost(run.model, tokens["prompt"], tokens["completion"], prices)
    metrics["estimated_cost_usd"] = None if cost is None else round(cost, 6)
    metrics["run"] = {
        "dataset": run.dataset,
        "engine": run.engine,
        "model": run.model,
        "prompt_version": run.prompt_version,
        "calls": len(run.scores),
        "errors": sum(1 for s in run.scores if s.prediction.error),
        "cached_calls": sum(1 for s in run.scores if s.prediction.cached),
        "wall_seconds": round(run.wall_seconds, 2),
        "embedder": run.embedder,
        "embedder_load_seconds": _r(run.embedder_load_seconds),
        "thresholds": {
            "text_ratio": TEXT_MIN_RATIO,
            "next_step_cosine": STEP_MIN_COSINE,
            "key_point_cosine": KEY_POINT_MIN_COSINE,
            "faithfulness_cosine": FAITHFUL_MIN_COSINE,
        },
    }
    return {"metrics": metrics, "calls": [call_entry(s) for s in run.scores]}


def write_json(report: Report, path: Path) -> None:
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def fmt(value: object) -> str:
    """A figure as people read it: shares as percentages, missing as an em dash."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1%}" if 0.0 <= value <= 1.0 else f"{value:.2f}"
    return str(value)


def headline_rows(report: Report) -> list[tuple[str, str]]:
    m = report["metrics"]
    fu, ns, sm = m["field_updates"], m["next_steps"], m["summary"]
    cost = m["estimated_cost_usd"]
    return [
        (
            "Field updates P / R / F1",
            f"{fmt(fu['precision'])} / {fmt(fu['recall'])} / {fmt(fu['f1'])}",
        ),
        ("Field updates TP / FP / FN", f"{fu['tp']} / {fu['fp']} / {fu['fn']}"),
        ("Unchanged violations", str(m["unchanged_violations"])),
        ("Evidence validity", fmt(m["evidence_validity"])),
        ("Next steps P / R", f"{fmt(ns['precision'])} / {fmt(ns['recall'])}"),
        (
            "Next steps owner / due accuracy",
            f"{fmt(ns['owner_accuracy'])} / {fmt(ns['due_accuracy'])}",
        ),
        ("Summary key-point coverage", fmt(sm["key_point_coverage"])),
        ("Summary faithfulness", fmt(sm["faithfulness"])),
        (
            "Seconds per call",
            "—" if m["seconds_per_call"] is None else f"{m['seconds_per_call']:.3f}",
        ),
        ("Tokens prompt / completion", f"{m['tokens']['prompt']} / {m['tokens']['completion']}"),
        ("Estimated cost (USD)", "—" if cost is None else f"{cost:.4f}"),
    ]


def print_table(report: Report, console: Console) -> None:
    run = report["metrics"]["run"]
    title = (
        f"engage eval · {run['engine']} · {run['calls']} calls"
        f" · {run['errors']} errors · {run['wall_seconds']} s"
    )
    table = Table(title=title, show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in headline_rows(report):
        table.add_row(name, value)
    console.print(table)
    fields = Table(title="Field updates by field")
    for column in ("field", "P", "R", "F1", "TP", "FP", "FN"):
        fields.add_column(column, justify="left" if column == "field" else "right")
    for name, f in report["metrics"]["field_updates"]["by_field"].items():
        fields.add_row(
            name,
            fmt(f["precision"]),
            fmt(f["recall"]),
            fmt(f["f1"]),
            str(f["tp"]),
            str(f["fp"]),
            str(f["fn"]),
        )
    console.print(fields)


def _show(value: FieldValueT) -> str:
    if isinstance(value, list):
        return ", ".join(value) if value else "(none)"
    if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
        return f"{value:,.0f}"
    return "(none)" if value is None else str(value)


def render_html(report: Report) -> str:
    """One self-contained page: inline CSS, inline bars, no external assets."""
    env = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = fmt
    env.filters["show"] = _show
    template = env.get_template("report.html.j2")
    return template.render(report=report, headline=headline_rows(report))


def write_html(report: Report, path: Path) -> None:
    path.write_text(render_html(report), encoding="utf-8")
