"""The audit log: append-only in code and in the database, tombstones that cannot hide an edit,
and exported heads that make a truncated chain visible."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from agent.db import audit_log
from agent.domain.audit import (
    AUDIT_KEYS,
    ChainHead,
    erasure_content,
    head_problem,
    new_salts,
    next_link,
    tombstoned,
    verify_chain,
)
from agent.errors import InputError
from agent.runtime import Runtime, build_runtime
from agent.services.audit_head import check_audit, export_head, read_heads
from agent.settings import Settings
from tests.support import FrozenClock

ROOT = Path(__file__).resolve().parents[2]


def content(n: int) -> dict[str, Any]:
    entry: dict[str, Any] = dict.fromkeys(AUDIT_KEYS, "x")
    entry.update(
        field="contact.phone",
        change_id=f"chg_{n}",
        before=f"+1 212 555 01{n:02d}",
        after=f"+1 212 555 02{n:02d}",
        evidence={"quote": f"my number is {n}", "speaker": "Dana Reyes"},
        object_type="contact",
    )
    return entry


def append(entries: list[dict[str, Any]], body: dict[str, Any]) -> None:
    last = None
    if entries:
        tail = entries[-1]
        last = next_link(last=None, content=tail)
        last = type(last)(seq=tail["seq"], prev_hash=tail["prev_hash"], hash=tail["hash"])
    body = {**body, "salts": new_salts(), "erased": None}
    link = next_link(last=last, content=body)
    entries.append({**body, "seq": link.seq, "prev_hash": link.prev_hash, "hash": link.hash})


def chain(length: int) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for n in range(length):
        append(entries, content(n))
    return entries


def erase(entries: list[dict[str, Any]], seq: int, keys: list[str]) -> None:
    """What `engage privacy erase` does: tombstone in place, then record the erasure."""
    entries[seq - 1].update(tombstoned(entries[seq - 1], keys, "era_1"))
    append(
        entries,
        erasure_content(erasure_id="era_1", entries={seq: keys}, actor="dpo@x.com", at="now"),
    )


def test_an_erased_entry_keeps_its_hash_and_the_chain_verifies() -> None:
    entries = chain(3)
    hashes = [e["hash"] for e in entries]
    erase(entries, 2, ["before", "after", "evidence"])
    assert [e["hash"] for e in entries[:3]] == hashes
    assert entries[1]["after"] == {"tombstone": "era_1"}
    assert "after" not in entries[1]["salts"]
    verdict = verify_chain(entries)
    assert (verdict.ok, verdict.checked, verdict.tombstoned) == (True, 4, 1)


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda e: e[1].update(field="deal.amount"), "hash does not match"),
        (lambda e: e[1].update(after=5), "erased digest but still holds a value"),
        (lambda e: e[0].update(after={"tombstone": "era_1"}), "no erasure is allowed"),
        (
            lambda e: e[0].update(tombstoned(e[0], ["before"], "era_1")),
            "no later erasure entry records it",
        ),
        (lambda e: e[1].update(after={"tombstone": "era_2"}), "no later erasure entry"),
        (lambda e: e[1]["erased"].update(after="0" * 64), "hash does not match"),
        (lambda e: e[2].update(erased={"before": "0" * 64}), "erased digest but still holds"),
        (lambda e: e[1].update(approved_by={"tombstone": "era_1"}), "no erasure is allowed"),
        (lambda e: e.pop(3), None),
    ],
)
def test_a_tombstone_cannot_hide_an_edit(tamper: Any, reason: str | None) -> None:
    entries = chain(3)
    erase(entries, 2, ["after"])
    tamper(entries)
    verdict = verify_chain(entries)
    if reason is None:  # the erasure entry removed: its tombstone is now unaccounted for
        assert not verdict.ok
        return
    assert not verdict.ok
    assert reason in (verdict.reason or "")


def test_an_erasure_recorded_before_the_entry_does_not_count() -> None:
    entries = chain(1)
    append(
        entries,
        erasure_content(erasure_id="era_1", entries={3: ["after"]}, actor="a", at="t"),
    )
    append(entries, content(3))
    entries[2].update(tombstoned(entries[2], ["after"], "era_1"))
    verdict = verify_chain(entries)
    assert (verdict.ok, verdict.bad_seq) == (False, 3)


def test_an_entry_from_before_salted_hashing_cannot_be_tombstoned() -> None:
    legacy = {**content(1), "seq": 1, "prev_hash": "0" * 64, "hash": "h"}
    with pytest.raises(ValueError, match="predates salted hashing"):
        tombstoned(legacy, ["after"], "era_1")


def test_an_exported_head_shows_a_truncated_or_rewritten_chain() -> None:
    entries = chain(4)
    head = ChainHead(seq=4, hash=entries[3]["hash"], exported_at="2026-11-20T16:00:00+00:00")
    assert head_problem(entries, head) is None
    assert "entries were removed" in (head_problem(entries[:3], head) or "")
    rewritten = chain(4)
    assert "it was rewritten" in (head_problem(rewritten, head) or "")


def test_no_code_path_updates_or_deletes_audit_entries() -> None:
    """No statement in the application updates or deletes the table; the only assignment to an
    entry's columns is `audit_log.tombstone`, which the database triggers also police."""
    writes = re.compile(
        r"(?:update|delete)\(\s*AuditEntry|(?:UPDATE|DELETE FROM|TRUNCATE)\s+audit_entries"
        r"|session\.delete\(|\.query\(AuditEntry\)|setattr\(entry",
        re.IGNORECASE,
    )
    found: dict[str, list[str]] = {}
    for path in sorted([*ROOT.glob("agent/**/*.py"), *ROOT.glob("connectors/**/*.py")]):
        rel = path.relative_to(ROOT).as_posix()
        hits = writes.findall(path.read_text())
        if hits and "/migrations/" not in rel:
            found[rel] = hits
    assert found == {"agent/db/audit_log.py": ["setattr(entry"]}
    privacy = (ROOT / "agent/services/privacy.py").read_text()
    assert '"audit_entries"' in privacy.split("_OWN_HANDLING = ", 1)[1].split("\n", 1)[0]


@pytest.fixture
def store(tmp_path: Path, database_url: str, clock: FrozenClock) -> Iterator[Runtime]:
    """Both databases: the triggers differ between SQLite and PostgreSQL."""
    settings = Settings(
        ENGAGE_HOME=tmp_path / "home", DATABASE_URL=database_url, ENGAGE_ENGINE="rules"
    )
    rt = build_runtime(settings, clock=clock)
    yield rt
    rt.close()


def _entry(rt: Runtime, n: int) -> None:
    with rt.db.session() as session:
        audit_log.append(session, content(n))


def test_the_database_refuses_edits_and_deletes_but_allows_a_tombstone(store: Runtime) -> None:
    runtime = store
    for n in range(3):
        _entry(runtime, n)
    for statement in (
        "UPDATE audit_entries SET approved_by = 'mallory' WHERE seq = 1",
        "UPDATE audit_entries SET after = '\"+1 000\"' WHERE seq = 1",
        "UPDATE audit_entries SET hash = 'x' WHERE seq = 1",
        "DELETE FROM audit_entries WHERE seq = 3",
    ):
        with pytest.raises(DBAPIError, match="append-only"), runtime.db.session() as session:
            session.execute(text(statement))
    with runtime.db.session() as session:
        assert audit_log.tombstone(session, 2, ["before", "evidence"], "era_x")
        audit_log.append(
            session,
            erasure_content(
                erasure_id="era_x", entries={2: ["before", "evidence"]}, actor="a", at="t"
            ),
        )
        verdict = verify_chain(list(audit_log.entries(session)))
    assert (verdict.ok, verdict.checked, verdict.tombstoned) == (True, 4, 1)


def test_heads_are_exported_once_per_change_and_checked(
    store: Runtime, tmp_path: Path, clock: FrozenClock
) -> None:
    runtime = store
    path = tmp_path / "heads" / "audit-heads.jsonl"
    assert export_head(runtime.db, path, now=clock.now()) is None
    _entry(runtime, 1)
    first = export_head(runtime.db, path, now=clock.now())
    assert export_head(runtime.db, path, now=clock.now()) == first
    _entry(runtime, 2)
    export_head(runtime.db, path, now=clock.now())
    assert [h.seq for h in read_heads(path)] == [1, 2]
    assert check_audit(runtime.db, path).ok
    path.write_text(path.read_text() + "not json\n")
    with pytest.raises(InputError, match="damaged at line 3"):
        read_heads(path)
