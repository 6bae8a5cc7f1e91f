"""What the sandbox adds beyond the CRM contract: its write log, its scope setting, its schema,
and its behaviour when the API thread and a worker thread write at once."""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import closing
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from agent.domain.models import FieldRef, ObjectType, RecordWrite, WriteResult
from agent.errors import ConfigError, CrmError
from connectors.sandbox import DemoBook, SandboxCrm, seed_demo

TODAY = date(2026, 11, 20)
NOW = datetime.combine(TODAY, time(9), UTC)


class FixedClock:
    def now(self) -> datetime:
        return NOW


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "crm.sqlite3"


@pytest.fixture
def crm(path: Path) -> SandboxCrm:
    return SandboxCrm(path, clock=FixedClock(), service_account="engage@acme.test")


@pytest.fixture
def book(crm: SandboxCrm) -> DemoBook:
    return seed_demo(crm, today=TODAY)


def _log(path: Path) -> list[dict[str, str]]:
    with closing(sqlite3.connect(path)) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute("SELECT * FROM write_log ORDER BY id").fetchall()
    return [dict(r) for r in rows]


def _version(crm: SandboxCrm, deal_id: str) -> str:
    ref = FieldRef(object_type=ObjectType.DEAL, object_id=deal_id, field="deal.amount")
    return crm.read_values([ref])[0].version


def _amount_write(deal_id: str, amount: float, version: str) -> RecordWrite:
    return RecordWrite(
        object_type=ObjectType.DEAL,
        object_id=deal_id,
        values={"amount": amount},
        expected_version=version,
    )


def test_reads_write_nothing(crm: SandboxCrm, book: DemoBook) -> None:
    writes = crm.write_count()
    for deal_id in book.deal_ids.values():
        context = crm.read_context(deal_id)
        crm.get_record(ObjectType.DEAL, deal_id)
        crm.get_record(ObjectType.ACCOUNT, context.account.id)
        _version(crm, deal_id)
    crm.list_deals()
    crm.is_empty()
    assert crm.write_count() == writes


def test_each_write_is_logged_with_what_which_who_and_when(
    crm: SandboxCrm, book: DemoBook, path: Path
) -> None:
    deal_id = book.deal_ids["northwind"]
    seeded = len(_log(path))
    assert seeded == crm.write_count() > 0
    crm.update_as_person(ObjectType.DEAL, deal_id, {"amount": 99000.0}, who="dana@corp.test")
    crm.write_record(_amount_write(deal_id, 138000.0, _version(crm, deal_id)))
    person, engage = _log(path)[seeded:]
    assert (person["table_name"], person["record_id"], person["action"]) == (
        "deals",
        deal_id,
        "update",
    )
    assert person["who"] == "dana@corp.test"
    assert engage["who"] == "engage@acme.test"
    assert datetime.fromisoformat(engage["at"]) == NOW
    assert json.loads(engage["detail"])["amount"] == 138000.0
    assert json.loads(engage["detail"])["revision"] == 3


def test_record_shows_who_changed_it_last(crm: SandboxCrm, book: DemoBook) -> None:
    deal_id = book.deal_ids["calder"]
    crm.write_record(_amount_write(deal_id, 50000.0, _version(crm, deal_id)))
    record = crm.get_record(ObjectType.DEAL, deal_id)
    assert record["updated_by"] == "engage@acme.test"
    assert record["version"] == "2"
    assert record["amount"] == 50000.0


def test_a_note_is_written_with_an_activity(crm: SandboxCrm, book: DemoBook) -> None:
    deal_id = book.deal_ids["halcyon"]
    writes = crm.write_count()
    note_id = crm.add_note(deal_id=deal_id, body="Summary\n- redlines", idempotency_key="k1")
    context = crm.read_context(deal_id)
    assert context.notes[0].id == note_id
    assert context.notes[0].author == "engage@acme.test"
    assert (context.activities[0].kind, context.activities[0].subject) == ("note", "Summary")
    assert crm.write_count() == writes + 2


def test_notes_written_in_the_same_instant_keep_their_order(
    crm: SandboxCrm, book: DemoBook
) -> None:
    deal_id = book.deal_ids["calder"]
    crm.add_note(deal_id=deal_id, body="first", idempotency_key="same-1")
    crm.add_note(deal_id=deal_id, body="second", idempotency_key="same-2")
    assert [n.body for n in crm.read_context(deal_id).notes[:2]] == ["second", "first"]


def test_an_idempotency_key_reused_on_another_deal_is_refused(
    crm: SandboxCrm, book: DemoBook
) -> None:
    crm.add_note(deal_id=book.deal_ids["calder"], body="a", idempotency_key="shared")
    with pytest.raises(CrmError, match="was used for deal") as caught:
        crm.add_note(deal_id=book.deal_ids["halcyon"], body="a", idempotency_key="shared")
    assert caught.value.code == "IDEMPOTENCY_KEY_REUSED"


@pytest.mark.parametrize("body", ["", "   \n"])
def test_an_empty_note_is_refused(crm: SandboxCrm, book: DemoBook, body: str) -> None:
    with pytest.raises(CrmError, match="cannot be empty"):
        crm.add_note(deal_id=book.deal_ids["calder"], body=body, idempotency_key="empty")


def test_moving_to_a_closed_stage_closes_the_deal(crm: SandboxCrm, book: DemoBook) -> None:
    deal_id = book.deal_ids["halcyon"]
    result = crm.write_record(
        RecordWrite(
            object_type=ObjectType.DEAL,
            object_id=deal_id,
            values={"stage": "Closed Won"},
            expected_version=_version(crm, deal_id),
        )
    )
    assert result.ok
    assert crm.read_context(deal_id).deal.is_closed
    assert crm.get_record(ObjectType.DEAL, deal_id)["is_closed"] is True


def test_a_narrower_write_scope_is_enforced(path: Path) -> None:
    crm = SandboxCrm(path, writable_fields=frozenset({"deal.amount"}))
    book = seed_demo(crm, today=TODAY)
    deal_id = book.deal_ids["calder"]
    writes = crm.write_count()
    with pytest.raises(CrmError, match=r"deal\.close_date") as caught:
        crm.write_record(
            RecordWrite(
                object_type=ObjectType.DEAL,
                object_id=deal_id,
                values={"amount": 1.0, "close_date": "2027-01-31"},
                expected_version="1",
            )
        )
    assert caught.value.code == "FIELD_NOT_WRITABLE"
    assert caught.value.system == "sandbox"
    assert crm.write_count() == writes
    assert crm.write_record(_amount_write(deal_id, 1.0, "1")).ok


def test_a_write_scope_naming_fields_the_sandbox_lacks_fails_at_start(path: Path) -> None:
    with pytest.raises(ConfigError, match=r"deal\.probability"):
        SandboxCrm(path, writable_fields=frozenset({"deal.amount", "deal.probability"}))


def test_a_person_may_edit_fields_outside_engages_scope(crm: SandboxCrm, book: DemoBook) -> None:
    account_id = crm.read_context(book.deal_ids["calder"]).account.id
    version = crm.update_as_person(
        ObjectType.ACCOUNT, account_id, {"name": "Calder Robotics Ltd"}, who="admin"
    )
    record = crm.get_record(ObjectType.ACCOUNT, account_id)
    assert (record["name"], record["version"], record["updated_by"]) == (
        "Calder Robotics Ltd",
        version,
        "admin",
    )
    with pytest.raises(CrmError, match="unknown field"):
        crm.update_as_person(ObjectType.ACCOUNT, account_id, {"size": "big"}, who="x")


def test_writes_also_take_canonical_names_but_not_one_field_twice(
    crm: SandboxCrm, book: DemoBook
) -> None:
    deal_id = book.deal_ids["calder"]
    result = crm.write_record(
        RecordWrite(
            object_type=ObjectType.DEAL,
            object_id=deal_id,
            values={"deal.amount": 52000.0, "next_step": "Pilot scope call"},
            expected_version="1",
        )
    )
    assert result.ok
    record = crm.get_record(ObjectType.DEAL, deal_id)
    assert (record["amount"], record["next_step"]) == (52000.0, "Pilot scope call")
    writes = crm.write_count()
    with pytest.raises(CrmError, match="given twice"):
        crm.update_as_person(
            ObjectType.DEAL, deal_id, {"amount": 1.0, "deal.amount": 2.0}, who="pat"
        )
    assert crm.write_count() == writes


def test_reading_a_field_of_another_object_is_refused(crm: SandboxCrm, book: DemoBook) -> None:
    ref = FieldRef(
        object_type=ObjectType.DEAL, object_id=book.deal_ids["calder"], field="contact.title"
    )
    with pytest.raises(CrmError, match="does not belong to a deal"):
        crm.read_values([ref])


def test_reopening_the_file_keeps_the_data(crm: SandboxCrm, book: DemoBook, path: Path) -> None:
    reopened = SandboxCrm(path)
    assert reopened.list_deals() == crm.list_deals()
    assert reopened.write_count() == crm.write_count()


def test_a_file_from_a_newer_sandbox_is_refused(path: Path) -> None:
    SandboxCrm(path)
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(ConfigError, match="schema version 99"):
        SandboxCrm(path)


def test_the_picklist_cannot_drop_a_stage_in_use(crm: SandboxCrm, book: DemoBook) -> None:
    with pytest.raises(CrmError, match="Negotiation"), crm.batch() as writer:
        writer.set_stages(["Discovery", "Demo", "Proposal", "Closed Won", "Closed Lost"])
    assert "Negotiation" in crm.read_context(book.deal_ids["halcyon"]).stages


def test_concurrent_writes_on_one_version_let_exactly_one_through(
    crm: SandboxCrm, book: DemoBook
) -> None:
    deal_id = book.deal_ids["northwind"]
    version = _version(crm, deal_id)
    writers = 6
    barrier = threading.Barrier(writers)
    results: list[WriteResult] = []
    lock = threading.Lock()

    def write(amount: float) -> None:
        barrier.wait()
        result = crm.write_record(_amount_write(deal_id, amount, version))
        with lock:
            results.append(result)

    threads = [threading.Thread(target=write, args=(1000.0 * i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [r for r in results if r.ok]
    assert len(results) == writers
    assert len(winners) == 1
    assert all("version conflict" in str(r.reason) for r in results if not r.ok)
    assert _version(crm, deal_id) == winners[0].new_version == str(int(version) + 1)
