"""Connector facts the health numbers need beyond the store's own tables.

A connector knows when a note or task it was asked to create already existed (its idempotency key
found the earlier one): that is a duplicate prevented. Connectors hold no database, so they count
the fact here; the job queue flushes the buffer into `health_events` after each job, and the
periodic health job and `Runtime.close` catch whatever is left. The buffer is bounded: if nothing
flushes it for a long time, the oldest facts go first (the Prometheus counters still have them).
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Final

from agent.db.engine import Database
from agent.db.tables import HealthEvent
from agent.domain.ports import Clock
from agent.ids import new_id
from agent.observability import metrics

CREATED: Final = "created"
DUPLICATE: Final = "duplicate_prevented"
QUOTA: Final = "quota"

_pending: deque[tuple[str, str, str]] = deque(maxlen=10_000)
_lock = threading.Lock()


def crm_creation(crm: str, kind: str, *, duplicate: bool) -> None:
    """A note or task asked of the CRM: created now, or found from an earlier call."""
    if duplicate:
        metrics.DUPLICATES_PREVENTED.labels(crm=crm, kind=kind).inc()
    else:
        metrics.CRM_CREATIONS.labels(crm=crm, kind=kind).inc()
    with _lock:
        _pending.append((crm, DUPLICATE if duplicate else CREATED, kind))


def drain() -> list[tuple[str, str, str]]:
    """Take every buffered fact (crm, kind, name) out of the buffer."""
    with _lock:
        taken = list(_pending)
        _pending.clear()
    return taken


def flush(db: Database, clock: Clock) -> int:
    """Write the buffered facts, stamped now; returns how many were written."""
    taken = drain()
    if not taken:
        return 0
    now = clock.now()
    try:
        with db.session() as session:
            session.add_all(
                HealthEvent(id=new_id("hev"), at=now, crm=crm, kind=kind, name=name, amount=1.0)
                for crm, kind, name in taken
            )
    except Exception:
        with _lock:
            _pending.extendleft(reversed(taken))
        raise
    return len(taken)
