"""Briefs read through a view that cannot write."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from agent.domain.ports import CrmPort
from agent.services.brief import ReadOnlyCrm, build_brief
from connectors.sandbox.crm import SandboxCrm
from connectors.sandbox.seed import seed_demo


def test_the_read_only_view_has_no_write_methods(tmp_path: Path) -> None:
    view = ReadOnlyCrm(SandboxCrm(tmp_path / "crm.sqlite3"))
    for method in ("write_record", "add_note", "add_task", "update_as_person"):
        assert not hasattr(view, method)
    assert not isinstance(view, CrmPort)


def test_a_brief_has_what_the_rep_needs_and_writes_nothing(tmp_path: Path) -> None:
    crm = SandboxCrm(tmp_path / "crm.sqlite3")
    book = seed_demo(crm, today=date(2026, 11, 20))
    meeting = book.meeting("calder-discovery")
    writes = crm.write_count()
    brief = build_brief(
        crm=ReadOnlyCrm(crm),
        meeting_id="mtg_1",
        meeting_title=meeting.title,
        meeting_start=meeting.start,
        deal_id=meeting.deal_id,
        attendees=meeting.attendees,
    )
    assert crm.write_count() == writes
    assert brief.account_name == "Calder Robotics"
    assert brief.stage == "Discovery"
    assert brief.amount == 45000.0
    assert brief.contacts[0].email in meeting.attendees
    assert [n.created_at for n in brief.notes] == sorted(
        (n.created_at for n in brief.notes), reverse=True
    )
    assert brief.open_next_steps[0].subject == "Send the discovery agenda to Elena Novak"
    assert brief.last_touch is not None
    assert brief.last_touch <= datetime(2026, 11, 21, tzinfo=UTC)
