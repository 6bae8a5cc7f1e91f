"""`engage keys rotate`: everything encrypted at rest, re-encrypted under the first key.

Put the new key first in `ENGAGE_SECRET_KEY` and keep the old one after it (`NEW,OLD`), run the
rotation, then remove the old key. Transcripts written before any key was set are sealed too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import InvalidToken, MultiFernet
from sqlalchemy import select

from agent.db.engine import Database
from agent.db.sealing import reseal
from agent.db.tables import TranscriptRow
from agent.errors import ConfigError

BATCH = 200


@dataclass(frozen=True, kw_only=True)
class RotationReport:
    transcripts: int
    token_files: int


def rotate_keys(db: Database, *, cipher: MultiFernet, token_dir: Path) -> RotationReport:
    with db.session() as session:
        ids = list(session.scalars(select(TranscriptRow.id)))
    for start in range(0, len(ids), BATCH):
        with db.session() as session:
            rows = session.scalars(
                select(TranscriptRow).where(TranscriptRow.id.in_(ids[start : start + BATCH]))
            )
            for row in rows:
                reseal(row)
    files = sorted(token_dir.glob("*.fernet")) if token_dir.exists() else []
    for path in files:
        try:
            rotated = cipher.rotate(path.read_bytes())
        except InvalidToken:
            raise ConfigError(
                f"the token file {path} was encrypted with a key that is not in ENGAGE_SECRET_KEY"
            ) from None
        scratch = path.with_suffix(".tmp")
        scratch.write_bytes(rotated)
        scratch.chmod(0o600)
        scratch.replace(path)
    return RotationReport(transcripts=len(ids), token_files=len(files))
