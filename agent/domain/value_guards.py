"""Stage and value guards: the moves a rep should look at twice before approving.

A stage follows the pipeline's order one step at a time; skipping stages or moving back is
flagged unless the evidence itself says so ("let's skip the pilot", "back to negotiation"). A
lost deal may be lost from any stage. An amount moving by more than its field's ratio, a close
date moved into the past or by more than its field's span, are flagged too. A flag never blocks
a change: it tells the rep where the careful look belongs.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Final

from agent.domain.fields import FieldKind, FieldSpec
from agent.domain.models import ChangeFlag, FieldValueT, ProposedChange
from agent.domain.normalize import match_stage

__all__ = ["guard_flags"]

_SKIP_SAID: Final = re.compile(
    r"\b(?:skip\w*|straight (?:in)?to|directly (?:in)?to|jump\w* (?:straight )?to|bypass\w*"
    r"|no need for|without (?:a|the|any)\b)",
    re.IGNORECASE,
)
_BACK_SAID: Final = re.compile(
    r"\b(?:back to|go\w* back|mov\w* back|step\w* back|re-?open\w*|start\w* over|restart\w*"
    r"|again)\b",
    re.IGNORECASE,
)


def guard_flags(
    change: ProposedChange, spec: FieldSpec, *, stages: tuple[str, ...], meeting_date: date
) -> list[ChangeFlag]:
    """Every guard's flag for one change (empty when the move is an ordinary one)."""
    if spec.kind is FieldKind.PICKLIST and spec.name == "deal.stage":
        return _stage_flags(change, stages)
    if spec.kind is FieldKind.AMOUNT:
        return _amount_flags(change, spec)
    if spec.kind is FieldKind.DATE:
        return _date_flags(change, spec, meeting_date)
    return []


def _closed(stages: tuple[str, ...]) -> tuple[str | None, set[str]]:
    """The pipeline's lost stage, and every closed one (won or lost)."""
    lost = match_stage("closed lost", stages)
    won = match_stage("closed won", stages)
    return lost, {s for s in (lost, won) if s is not None}


def _stage_flags(change: ProposedChange, stages: tuple[str, ...]) -> list[ChangeFlag]:
    before, after = change.before, change.after
    if not isinstance(before, str) or not isinstance(after, str):
        return []
    if before not in stages or after not in stages:
        return []
    lost, closed = _closed(stages)
    if after == lost:
        return []
    quote = change.evidence.quote
    start, end = stages.index(before), stages.index(after)
    if before in closed and after not in closed and not _BACK_SAID.search(quote):
        return [
            ChangeFlag(kind="stage_back", message=f"reopens a closed deal ({before} → {after})")
        ]
    if end < start and not _BACK_SAID.search(quote):
        return [
            ChangeFlag(
                kind="stage_back",
                message=f"moves the deal back in the pipeline ({before} → {after})",
            )
        ]
    skipped = [s for s in stages[start + 1 : end] if s not in closed]
    if skipped and not _SKIP_SAID.search(quote):
        return [
            ChangeFlag(
                kind="stage_skip",
                message=f"skips {', '.join(skipped)} ({before} → {after})",
            )
        ]
    return []


def _number(value: FieldValueT) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _amount_flags(change: ProposedChange, spec: FieldSpec) -> list[ChangeFlag]:
    before, after = _number(change.before), _number(change.after)
    limit = spec.max_change_ratio
    if limit is None or before is None or after is None or before <= 0 or after <= 0:
        return []
    ratio = max(after / before, before / after)
    if ratio <= limit:
        return []
    way = "rises" if after > before else "falls"
    return [
        ChangeFlag(
            kind="amount_jump",
            message=(
                f"the amount {way} by a factor of {ratio:.1f} ({before:,.0f} → {after:,.0f}), "
                f"more than the {limit:g}× this field allows without a careful look"
            ),
        )
    ]


def _as_date(value: FieldValueT) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _date_flags(change: ProposedChange, spec: FieldSpec, meeting_date: date) -> list[ChangeFlag]:
    before, after = _as_date(change.before), _as_date(change.after)
    if after is None:
        return []
    flags: list[ChangeFlag] = []
    if after < meeting_date:
        flags.append(
            ChangeFlag(
                kind="date_past",
                message=f"moves the date into the past ({after}, before the call on "
                f"{meeting_date})",
            )
        )
    limit = spec.max_shift_days
    if limit is not None and before is not None and abs((after - before).days) > limit:
        way = "later" if after > before else "earlier"
        flags.append(
            ChangeFlag(
                kind="date_shift",
                message=f"moves the date {abs((after - before).days)} days {way} "
                f"({before} → {after}), more than the {limit} days this field allows without "
                "a careful look",
            )
        )
    return flags
