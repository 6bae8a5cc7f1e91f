"""The demo book: a small B2B SaaS pipeline, its rep, and three meetings, two of them recorded.

`seed_demo` fills an empty sandbox in one transaction and refuses a sandbox that already holds
data (`AlreadySeeded`, an `InputError`): the book's dates are relative to `today`, so quietly
re-seeding an older book would mix two calendars. Call `crm.is_empty()` first to decide.

The book itself is data in `book.py`. The two recorded calls ship as files in `demo/` and imply
these changes (the tests assert them):

Call `northwind-pricing` (deal `northwind`, Zoom WebVTT, two days before `today`,
speakers Riley Chen (rep), Dana Whitfield and Marcus Lee of Northwind Logistics):
    deal.amount       96000.0 -> 138000.0  ("we're now looking at 120 seats, so the number is
                      $138,000 for the first year")
    deal.close_date   -> the first December 15 on or after the call date ("we need signature by
                      December 15th"); the book has it 16 days later
    deal.competitors  ["Clari"] -> ["Clari", "Gong"]  ("we're also looking at Gong")
    deal.stage        "Proposal" -> "Negotiation"  ("we're ready to move into negotiation")
    not changes: "80 seats" and "forty more people" (headcounts), Slack and Zoom (tools in use,
    not competitors), "six weeks" (last time's legal review), quarterly billing (declined).
    next steps: rep sends the revised order form for 120 seats by Friday; Dana loops in legal
    next week; Marcus sends the user list for the two new teams by Wednesday.

Call `brightwave-rollout` (deal `brightwave`, plain `Name: text`, one day before `today`,
speakers Riley Chen (rep), Jordan Alvarez and Samira Okafor of Brightwave Health):
    contact.title     jordan.alvarez@brightwavehealth.com: "Director of Operations" ->
                      "VP of Operations"  ("I've been promoted to VP of Operations")
    deal.close_date   -> the first March 31 on or after the call date ("the signature date moves
                      to March 31st"); the book has it 30 days earlier, so the date slipped
    unchanged: deal.amount stays 72000.0 ("comes to $72,000" restates it; "85 reps" is a
    headcount; "if we went to 200 seats it might be 150k" is hedged; "12%" is a discount;
    "used to charge us $40,000" is a past price), deal.stage stays "Demo", deal.competitors
    stays empty ("we're not comparing other tools").
    next steps: rep sends the formal proposal (60 seats, one year) and the HIPAA documentation
    by Thursday; Jordan books the security review with Kevin next week; Samira takes the
    proposal to the budget committee at the end of the month.

The upcoming meeting `calder-discovery` (deal `calder`) starts tomorrow at 10:00 UTC and has no
transcript: it is the one a brief is prepared for.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from typing import Literal

from agent.errors import InputError
from connectors.sandbox.book import (
    ACCOUNTS,
    BRIGHTWAVE_CALL_DAY,
    CLOSED_STAGES,
    NORTHWIND_CALL_DAY,
    REP_EMAIL,
    REP_NAME,
    STAGES,
    AccountSeed,
)
from connectors.sandbox.crm import SandboxCrm
from connectors.sandbox.writes import SandboxWriter

__all__ = [
    "REP_EMAIL",
    "REP_NAME",
    "STAGES",
    "AlreadySeeded",
    "DemoBook",
    "DemoMeeting",
    "load_transcript",
    "seed_demo",
]


class AlreadySeeded(InputError):
    """The sandbox already holds data; seeding is only for an empty one."""


@dataclass(frozen=True, kw_only=True)
class DemoMeeting:
    key: str
    title: str
    deal_id: str
    start: datetime
    end: datetime
    attendees: tuple[str, ...]
    """Emails, the rep's first."""
    transcript: str | None
    transcript_format: Literal["vtt", "plain"]


@dataclass(frozen=True, kw_only=True)
class DemoBook:
    """What `seed_demo` created, so the demo and the tests need not look records up by name."""

    rep_email: str
    rep_name: str
    today: date
    deal_ids: dict[str, str]
    """Deal ids by the book's key: `northwind`, `pilot`, `brightwave`, `calder`, `halcyon`."""
    contact_ids: dict[str, str]
    """Contact ids by email."""
    meetings: tuple[DemoMeeting, ...]

    def meeting(self, key: str) -> DemoMeeting:
        found = next((m for m in self.meetings if m.key == key), None)
        if found is None:
            raise KeyError(f"no demo meeting {key!r}")
        return found


def load_transcript(name: str) -> str:
    """A demo transcript's text, read from the package so that it works from a wheel too."""
    return (resources.files("connectors.sandbox") / "demo" / name).read_text(encoding="utf-8")


def seed_demo(crm: SandboxCrm, *, today: date) -> DemoBook:
    """Write the demo book into an empty sandbox, all of it or nothing."""
    deal_ids: dict[str, str] = {}
    contact_ids: dict[str, str] = {}
    with crm.batch() as writer:
        if not writer.is_empty():
            raise AlreadySeeded(f"the sandbox CRM at {crm.path} already holds data")
        writer.set_stages(STAGES, closed=CLOSED_STAGES)
        for account in ACCOUNTS:
            _write_account(writer, account, today, deal_ids=deal_ids, contact_ids=contact_ids)
        meetings = _meetings(today, deal_ids)
        for m in meetings:
            if m.transcript is not None:
                writer.add_activity(deal_id=m.deal_id, kind="meeting", at=m.start, subject=m.title)
    return DemoBook(
        rep_email=REP_EMAIL,
        rep_name=REP_NAME,
        today=today,
        deal_ids=deal_ids,
        contact_ids=contact_ids,
        meetings=meetings,
    )


def _at(today: date, days: int, hour: int) -> datetime:
    return datetime.combine(today + timedelta(days=days), time(hour), UTC)


def _write_account(
    w: SandboxWriter,
    account: AccountSeed,
    today: date,
    *,
    deal_ids: dict[str, str],
    contact_ids: dict[str, str],
) -> None:
    account_id = w.create_account(name=account.name, domain=account.domain)
    for c in account.contacts:
        contact_ids[c.email] = w.create_contact(
            account_id=account_id,
            name=c.name,
            email=c.email,
            title=c.title,
            phone=c.phone,
            role=c.role,
        )
    for d in account.deals:
        deal_id = deal_ids[d.key] = w.create_deal(
            account_id=account_id,
            name=d.name,
            stage=d.stage,
            amount=d.amount,
            close_date=d.close.resolve(today),
            next_step=d.next_step,
            competitors=d.competitors,
            owner_email=REP_EMAIL,
        )
        for day, kind, subject in d.history:
            w.add_activity(deal_id=deal_id, kind=kind, at=_at(today, day, 14), subject=subject)
        for day, body in d.notes:
            w.create_note(deal_id=deal_id, body=body, author=REP_EMAIL, at=_at(today, day, 18))
        for t in d.tasks:
            w.create_task(
                deal_id=deal_id,
                subject=t.subject,
                due=today + timedelta(days=t.due_day),
                owner=REP_EMAIL,
                at=_at(today, t.created_day, 18),
            )


def _meeting(
    key: str, title: str, deal_id: str, start: datetime, minutes: int, *emails: str
) -> DemoMeeting:
    return DemoMeeting(
        key=key,
        title=title,
        deal_id=deal_id,
        start=start,
        end=start + timedelta(minutes=minutes),
        attendees=(REP_EMAIL, *emails),
        transcript=None,
        transcript_format="vtt",
    )


def _meetings(today: date, deal_ids: dict[str, str]) -> tuple[DemoMeeting, ...]:
    northwind = _meeting(
        "northwind-pricing",
        "Northwind Logistics: pricing and timeline",
        deal_ids["northwind"],
        _at(today, NORTHWIND_CALL_DAY, 15),
        30,
        "dana.whitfield@northwindlogistics.com",
        "marcus.lee@northwindlogistics.com",
    )
    brightwave = _meeting(
        "brightwave-rollout",
        "Brightwave Health: rollout plan review",
        deal_ids["brightwave"],
        _at(today, BRIGHTWAVE_CALL_DAY, 17),
        45,
        "jordan.alvarez@brightwavehealth.com",
        "samira.okafor@brightwavehealth.com",
    )
    calder = _meeting(
        "calder-discovery",
        "Calder Robotics: discovery follow-up",
        deal_ids["calder"],
        _at(today, 1, 10),
        45,
        "elena.novak@calderrobotics.com",
        "ben.carter@calderrobotics.com",
    )
    return (
        replace(northwind, transcript=load_transcript("northwind_pricing_call.vtt")),
        replace(
            brightwave,
            transcript=load_transcript("brightwave_rollout_call.txt"),
            transcript_format="plain",
        ),
        calder,
    )
