"""Flags from history: a person's edit since Engage's last write, and an earlier call that said
something else."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from agent.domain.consistency import contradiction
from agent.domain.models import EarlierStatement, Evidence, FieldValueT, ObjectType, ProposedChange
from agent.domain.overwrite import EngageWrite, RecordStamp, person_edit

WROTE = EngageWrite(value=60_000.0, written_at=datetime(2026, 11, 10, 9, 0, tzinfo=UTC))
ENGAGE = "engage-sandbox@engage.local"


def change(before: FieldValueT, after: FieldValueT, quote: str = "It is 70,000.") -> ProposedChange:
    return ProposedChange(
        field="deal.amount",
        object_type=ObjectType.DEAL,
        object_id="D1",
        before=before,
        after=after,
        evidence=Evidence(quote=quote, segment_indices=(0,), speaker="Dana (Acme)"),
        confidence=0.8,
        critical=False,
    )


def test_a_person_edit_after_engages_write_is_flagged_with_its_date() -> None:
    stamp = RecordStamp(
        updated_at=datetime(2026, 11, 12, 15, 30, tzinfo=UTC), updated_by="dana@acme.com"
    )
    flagged = person_edit(
        change(65_000.0, 70_000.0),
        last_write=WROTE,
        stamp=stamp,
        service_account=ENGAGE,
        owner="crm",
    )
    assert [f.kind for f in flagged.flags] == ["person_edit"]
    assert flagged.flags[0].message == (
        "changed by a person on 2026-11-12 15:30 UTC by dana@acme.com "
        "(Engage wrote 60,000, the CRM now holds 65,000)"
    )
    assert flagged.critical is True


def test_when_engage_owns_the_field_the_edit_is_only_flagged() -> None:
    stamp = RecordStamp(updated_at=datetime(2026, 11, 12, tzinfo=UTC), updated_by="dana")
    flagged = person_edit(
        change(65_000.0, 70_000.0),
        last_write=WROTE,
        stamp=stamp,
        service_account=ENGAGE,
        owner="engage",
    )
    assert [f.kind for f in flagged.flags] == ["person_edit"]
    assert flagged.critical is False


def test_an_undated_edit_is_still_flagged_from_the_audit_log() -> None:
    later_engage_write = RecordStamp(
        updated_at=datetime(2026, 11, 15, tzinfo=UTC), updated_by=ENGAGE
    )
    flagged = person_edit(
        change(65_000.0, 70_000.0),
        last_write=WROTE,
        stamp=later_engage_write,
        service_account=ENGAGE,
        owner="crm",
    )
    assert flagged.flags[0].message.startswith(
        "changed in the CRM after Engage wrote it on 2026-11-10"
    )


def test_no_flag_while_the_crm_holds_what_engage_wrote_or_engage_never_wrote() -> None:
    stamp = RecordStamp(updated_at=datetime(2026, 11, 12, tzinfo=UTC), updated_by="dana")
    untouched = change(60_000.0, 70_000.0)
    assert (
        person_edit(untouched, last_write=WROTE, stamp=stamp, service_account=ENGAGE, owner="crm")
        == untouched
    )
    assert (
        person_edit(untouched, last_write=None, stamp=stamp, service_account=ENGAGE, owner="crm")
        == untouched
    )


EARLIER = EarlierStatement(
    value=120_000.0,
    quote="Our budget is 120,000 for the year.",
    speaker="Dana (Acme)",
    meeting_id="mtg_1",
    meeting_date="2026-11-13",
    proposal_id="prp_1",
)
TODAY = date(2026, 11, 20)


def test_a_value_an_earlier_call_stated_differently_is_flagged_with_both_quotes() -> None:
    flag = contradiction(
        change(120_000.0, 90_000.0, "Our budget is 90,000 for the year."),
        EARLIER,
        meeting_date=TODAY,
    )
    assert flag is not None
    assert flag.kind == "earlier_call"
    assert flag.earlier == EARLIER
    assert "Our budget is 120,000 for the year." in flag.message
    assert "Our budget is 90,000 for the year." in flag.message
    assert flag.message.startswith("the call of 2026-11-13 said 120,000")


def test_a_change_said_as_a_change_is_no_contradiction() -> None:
    for quote in (
        "The budget is now 90,000.",
        "We cut it to 90,000.",
        "It's 90,000, not the 120 we said.",
    ):
        assert (
            contradiction(change(120_000.0, 90_000.0, quote), EARLIER, meeting_date=TODAY) is None
        )


def test_the_same_value_again_or_no_earlier_call_is_no_contradiction() -> None:
    assert contradiction(change(90_000.0, 120_000.0), EARLIER, meeting_date=TODAY) is None
    assert contradiction(change(90_000.0, 70_000.0), None, meeting_date=TODAY) is None


def test_dates_said_again_by_name_count_as_acknowledged() -> None:
    earlier = EarlierStatement(
        value="2026-12-15",
        quote="We sign on December 15th.",
        speaker=None,
        meeting_id="mtg_1",
        meeting_date="2026-11-13",
        proposal_id="prp_1",
    )
    moved = ProposedChange(
        field="deal.close_date",
        object_type=ObjectType.DEAL,
        object_id="D1",
        before="2026-12-15",
        after="2027-01-15",
        evidence=Evidence(quote="Not December 15th but January 15th.", segment_indices=(0,)),
        confidence=0.8,
        critical=True,
    )
    assert contradiction(moved, earlier, meeting_date=TODAY) is None
    plain = replace(moved, evidence=Evidence(quote="We sign January 15th."))
    assert contradiction(plain, earlier, meeting_date=TODAY) is not None
