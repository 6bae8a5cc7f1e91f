"""Canonical values as a rep reads them in a flag's message: 60,000 rather than 60000.0."""

from __future__ import annotations

from agent.domain.models import FieldValueT

__all__ = ["shown"]


def shown(value: FieldValueT) -> str:
    if isinstance(value, list):
        return ", ".join(value) or "none"
    if isinstance(value, bool) or value is None:
        return "nothing" if value is None else str(value)
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, int | float):
        return f"{value:,}"
    return value
