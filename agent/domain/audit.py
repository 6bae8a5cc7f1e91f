"""The append-only, hash-chained audit log.

Each entry's hash is SHA-256 over its canonical JSON (sorted keys, including `seq` and
`prev_hash`), so editing, deleting or reordering any stored row breaks the chain at that row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

GENESIS_HASH = "0" * 64

AUDIT_KEYS: tuple[str, ...] = (
    "target",
    "object_type",
    "object_id",
    "field",
    "before",
    "after",
    "approved_by",
    "written_by",
    "written_at",
    "meeting_id",
    "proposal_id",
    "change_id",
    "model",
    "prompt_version",
    "evidence",
)
"""The content of an entry; `seq`, `prev_hash` and `hash` are added by the chain."""


def _canonical(value: Any) -> Any:
    """Whole floats as integers: stores disagree on whether 45000.0 comes back as 45000."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def entry_hash(*, seq: int, prev_hash: str, content: Mapping[str, Any]) -> str:
    missing = [k for k in AUDIT_KEYS if k not in content]
    if missing:
        raise ValueError(f"audit entry lacks {', '.join(missing)}")
    body = {k: _canonical(content[k]) for k in AUDIT_KEYS}
    body["seq"] = seq
    body["prev_hash"] = prev_hash
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True, kw_only=True)
class ChainLink:
    seq: int
    prev_hash: str
    hash: str


def next_link(*, last: ChainLink | None, content: Mapping[str, Any]) -> ChainLink:
    seq = 1 if last is None else last.seq + 1
    prev = GENESIS_HASH if last is None else last.hash
    return ChainLink(
        seq=seq, prev_hash=prev, hash=entry_hash(seq=seq, prev_hash=prev, content=content)
    )


@dataclass(frozen=True, kw_only=True)
class ChainVerdict:
    ok: bool
    checked: int
    bad_seq: int | None = None
    reason: str | None = None


def verify_chain(entries: Sequence[Mapping[str, Any]]) -> ChainVerdict:
    """Walk the entries in stored order; report the first one whose link or hash is wrong."""
    prev = GENESIS_HASH
    expected_seq = 1
    for count, entry in enumerate(entries):
        seq = int(entry["seq"])
        if seq != expected_seq:
            return ChainVerdict(
                ok=False,
                checked=count,
                bad_seq=seq,
                reason=f"expected entry {expected_seq}, found {seq}",
            )
        if entry["prev_hash"] != prev:
            return ChainVerdict(
                ok=False,
                checked=count,
                bad_seq=seq,
                reason="prev_hash does not match the previous entry",
            )
        if entry_hash(seq=seq, prev_hash=prev, content=entry) != entry["hash"]:
            return ChainVerdict(
                ok=False,
                checked=count,
                bad_seq=seq,
                reason="hash does not match the entry's content",
            )
        prev = str(entry["hash"])
        expected_seq += 1
    return ChainVerdict(ok=True, checked=len(entries))
