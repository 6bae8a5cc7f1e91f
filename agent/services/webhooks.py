"""The received-events ledger: every accepted webhook delivery is recorded once, by its key.

A redelivery or a replay of the same event finds its row and does nothing more, so a webhook can
be acknowledged as soon as its row exists and the heavy work (downloads, transcription,
extraction) runs later in a job.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agent.db.tables import WebhookEvent
from agent.errors import NotFound
from agent.ids import new_id


def short_key(key: str, limit: int = 200) -> str:
    """A key that fits its column: long ones (Graph ids, etags) become their SHA-256."""
    return key if len(key) <= limit else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True, kw_only=True)
class Recorded:
    id: str
    new: bool
    job_id: str | None = None


def record_event(
    session: Session,
    *,
    source: str,
    event_key: str,
    event_type: str,
    payload: dict[str, Any],
    status: str,
    now: datetime,
) -> Recorded:
    """Insert the event unless its key is known; a concurrent twin loses on the unique key."""
    event_key = short_key(event_key, 300)
    existing = session.scalar(
        select(WebhookEvent).where(
            WebhookEvent.source == source, WebhookEvent.event_key == event_key
        )
    )
    if existing is not None:
        return Recorded(id=existing.id, new=False, job_id=existing.job_id)
    row = WebhookEvent(
        id=new_id("evt"),
        source=source,
        event_key=event_key,
        event_type=event_type[:64],
        payload=payload,
        status=status,
        job_id=None,
        received_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        twin = session.scalar(
            select(WebhookEvent).where(
                WebhookEvent.source == source, WebhookEvent.event_key == event_key
            )
        )
        assert twin is not None
        return Recorded(id=twin.id, new=False, job_id=twin.job_id)
    return Recorded(id=row.id, new=True)


def set_job(session: Session, event_id: str, job_id: str) -> None:
    row = session.get(WebhookEvent, event_id)
    if row is None:
        raise NotFound(f"no webhook event {event_id}")
    row.job_id = job_id
    row.status = "queued"


def event_payload(session: Session, event_id: str) -> dict[str, Any]:
    row = session.get(WebhookEvent, event_id)
    if row is None:
        raise NotFound(f"no webhook event {event_id}")
    return dict(row.payload)
