"""What the admin dashboard shows, ready for its template: numbers as text and charts as SVG
geometry, so the page is plain server-rendered HTML with inline SVG (no script, no build step).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agent.db.tables import AlertRow
from agent.observability.health import (
    AGE_BUCKETS,
    ConnectorHealth,
    HealthNumbers,
    RepQueue,
)

CHART_W, CHART_H, PAD = 224, 64, 14


@dataclass(frozen=True, kw_only=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    tip: str


@dataclass(frozen=True, kw_only=True)
class Chart:
    title: str
    bars: tuple[Bar, ...]
    width: int = CHART_W
    height: int = CHART_H
    guide_y: float | None = None
    """A threshold line (e.g. the quota alert at 60 %), in chart coordinates."""
    guide_label: str = ""
    empty_text: str = "no data this week"
    empty: bool = False
    """True when no point has a value (a zero is a value, drawn as a stub)."""


@dataclass(frozen=True, kw_only=True)
class NumberRow:
    name: str
    day: str
    week: str
    chart: Chart


@dataclass(frozen=True, kw_only=True)
class ConnectorView:
    crm: str
    rows: tuple[NumberRow, ...]
    last_sync: str


def pct(value: float | None) -> str:
    return "no data" if value is None else f"{value:.1%}"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "no data"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def bar_chart(
    title: str,
    points: Sequence[tuple[str, float | None, str]],
    *,
    top: float | None = None,
    guide: float | None = None,
    guide_label: str = "",
    empty_text: str = "no data this week",
) -> Chart:
    """Bars scaled to `top` (else the largest value); a None value draws no bar."""
    values = [v for _, v, _ in points if v is not None]
    scale = top if top is not None else (max([*values, 0.0]) or 1.0)
    plot_h = CHART_H - PAD
    step = CHART_W / max(len(points), 1)
    bars = []
    for i, (label, value, tip) in enumerate(points):
        height = 0.0 if value is None else max(plot_h * value / scale, 1.5)
        bars.append(
            Bar(
                x=round(i * step + step * 0.15, 1),
                y=round(plot_h - height, 1),
                width=round(step * 0.7, 1),
                height=round(height, 1),
                label=label,
                tip=tip,
            )
        )
    guide_y = None
    if guide is not None and values:
        guide_y = round(plot_h - plot_h * min(guide / scale, 1.0), 1)
    return Chart(
        title=title,
        bars=tuple(bars),
        guide_y=guide_y,
        guide_label=guide_label,
        empty_text=empty_text,
        empty=not values,
    )


Metric = Callable[[HealthNumbers], float | None]


def _conflicts(numbers: HealthNumbers) -> float | None:
    """The count, or None on a day when no change was decided at all."""
    return None if numbers.conflict_rate is None else float(numbers.conflicts)


_NUMBERS: tuple[tuple[str, Metric, Callable[[float | None], str], float | None], ...] = (
    ("Sync success rate", lambda n: n.sync_success_rate, pct, 1.0),
    ("Event-to-CRM latency (median)", lambda n: n.latency_p50_s, duration, None),
    ("Duplicate rate", lambda n: n.duplicate_rate, pct, 1.0),
    ("Overwrite conflicts", _conflicts, lambda v: "no data" if v is None else f"{v:.0f}", None),
    ("API quota use (peak)", lambda n: n.quota_peak, pct, 1.0),
)


def _detail(name: str, numbers: HealthNumbers, text: str) -> str:
    """The figure with what it is made of, so 100 % of 1 is not read as 100 % of 1000."""
    if name.startswith("Sync"):
        return f"{text} ({numbers.writes_ok} of {numbers.writes_ok + numbers.writes_failed})"
    if name.startswith("Event"):
        p95 = duration(numbers.latency_p95_s)
        return text if numbers.latency_p95_s is None else f"{text} (p95 {p95})"
    if name.startswith("Duplicate"):
        asked = numbers.creations + numbers.duplicates
        return f"{text} ({numbers.duplicates} of {asked})"
    if name.startswith("Overwrite"):
        return f"{text} ({pct(numbers.conflict_rate)} of decided changes)"
    return text


def connector_view(health: ConnectorHealth, *, now: datetime, quota_guide: float) -> ConnectorView:
    rows = []
    for name, metric, show, top in _NUMBERS:
        points = [
            (f"{end:%a}", metric(n), f"24 h to {end:%a %d %b %H:%M}: {show(metric(n))}")
            for end, n in health.daily
        ]
        guide = quota_guide if name.startswith("API quota") else None
        chart = bar_chart(
            name, points, top=top, guide=guide, guide_label=f"alert at {quota_guide:.0%}"
        )
        rows.append(
            NumberRow(
                name=name,
                day=_detail(name, health.day, show(metric(health.day))),
                week=_detail(name, health.week, show(metric(health.week))),
                chart=chart,
            )
        )
    last = health.last_sync_at
    since = "never" if last is None else f"{duration((now - last).total_seconds())} ago"
    return ConnectorView(crm=health.crm, rows=tuple(rows), last_sync=since)


def waiting_chart(queues: Sequence[RepQueue]) -> Chart:
    totals = {label: 0 for label, _ in AGE_BUCKETS}
    for queue in queues:
        for label, count in queue.by_age.items():
            totals[label] += count
    points = [(label, float(n) or None, f"{label}: {n} waiting") for label, n in totals.items()]
    return bar_chart("Proposals waiting, by age", points, empty_text="nothing waiting")


def alert_views(rows: Sequence[AlertRow], now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "kind": row.kind,
            "message": row.message,
            "since": duration((now - row.first_at).total_seconds()),
        }
        for row in rows
    ]
