"""Exporting the audit chain's head, so that cutting the chain short is detectable.

A hash chain shows an edited or reordered entry, but not a chain whose last entries were removed:
what is left still links up. So the head (the last entry's `seq` and `hash`) is appended
periodically to a file, `ENGAGE_AUDIT_HEAD_FILE`, which should live on other storage than the
database (a mounted bucket with object lock, another host's disk). `engage audit verify` checks
the chain and then every exported head: each must still be in the chain, with the same hash.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from agent.db import audit_log
from agent.db.engine import Database
from agent.domain.audit import ChainHead, ChainVerdict, head_problem, verify_chain
from agent.errors import InputError


@dataclass(frozen=True, kw_only=True)
class AuditCheck:
    verdict: ChainVerdict
    heads: int
    """How many exported heads were checked against the chain."""
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.verdict.ok and self.problem is None


def read_heads(path: Path) -> list[ChainHead]:
    if not path.exists():
        return []
    heads = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            heads.append(
                ChainHead(
                    seq=int(data["seq"]), hash=str(data["hash"]), exported_at=data["exported_at"]
                )
            )
        except (ValueError, KeyError, TypeError):
            raise InputError(f"the audit head file {path} is damaged at line {number}") from None
    return heads


def export_head(db: Database, path: Path, *, now: datetime) -> ChainHead | None:
    """Append the current head unless it is the last one exported; None for an empty chain."""
    with db.session() as session:
        last = audit_log.head(session)
        if last is None:
            return None
        current = ChainHead(seq=last.seq, hash=last.hash, exported_at=now.isoformat())
    heads = read_heads(path)
    if heads and (heads[-1].seq, heads[-1].hash) == (current.seq, current.hash):
        return heads[-1]
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"seq": current.seq, "hash": current.hash, "exported_at": now.isoformat()})
    with path.open("a", encoding="utf-8") as file:
        file.write(line + "\n")
        file.flush()
        os.fsync(file.fileno())
    return current


def check_audit(db: Database, path: Path) -> AuditCheck:
    """The chain verified, then held against every exported head."""
    with db.session() as session:
        entries = list(audit_log.entries(session))
    verdict = verify_chain(entries)
    heads = read_heads(path)
    for head in heads:
        problem = head_problem(entries, head)
        if problem is not None:
            return AuditCheck(verdict=verdict, heads=len(heads), problem=problem)
    return AuditCheck(verdict=verdict, heads=len(heads))
