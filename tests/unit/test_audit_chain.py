from __future__ import annotations

from typing import Any

from agent.domain.audit import AUDIT_KEYS, GENESIS_HASH, next_link, verify_chain


def content(n: int) -> dict[str, Any]:
    entry: dict[str, Any] = dict.fromkeys(AUDIT_KEYS, "x")
    entry.update(field="deal.amount", before=n, after=n + 1, evidence={"quote": f"q{n}"})
    return entry


def chain(length: int) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    last = None
    for n in range(length):
        body = content(n)
        last = next_link(last=last, content=body)
        entries.append({**body, "seq": last.seq, "prev_hash": last.prev_hash, "hash": last.hash})
    return entries


def test_an_intact_chain_verifies() -> None:
    entries = chain(4)
    assert entries[0]["prev_hash"] == GENESIS_HASH
    assert verify_chain(entries).ok
    assert verify_chain(entries).checked == 4


def test_an_edited_value_is_found_at_its_entry() -> None:
    entries = chain(4)
    entries[2]["after"] = 999
    verdict = verify_chain(entries)
    assert not verdict.ok
    assert verdict.bad_seq == 3


def test_a_deleted_entry_breaks_the_chain() -> None:
    entries = chain(4)
    del entries[1]
    verdict = verify_chain(entries)
    assert (verdict.ok, verdict.bad_seq) == (False, 3)


def test_reordered_entries_break_the_chain() -> None:
    entries = chain(3)
    entries[0], entries[1] = entries[1], entries[0]
    assert verify_chain(entries).bad_seq == 2


def test_a_rehashed_entry_still_breaks_the_next_link() -> None:
    entries = chain(3)
    forged = content(1)
    forged["after"] = 5
    link = next_link(last=None, content=forged)
    entries[0].update(forged, hash=link.hash)
    verdict = verify_chain(entries)
    assert not verdict.ok
    assert verdict.bad_seq == 2


def test_whole_floats_hash_like_the_integers_a_store_returns() -> None:
    entries = chain(2)
    entries[0]["before"] = 45000.0
    link = next_link(last=None, content=entries[0])
    entries[0]["hash"] = link.hash
    entries[1]["prev_hash"] = link.hash
    entries[1]["hash"] = next_link(last=link, content=entries[1]).hash
    assert verify_chain(entries).ok
    entries[0]["before"] = 45000
    assert verify_chain(entries).ok
