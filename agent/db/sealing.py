"""Transcripts encrypted at rest, transparently for everything that reads `TranscriptRow`.

With a cipher configured (`Database.carry(transcript_cipher=…)`, from `ENGAGE_SECRET_KEY`), a
transcript row's segments are stored only as a Fernet token in `sealed` and `segments` is stored
empty; loading a row decrypts it back into `segments`, so services read and write plain segments
as before. Rows written before a key was set stay readable in clear until `engage keys rotate`
seals them. A sealed row met without the key, or with a key that did not seal it, is a
configuration error, never an empty transcript.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import InvalidToken, MultiFernet
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified, set_committed_value

from agent.db.engine import Database
from agent.db.tables import TranscriptRow
from agent.errors import ConfigError

CIPHER = "transcript_cipher"
_PENDING = "engage.sealed_rows"


def seal_transcripts(db: Database, cipher: MultiFernet | None) -> None:
    db.carry(**{CIPHER: cipher})


def reseal(row: TranscriptRow) -> None:
    """Have the next flush encrypt the row again under the first key (rotation)."""
    flag_modified(row, "segments")


def _cipher(session: Session | None) -> MultiFernet | None:
    found = session.info.get(CIPHER) if session is not None else None
    return found if isinstance(found, MultiFernet) else None


def _unseal(row: TranscriptRow, session: Session | None) -> None:
    if row.sealed is None:
        return
    cipher = _cipher(session)
    if cipher is None:
        raise ConfigError(
            f"transcript {row.id} is encrypted at rest: set ENGAGE_SECRET_KEY to the key it was"
            " sealed with"
        )
    try:
        plain = json.loads(cipher.decrypt(row.sealed.encode()))
    except InvalidToken:
        raise ConfigError(
            f"transcript {row.id} was encrypted with a key that is not in ENGAGE_SECRET_KEY"
        ) from None
    set_committed_value(row, "segments", plain)


@event.listens_for(TranscriptRow, "load")
def _on_load(row: TranscriptRow, context: Any) -> None:
    _unseal(row, context.session)


@event.listens_for(TranscriptRow, "refresh")
def _on_refresh(row: TranscriptRow, context: Any, attrs: Any) -> None:
    _unseal(row, context.session)


@event.listens_for(Session, "before_flush")
def _seal(session: Session, flush_context: Any, instances: Any) -> None:
    cipher = _cipher(session)
    if cipher is None:
        return
    for row in [*session.new, *session.dirty]:
        if not isinstance(row, TranscriptRow):
            continue
        changed = row in session.new or inspect(row).attrs.segments.history.has_changes()
        if not changed and row.sealed is not None:
            continue
        plain = row.segments
        row.sealed = cipher.encrypt(json.dumps(plain).encode()).decode()
        row.segments = []
        session.info.setdefault(_PENDING, []).append((row, plain))


@event.listens_for(Session, "after_flush_postexec")
def _restore(session: Session, flush_context: Any) -> None:
    """After the write, the objects in memory hold plain segments again."""
    for row, plain in session.info.pop(_PENDING, []):
        set_committed_value(row, "segments", plain)
