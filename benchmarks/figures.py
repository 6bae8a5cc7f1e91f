"""The one table `make bench` prints: each figure beside the number it is compared to.

A figure is compared to a documented limit when there is one (Zoom's 3-second webhook deadline,
two CRM calls per record, real time for transcription) and to the previous run saved in
`benchmarks/baseline.json` otherwise (or as well). The run's figures then become the baseline.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

BASELINE = Path(__file__).with_name("baseline.json")


@dataclass(frozen=True, kw_only=True)
class Figure:
    name: str
    value: float | None
    unit: str
    limit: float | None = None
    limit_note: str = ""
    lower_is_better: bool = True
    missing: str = ""
    """Why there is no value (a tool or service this machine lacks)."""


def _number(value: float, unit: str) -> str:
    value = float(value)
    if value.is_integer() or abs(value) >= 10:
        return f"{value:,.0f} {unit}".rstrip()
    return f"{value:,.2f} {unit}".rstrip()


def _versus(figure: Figure, before: float | None) -> tuple[str, str]:
    if figure.value is None:
        return "", figure.missing or "not measured"
    parts, verdicts = [], []
    if figure.limit is not None:
        parts.append(f"limit {_number(figure.limit, figure.unit)} ({figure.limit_note})")
        ok = (
            figure.value <= figure.limit if figure.lower_is_better else figure.value >= figure.limit
        )
        verdicts.append("within limit" if ok else "OVER LIMIT")
    if before is not None:
        parts.append(f"baseline {_number(before, figure.unit)}")
        if before:
            change = (figure.value - before) / abs(before)
            better = change < 0 if figure.lower_is_better else change > 0
            word = "same" if abs(change) < 0.05 else ("better" if better else "worse")
            verdicts.append(f"{change:+.0%} {word}")
    if not parts:
        parts.append("no baseline yet")
    return "; ".join(parts), ", ".join(verdicts)


def load_baseline(path: Path = BASELINE) -> dict[str, float]:
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    return {str(k): float(v) for k, v in data.get("figures", {}).items()}


def save_baseline(figures: Iterable[Figure], path: Path = BASELINE) -> None:
    data = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}",
        "figures": {f.name: round(f.value, 4) for f in figures if f.value is not None},
    }
    path.write_text(json.dumps(data, indent=2) + "\n")


def table(figures: list[Figure], baseline: dict[str, float]) -> str:
    rows = [("figure", "this run", "compared to", "verdict")]
    for figure in figures:
        value = "n/a" if figure.value is None else _number(figure.value, figure.unit)
        against, verdict = _versus(figure, baseline.get(figure.name))
        rows.append((figure.name, value, against, verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
