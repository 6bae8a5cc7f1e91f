"""Dataset loading: what a bad line says, how a call becomes the service's types, and the
shipped dataset's own health."""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from eval.dataset import DatasetError, load_dataset, select
from tests.eval.support import CALLS, MINI

Mutation = Callable[[dict[str, Any]], None]


def good_call() -> dict[str, Any]:
    first: dict[str, Any] = json.loads(MINI.read_text().splitlines()[0])
    return first


def write(tmp_path: Path, *calls: dict[str, Any] | str) -> Path:
    path = tmp_path / "calls.jsonl"
    lines = [c if isinstance(c, str) else json.dumps(c) for c in calls]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_call_becomes_the_service_types() -> None:
    call = load_dataset(MINI)[0]
    assert call.id == "fx-1"
    assert call.line == 1
    assert call.meeting_date == date(2026, 11, 18)
    assert call.context.deal.id == "D-fx-1"
    assert call.context.deal.close_date == date(2026, 12, 31)
    assert call.context.contact_by_email("dana@acme.com") is not None
    assert call.context.stages[3] == "Negotiation"
    assert [s.index for s in call.transcript.segments] == list(range(6))
    assert call.transcript.segments[1].speaker == "Dana (Acme)"
    assert call.gold.field_updates[2].contact == "dana@acme.com"
    assert call.gold.next_steps[1].due is None


def set_path(path: str, value: object) -> Mutation:
    def mutate(call: dict[str, Any]) -> None:
        node: Any = call
        *parents, last = path.split(".")
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value

    return mutate


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (set_path("id", ""), "id must be a non-empty string"),
        (set_path("meeting_date", "18/11/2026"), "meeting_date must be an ISO date"),
        (set_path("crm_context.deal.stage", "Verbal"), "is not one of the call's stages"),
        (set_path("expected.field_updates.0.value", "120k"), "value must be a number"),
        (set_path("expected.field_updates.1.value", "2026-02-30"), "is not a real date"),
        (set_path("expected.field_updates.2.contact", "x@acme.com"), "needs a contact"),
        (set_path("expected.field_updates.0.field", "deal.owner"), "not a writable canonical"),
        (set_path("expected.field_updates.0.field", "account.name"), "not a writable canonical"),
        (set_path("expected.field_updates.0.field", "deal.next_step"), "list it under next_steps"),
        (set_path("expected.unchanged", ["deal.amount"]), "both updated and listed as unchanged"),
        (set_path("expected.next_steps.0.due", "Friday"), "due must be an ISO date"),
        (set_path("transcript.2.start", 1.0), "goes back in time"),
        (set_path("transcript.0.text", "  "), "transcript[0].text must be a non-empty string"),
        (set_path("crm_context.stages", ["Only"]), "needs at least 2 item(s)"),
    ],
)
def test_a_bad_line_names_its_line_and_problem(
    tmp_path: Path, mutate: Mutation, message: str
) -> None:
    bad = good_call()
    mutate(bad)
    other = copy.deepcopy(good_call())
    other["id"] = "fx-9"
    path = write(tmp_path, other, bad)
    with pytest.raises(DatasetError) as caught:
        load_dataset(path)
    assert f"{path}:2" in str(caught.value)
    assert message in str(caught.value)


def test_invalid_json_and_duplicate_ids(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"calls.jsonl:1: not valid JSON"):
        load_dataset(write(tmp_path, '{"id": "a",'))
    with pytest.raises(DatasetError, match=r":2: id 'fx-1' already used on line 1"):
        load_dataset(write(tmp_path, good_call(), good_call()))


def test_missing_or_empty_files(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="cannot read dataset"):
        load_dataset(tmp_path / "nope.jsonl")
    with pytest.raises(DatasetError, match="has no calls"):
        load_dataset(write(tmp_path, ""))


def test_limit_takes_a_stable_prefix() -> None:
    calls = load_dataset(MINI)
    assert [c.id for c in select(calls, 2)] == ["fx-1", "fx-2"]
    assert len(select(calls, None)) == 3
    with pytest.raises(DatasetError):
        select(calls, 0)


def test_the_shipped_dataset_is_large_varied_and_valid() -> None:
    calls = load_dataset(CALLS)
    assert len(calls) >= 40
    assert all(8 <= len(c.transcript.segments) <= 40 for c in calls)
    kinds = Counter(c.id.split("-")[0] for c in calls)
    for kind in (
        "disc",
        "bud",
        "date",
        "stage",
        "comp",
        "cont",
        "lost",
        "corr",
        "inj",
        "ns",
        "asr",
        "words",
    ):
        assert kinds[kind] >= 3, kind
    assert len({c.context.stages for c in calls}) >= 3  # several pipelines
    fields = Counter(u.field for c in calls for u in c.gold.field_updates)
    assert {
        "deal.amount",
        "deal.close_date",
        "deal.stage",
        "deal.competitors",
        "contact.title",
        "contact.phone",
    } <= set(fields)
    assert sum(1 for c in calls if not c.gold.field_updates) >= 8  # nothing to change
    for call in calls:
        speakers = {s.speaker for s in call.transcript.segments}
        assert len(speakers) >= 2, call.id
        for update in call.gold.field_updates:
            if update.contact:
                spec_contact = call.context.contact_by_email(update.contact)
                assert spec_contact is not None, call.id
        assert call.gold.key_points, call.id
    assert any(c.context.deal.currency == "EUR" for c in calls)
