"""The demo book: what `seed_demo` writes, the meetings it hands back, and its refusal to re-seed.

Seeding twice is refused (`AlreadySeeded`), not a no-op: the book's dates are relative to `today`.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from agent.domain.models import Deal, ObjectType
from agent.errors import CrmError, InputError
from connectors.sandbox import AlreadySeeded, DemoBook, SandboxCrm, seed_demo
from connectors.sandbox import book as demo_book
from connectors.sandbox.book import STAGES, AccountSeed, DealSeed

TODAY = date(2026, 11, 20)
_CUE_TIMING = re.compile(r"^(\d{2}:)?\d{2}:\d{2}\.\d{3} --> (\d{2}:)?\d{2}:\d{2}\.\d{3}")
_SPEAKER = re.compile(r"^([A-Z][a-z]+ [A-Z][a-z]+): (.+)$")


class FixedClock:
    def now(self) -> datetime:
        return datetime.combine(TODAY, time(9), UTC)


@pytest.fixture
def crm(tmp_path: Path) -> SandboxCrm:
    return SandboxCrm(tmp_path / "engage" / "sandbox.sqlite3", clock=FixedClock())


@pytest.fixture
def book(crm: SandboxCrm) -> DemoBook:
    return seed_demo(crm, today=TODAY)


def _turns(transcript: str) -> list[tuple[str, str]]:
    """(speaker, text) per turn, consecutive lines of one speaker merged, as a parser would."""
    turns: list[tuple[str, str]] = []
    for raw in transcript.splitlines():
        line = raw.strip()
        if not line or line == "WEBVTT" or line.isdigit() or _CUE_TIMING.match(line):
            continue
        match = _SPEAKER.match(line)
        speaker, text = match.groups() if match else (turns[-1][0], line)
        if turns and turns[-1][0] == speaker:
            turns[-1] = (speaker, f"{turns[-1][1]} {text}")
        else:
            turns.append((speaker, text))
    return turns


def _speech(transcript: str) -> str:
    return " ".join(text for _, text in _turns(transcript))


def test_the_sqlite_file_is_created_under_the_given_path(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "crm.sqlite3"
    crm = SandboxCrm(path)
    assert path.is_file()
    assert crm.path == path
    assert crm.is_empty()


def test_the_book_has_accounts_contacts_and_deals_across_the_pipeline(
    crm: SandboxCrm, book: DemoBook
) -> None:
    deals = crm.list_deals()
    contexts = [crm.read_context(d.id) for d in deals]
    accounts = {c.account.id: c.account for c in contexts}
    contacts = {p.id: (p, c.account) for c in contexts for p in c.contacts}
    assert len(accounts) >= 3
    assert all(a.domain for a in accounts.values())
    assert len(contacts) >= 6
    assert len(contacts) == len(book.contact_ids)
    assert all(p.email.endswith("@" + str(a.domain)) for p, a in contacts.values())
    assert all(p.title and p.phone and p.role for p, _ in contacts.values())
    assert "Economic buyer" in {p.role for p, _ in contacts.values()}
    assert len(deals) >= 4
    assert len({d.stage for d in deals}) >= 4
    assert {d.stage for d in deals} <= set(STAGES)
    assert set(book.deal_ids.values()) == {d.id for d in deals}


def test_every_deal_is_the_reps_and_has_numbers_dates_and_history(
    crm: SandboxCrm, book: DemoBook
) -> None:
    for deal in crm.list_deals():
        context = crm.read_context(deal.id)
        assert deal.owner_email == book.rep_email == "riley@engage-demo.com"
        assert deal.amount
        assert deal.amount > 0
        assert deal.close_date is not None
        assert context.notes
        assert len(context.activities) >= 2
        assert context.stages == STAGES
    open_deals = [d for d in crm.list_deals() if not d.is_closed]
    assert len(open_deals) >= 4
    assert all(d.next_step for d in open_deals)
    assert any(d.competitors for d in open_deals)
    assert sum(len(crm.read_context(d.id).notes) for d in open_deals) >= 8
    assert any(crm.read_context(d.id).open_tasks for d in open_deals)


def test_history_lies_in_the_past_and_closed_deals_are_flagged(
    crm: SandboxCrm, book: DemoBook
) -> None:
    now = datetime.combine(TODAY, time(9), UTC)
    for deal in crm.list_deals():
        context = crm.read_context(deal.id)
        assert all(n.created_at < now for n in context.notes)
        assert all(a.at < now for a in context.activities)
        assert deal.is_closed == deal.stage.startswith("Closed")
    assert book.rep_name == "Riley Chen"


def test_meetings_one_upcoming_and_two_recorded(book: DemoBook) -> None:
    now = datetime.combine(TODAY, time(9), UTC)
    upcoming = [m for m in book.meetings if m.start > now]
    finished = [m for m in book.meetings if m.end < now]
    assert len(upcoming) == 1
    assert upcoming[0].start == datetime.combine(TODAY + timedelta(days=1), time(10), UTC)
    assert upcoming[0].transcript is None
    assert len(finished) == 2
    assert all(m.transcript for m in finished)
    assert {m.transcript_format for m in finished} == {"vtt", "plain"}
    assert all(now - m.start < timedelta(days=7) for m in finished)
    for meeting in book.meetings:
        assert meeting.start < meeting.end
        assert meeting.attendees[0] == book.rep_email
        assert meeting.deal_id in book.deal_ids.values()
        assert all(email in book.contact_ids for email in meeting.attendees[1:])


def test_a_recorded_meeting_is_an_activity_on_its_deal(crm: SandboxCrm, book: DemoBook) -> None:
    meeting = book.meeting("northwind-pricing")
    activities = crm.read_context(meeting.deal_id).activities
    assert (activities[0].kind, activities[0].at, activities[0].subject) == (
        "meeting",
        meeting.start,
        meeting.title,
    )
    with pytest.raises(KeyError):
        book.meeting("no-such-meeting")


def test_the_vtt_transcript_is_zoom_style(book: DemoBook) -> None:
    text = book.meeting("northwind-pricing").transcript
    assert text is not None
    blocks = text.strip().split("\n\n")
    assert blocks[0] == "WEBVTT"
    for number, block in enumerate(blocks[1:], start=1):
        ident, timing, *lines = block.splitlines()
        assert ident == str(number)
        assert _CUE_TIMING.match(timing)
        assert lines
        assert all(_SPEAKER.match(line) for line in lines)


@pytest.mark.parametrize("key", ["northwind-pricing", "brightwave-rollout"])
def test_recorded_calls_are_full_conversations_between_the_rep_and_two_customers(
    crm: SandboxCrm, book: DemoBook, key: str
) -> None:
    meeting = book.meeting(key)
    assert meeting.transcript is not None
    turns = _turns(meeting.transcript)
    assert 30 <= len(turns) <= 60
    speakers = Counter(speaker for speaker, _ in turns)
    contacts = {c.name: c.email for c in crm.read_context(meeting.deal_id).contacts}
    customers = set(speakers) - {book.rep_name}
    assert book.rep_name in speakers
    assert len(customers) == 2
    assert {contacts[name] for name in customers} == set(meeting.attendees[1:])
    assert all(count >= 5 for count in speakers.values())


def _deal(crm: SandboxCrm, book: DemoBook, key: str) -> Deal:
    return next(d for d in crm.list_deals() if d.id == book.deal_ids[key])


def test_call_one_says_what_the_documented_changes_rest_on(crm: SandboxCrm, book: DemoBook) -> None:
    speech = _speech(book.meeting("northwind-pricing").transcript or "")
    for quote in (
        "we're now looking at 120 seats, so the number is $138,000",
        "we need signature by December 15th",
        "we're also looking at Gong",
        "we're ready to move into negotiation",
        "I'll send the revised order form for 120 seats by Friday.",
        "I'll loop in our legal team next week",
        "by Wednesday",
    ):
        assert quote in speech
    deal = _deal(crm, book, "northwind")
    assert (deal.stage, deal.amount, deal.competitors) == ("Proposal", 96000.0, ("Clari",))
    assert deal.close_date == date(2026, 12, 31)


def test_call_two_says_what_the_documented_changes_and_decoys_rest_on(
    crm: SandboxCrm, book: DemoBook
) -> None:
    speech = _speech(book.meeting("brightwave-rollout").transcript or "")
    for quote in (
        "I've been promoted to VP of Operations.",
        "So the signature date moves to March 31st.",
        "if we went to 200 seats it might be 150k",
        "We have about 85 reps",
        "12%",
        "used to charge us $40,000",
        "by Thursday",
        "next week",
        "at the end of the month",
    ):
        assert quote in speech
    deal = _deal(crm, book, "brightwave")
    assert (deal.stage, deal.amount, deal.competitors) == ("Demo", 72000.0, ())
    assert deal.close_date == date(2027, 3, 1)
    jordan = crm.get_record(
        ObjectType.CONTACT, book.contact_ids["jordan.alvarez@brightwavehealth.com"]
    )
    assert jordan["title"] == "Director of Operations"


@pytest.mark.parametrize(
    ("today", "northwind_close", "brightwave_close"),
    [
        (date(2026, 11, 20), date(2026, 12, 31), date(2027, 3, 1)),
        (date(2026, 12, 17), date(2026, 12, 31), date(2027, 3, 1)),
        (date(2026, 12, 18), date(2027, 12, 31), date(2027, 3, 1)),
        (date(2027, 3, 20), date(2027, 12, 31), date(2027, 3, 1)),
        (date(2027, 4, 2), date(2027, 12, 31), date(2028, 3, 1)),
    ],
)
def test_book_dates_follow_the_dates_the_calls_will_name(
    tmp_path: Path, today: date, northwind_close: date, brightwave_close: date
) -> None:
    crm = SandboxCrm(tmp_path / "crm.sqlite3")
    book = seed_demo(crm, today=today)
    assert _deal(crm, book, "northwind").close_date == northwind_close
    assert _deal(crm, book, "brightwave").close_date == brightwave_close


def test_seeding_twice_is_refused_and_writes_nothing(crm: SandboxCrm, book: DemoBook) -> None:
    writes = crm.write_count()
    deals = crm.list_deals()
    with pytest.raises(AlreadySeeded, match="already holds data"):
        seed_demo(crm, today=TODAY)
    assert issubclass(AlreadySeeded, InputError)
    assert crm.write_count() == writes
    assert crm.list_deals() == deals
    assert not crm.is_empty()


def test_a_seed_that_fails_halfway_leaves_the_sandbox_empty(
    crm: SandboxCrm, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = AccountSeed(
        name="Broken Co",
        domain="broken.example",
        contacts=(),
        deals=(
            DealSeed(
                key="broken",
                name="Broken Co - Bad stage",
                stage="Qualification",
                amount=1.0,
                close=demo_book.CloseDate(days=10),
            ),
        ),
    )
    monkeypatch.setattr("connectors.sandbox.seed.ACCOUNTS", (*demo_book.ACCOUNTS, broken))
    with pytest.raises(CrmError, match="Qualification"):
        seed_demo(crm, today=TODAY)
    assert crm.is_empty()
    assert crm.write_count() == 0
