"""The append-only, hash-chained audit log, and how a person's data leaves it without breaking it.

Each entry's hash covers its content, `seq` and `prev_hash`, so editing, deleting or reordering
any stored row breaks the chain at that row. Entries are hashed one of two ways:

- **v1** (entries written before erasure existed, no `salts`): SHA-256 over the canonical JSON of
  the whole entry.
- **v2** (every new entry): SHA-256 over the canonical JSON of a *digest per field*. A field that
  may hold personal data (`ERASABLE_KEYS`: the values before and after, the evidence quote) is
  digested with its own random salt, kept in the entry's `salts`; the other fields unsalted.

**Erasure (GDPR).** Erasing a v2 entry's personal fields replaces each value by a tombstone,
`{"tombstone": "<erasure id>"}`, moves that field's digest into the entry's `erased` and deletes
its salt. The entry keeps its `hash` and `prev_hash`: the hash is recomputed from the remaining
values and the kept digests, so it still verifies, and so does every later link. The erasure is
itself recorded as a new entry at the head of the chain (`object_type` `erasure`), naming each
entry and field it tombstoned, never the person.

Why a tombstone cannot hide an edit: (1) every field that is not a tombstone is hashed from its
present value, so changing it breaks the hash; (2) a tombstoned field is hashed from the digest
of its *original* value, fixed by the hash, so no other value can take its place; (3) without its
salt, a digest says nothing about a guessable value (an email) and cannot be brute-forced; (4) a
tombstone is accepted only on a field that may hold personal data, only with its digest kept,
and only when a *later* erasure entry in the chain names that entry and field, so removing a value
silently, or pointing at an erasure that did not happen, is reported. What remains possible for
someone who can write the database is to destroy a personal value and append an erasure entry
for it: visible in the chain (who, when), and fixed once a chain head beyond it is exported.
v1 entries cannot be tombstoned; erasure reports them.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
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
ERASABLE_KEYS: tuple[str, ...] = ("before", "after", "evidence")
"""Fields that may carry a person's data, salted so they can be tombstoned. Who approved and
which service account wrote stay: they are the accountability the log exists for."""
TOMBSTONE = "tombstone"
ERASURE_TYPE = "erasure"
ERASURE_FIELD = "privacy.erasure"


def _canonical(value: Any) -> Any:
    """Whole floats as integers: stores disagree on whether 45000.0 comes back as 45000."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def _json(value: Any) -> str:
    return json.dumps(_canonical(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def is_tombstone(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {TOMBSTONE}


def field_digest(key: str, value: Any, salt: str = "") -> str:
    """The digest a v2 hash takes for one field."""
    return hashlib.sha256(f"{salt}:{key}:{_json(value)}".encode()).hexdigest()


def new_salts() -> dict[str, str]:
    return {key: secrets.token_hex(16) for key in ERASABLE_KEYS}


def entry_hash(*, seq: int, prev_hash: str, content: Mapping[str, Any]) -> str:
    missing = [k for k in AUDIT_KEYS if k not in content]
    if missing:
        raise ValueError(f"audit entry lacks {', '.join(missing)}")
    salts = content.get("salts")
    if salts is None:
        body: dict[str, Any] = {k: content[k] for k in AUDIT_KEYS}
    else:
        erased: Mapping[str, str] = content.get("erased") or {}
        body = {
            "v": 2,
            "fields": {
                k: erased[k]
                if is_tombstone(content[k]) and k in erased
                else field_digest(k, content[k], salts.get(k, ""))
                for k in AUDIT_KEYS
            },
        }
    body["seq"] = seq
    body["prev_hash"] = prev_hash
    return hashlib.sha256(_json(body).encode("utf-8")).hexdigest()


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


def tombstoned(entry: Mapping[str, Any], keys: Iterable[str], erasure_id: str) -> dict[str, Any]:
    """The columns that change when `keys` of `entry` are erased (values, `salts`, `erased`)."""
    salts = entry.get("salts")
    if salts is None:
        raise ValueError(f"entry {entry['seq']} predates salted hashing and cannot be tombstoned")
    wanted = [k for k in keys if not is_tombstone(entry[k])]
    if bad := [k for k in wanted if k not in ERASABLE_KEYS]:
        raise ValueError(f"{', '.join(bad)} cannot be erased from the audit log")
    erased = dict(entry.get("erased") or {})
    kept = dict(salts)
    changes: dict[str, Any] = {}
    for key in wanted:
        erased[key] = field_digest(key, entry[key], kept.pop(key, ""))
        changes[key] = {TOMBSTONE: erasure_id}
    return {**changes, "salts": kept, "erased": erased}


def erasure_content(
    *, erasure_id: str, entries: Mapping[int, Sequence[str]], actor: str, at: str
) -> dict[str, Any]:
    """The chain entry that records an erasure: which entries and fields, by whom; no person."""
    return {
        "target": "engage",
        "object_type": ERASURE_TYPE,
        "object_id": erasure_id,
        "field": ERASURE_FIELD,
        "before": None,
        "after": {"entries": {str(seq): sorted(keys) for seq, keys in sorted(entries.items())}},
        "approved_by": actor,
        "written_by": "engage",
        "written_at": at,
        "meeting_id": "",
        "proposal_id": "",
        "change_id": erasure_id,
        "model": "",
        "prompt_version": "",
        "evidence": None,
    }


@dataclass(frozen=True, kw_only=True)
class ChainVerdict:
    ok: bool
    checked: int
    bad_seq: int | None = None
    reason: str | None = None
    tombstoned: int = 0
    """Entries holding at least one tombstone (erased personal data), all accounted for."""


def _erasures(entries: Sequence[Mapping[str, Any]]) -> dict[tuple[int, str], tuple[int, str]]:
    """(entry seq, field) → (seq, id) of the erasure entry that names it."""
    found: dict[tuple[int, str], tuple[int, str]] = {}
    for entry in entries:
        if entry["object_type"] != ERASURE_TYPE or entry["field"] != ERASURE_FIELD:
            continue
        named = (entry.get("after") or {}).get("entries") or {}
        for seq, keys in named.items():
            for key in keys:
                found[(int(seq), str(key))] = (int(entry["seq"]), str(entry["change_id"]))
    return found


def _tombstone_problem(
    entry: Mapping[str, Any], erasures: Mapping[tuple[int, str], tuple[int, str]]
) -> str | None:
    seq = int(entry["seq"])
    erased: Mapping[str, str] = entry.get("erased") or {}
    for key in AUDIT_KEYS:
        value = entry[key]
        if not is_tombstone(value):
            if key in erased:
                return f"{key} has an erased digest but still holds a value"
            continue
        record = erasures.get((seq, key))
        if key not in ERASABLE_KEYS or entry.get("salts") is None or key not in erased:
            return f"{key} is tombstoned where no erasure is allowed"
        if record is None or record[0] <= seq or record[1] != value[TOMBSTONE]:
            return f"{key} is tombstoned but no later erasure entry records it"
    return None


def verify_chain(entries: Sequence[Mapping[str, Any]]) -> ChainVerdict:
    """Walk the entries in stored order; report the first one whose link or hash is wrong."""
    erasures = _erasures(entries)
    prev = GENESIS_HASH
    expected_seq = 1
    tombstones = 0
    for count, entry in enumerate(entries):
        seq = int(entry["seq"])

        def bad(reason: str, seq: int = seq, count: int = count) -> ChainVerdict:
            return ChainVerdict(ok=False, checked=count, bad_seq=seq, reason=reason)

        if seq != expected_seq:
            return bad(f"expected entry {expected_seq}, found {seq}")
        if entry["prev_hash"] != prev:
            return bad("prev_hash does not match the previous entry")
        if problem := _tombstone_problem(entry, erasures):
            return bad(problem)
        if entry_hash(seq=seq, prev_hash=prev, content=entry) != entry["hash"]:
            return bad("hash does not match the entry's content")
        tombstones += any(is_tombstone(entry[k]) for k in ERASABLE_KEYS)
        prev = str(entry["hash"])
        expected_seq += 1
    return ChainVerdict(ok=True, checked=len(entries), tombstoned=tombstones)


@dataclass(frozen=True, kw_only=True)
class ChainHead:
    """The last entry of the chain as exported: a later chain must still hold it, unchanged."""

    seq: int
    hash: str
    exported_at: str = ""


def head_problem(entries: Sequence[Mapping[str, Any]], head: ChainHead) -> str | None:
    """Why the chain does not extend an exported head (truncated or rewritten), or None."""
    at = next((e for e in entries if int(e["seq"]) == head.seq), None)
    if at is None:
        last = int(entries[-1]["seq"]) if entries else 0
        return (
            f"the chain ends at entry {last}, but entry {head.seq} was exported"
            f" at {head.exported_at or 'an earlier time'}: entries were removed"
        )
    if at["hash"] != head.hash:
        return f"entry {head.seq} is not the one exported at {head.exported_at}: it was rewritten"
    return None
