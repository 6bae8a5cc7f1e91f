"""The regression gate: a run fails when it lost more ground against a baseline than allowed.

Shares (precision, recall, F1, accuracies, coverage, validity) fail when they fall by more than
`max_drop` in absolute terms (0.02 = two points), overall and per field. A share the baseline
measured that this run cannot measure any more (null) fails too. `unchanged_violations` fails
on any increase: each one is a field a careful rep said must not move. Comparing runs over
different calls is refused, since their figures do not mean the same thing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.dataset import DatasetError

SHARES = (
    "field_updates.precision",
    "field_updates.recall",
    "field_updates.f1",
    "evidence_validity",
    "next_steps.precision",
    "next_steps.recall",
    "next_steps.owner_accuracy",
    "next_steps.due_accuracy",
    "summary.key_point_coverage",
    "summary.faithfulness",
)


@dataclass(frozen=True, kw_only=True)
class Regression:
    metric: str
    baseline: float | None
    current: float | None

    def __str__(self) -> str:
        now = "not measurable" if self.current is None else f"{self.current:.4g}"
        return f"{self.metric}: {self.baseline:.4g} → {now}"


def load_report(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DatasetError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}: the baseline is not JSON ({exc.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("metrics"), dict):
        raise DatasetError(f"{path}: not an eval report (no 'metrics')")
    return data


def _get(metrics: Mapping[str, Any], path: tuple[str, ...]) -> float | None:
    node: Any = metrics
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return float(node) if isinstance(node, int | float) and not isinstance(node, bool) else None


def _call_ids(report: Mapping[str, Any]) -> set[str]:
    return {str(c.get("id")) for c in report.get("calls", []) if isinstance(c, Mapping)}


def compare_reports(
    baseline: Mapping[str, Any], current: Mapping[str, Any], *, max_drop: float = 0.02
) -> list[Regression]:
    """Every metric that dropped by more than `max_drop` (empty when the gate passes)."""
    if max_drop < 0:
        raise DatasetError("--max-drop must not be negative")
    base_ids, cur_ids = _call_ids(baseline), _call_ids(current)
    if base_ids != cur_ids:
        only = sorted(base_ids ^ cur_ids)[:5]
        raise DatasetError(
            "the baseline scored different calls than this run "
            f"({len(base_ids)} vs {len(cur_ids)}; e.g. {', '.join(only)}): regenerate it"
        )
    base_m, cur_m = baseline["metrics"], current["metrics"]
    fields = base_m.get("field_updates", {}).get("by_field", {})
    paths = [tuple(p.split(".")) for p in SHARES]
    paths += [("field_updates", "by_field", name, "f1") for name in sorted(fields)]
    regressions: list[Regression] = []
    for path in paths:
        before, after = _get(base_m, path), _get(cur_m, path)
        if before is None:
            continue
        if after is None or before - after > max_drop + 1e-9:
            regressions.append(Regression(metric=".".join(path), baseline=before, current=after))
    before_v = _get(base_m, ("unchanged_violations",)) or 0.0
    after_v = _get(cur_m, ("unchanged_violations",)) or 0.0
    if after_v > before_v:
        regressions.append(
            Regression(metric="unchanged_violations", baseline=before_v, current=after_v)
        )
    return regressions
