"""Short, prefixed, random identifiers: readable in a CLI, unguessable in a URL."""

from __future__ import annotations

import secrets


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(6)}"
