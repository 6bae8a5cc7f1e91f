"""The demo book's accounts, contacts, deals and history, as data relative to `today`.

Kept apart from `seed.py` so the book can be read and edited like the transcripts beside it; the
dates that the recorded calls talk about are expressed through `CloseDate` so that each call
implies the same change whatever day the demo is seeded on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final, NamedTuple

REP_EMAIL: Final = "riley@engage-demo.com"
REP_NAME: Final = "Riley Chen"
STAGES: Final = ("Discovery", "Demo", "Proposal", "Negotiation", "Closed Won", "Closed Lost")
CLOSED_STAGES: Final = ("Closed Won", "Closed Lost")
NORTHWIND_CALL_DAY: Final = -2
BRIGHTWAVE_CALL_DAY: Final = -1


def next_on_or_after(month: int, day: int, start: date) -> date:
    """The first `month`/`day` on or after `start`: how a rep reads a date said without a year."""
    candidate = date(start.year, month, day)
    return candidate if candidate >= start else date(start.year + 1, month, day)


@dataclass(frozen=True, kw_only=True)
class CloseDate:
    """`days` from today; or, when `said` (month, day) is given, `days` from the first such date on
    or after the call `call_day` days from today: the date that call will name."""

    days: int = 0
    said: tuple[int, int] | None = None
    call_day: int = 0

    def resolve(self, today: date) -> date:
        if self.said is None:
            return today + timedelta(days=self.days)
        month, day = self.said
        call = today + timedelta(days=self.call_day)
        return next_on_or_after(month, day, call) + timedelta(days=self.days)


class ContactSeed(NamedTuple):
    name: str
    email: str
    title: str
    phone: str
    role: str


class TaskSeed(NamedTuple):
    created_day: int
    subject: str
    due_day: int


@dataclass(frozen=True, kw_only=True)
class DealSeed:
    key: str
    name: str
    stage: str
    amount: float
    close: CloseDate
    next_step: str | None = None
    competitors: tuple[str, ...] = ()
    history: tuple[tuple[int, str, str], ...] = ()
    """(day, kind, subject) of past activities."""
    notes: tuple[tuple[int, str], ...] = ()
    """(day, body) of notes the rep wrote."""
    tasks: tuple[TaskSeed, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AccountSeed:
    name: str
    domain: str
    contacts: tuple[ContactSeed, ...]
    deals: tuple[DealSeed, ...]


NORTHWIND: Final = AccountSeed(
    name="Northwind Logistics",
    domain="northwindlogistics.com",
    contacts=(
        ContactSeed(
            "Dana Whitfield",
            "dana.whitfield@northwindlogistics.com",
            "VP of Revenue Operations",
            "+1 312 555 0148",
            "Economic buyer",
        ),
        ContactSeed(
            "Marcus Lee",
            "marcus.lee@northwindlogistics.com",
            "Sales Operations Manager",
            "+1 312 555 0173",
            "Champion",
        ),
        ContactSeed(
            "Priya Raman",
            "priya.raman@northwindlogistics.com",
            "IT Security Lead",
            "+1 312 555 0190",
            "Technical evaluator",
        ),
    ),
    deals=(
        DealSeed(
            key="northwind",
            name="Northwind Logistics - Revenue platform",
            stage="Proposal",
            amount=96000.0,
            close=CloseDate(said=(12, 15), call_day=NORTHWIND_CALL_DAY, days=16),
            next_step="Review the 80-seat proposal with Dana and Marcus",
            competitors=("Clari",),
            history=(
                (-48, "call", "Discovery call with Marcus Lee"),
                (-41, "meeting", "Product demo for the Northwind sales ops team"),
                (-33, "email", "Sent security questionnaire answers to Priya Raman"),
                (-21, "email", "Sent proposal for 80 seats"),
                (-9, "call", "Check-in with Marcus Lee on proposal feedback"),
            ),
            notes=(
                (
                    -48,
                    "Discovery with Marcus. 80 reps in freight brokerage; managers rebuild the "
                    "forecast in spreadsheets every Friday and lose half a day to it. Dana "
                    "Whitfield (VP RevOps) owns the budget.",
                ),
                (
                    -41,
                    "Demo went well: Marcus and two sales managers. Questions on Slack alerts "
                    "and SSO. Priya Raman to review security.",
                ),
                (
                    -21,
                    "Proposal sent: 80 seats at $1,200 per seat per year, $96,000, annual "
                    "upfront. Clari is also in the running; they like our forecasting depth.",
                ),
                (
                    -9,
                    "Marcus: the proposal is with Dana. Their offsite next week may change the "
                    "scope. Follow up right after it.",
                ),
            ),
            tasks=(TaskSeed(-9, "Confirm SSO requirements with Priya Raman", 3),),
        ),
        DealSeed(
            key="pilot",
            name="Northwind Logistics - Forecasting pilot",
            stage="Closed Won",
            amount=18000.0,
            close=CloseDate(days=-200),
            history=(
                (-230, "meeting", "Pilot kickoff in the Chicago office"),
                (-200, "email", "Pilot order form countersigned"),
            ),
            notes=(
                (
                    -200,
                    "Pilot won: 15 users in Chicago. Success criterion: forecast within 10% "
                    "of actuals by quarter end.",
                ),
            ),
        ),
    ),
)

BRIGHTWAVE: Final = AccountSeed(
    name="Brightwave Health",
    domain="brightwavehealth.com",
    contacts=(
        ContactSeed(
            "Jordan Alvarez",
            "jordan.alvarez@brightwavehealth.com",
            "Director of Operations",
            "+1 617 555 0112",
            "Champion",
        ),
        ContactSeed(
            "Samira Okafor",
            "samira.okafor@brightwavehealth.com",
            "Chief Financial Officer",
            "+1 617 555 0139",
            "Economic buyer",
        ),
        ContactSeed(
            "Tom Becker",
            "tom.becker@brightwavehealth.com",
            "Procurement Manager",
            "+1 617 555 0165",
            "Procurement",
        ),
    ),
    deals=(
        DealSeed(
            key="brightwave",
            name="Brightwave Health - Sales team rollout",
            stage="Demo",
            amount=72000.0,
            close=CloseDate(said=(3, 31), call_day=BRIGHTWAVE_CALL_DAY, days=-30),
            next_step="Pricing review with Samira Okafor",
            history=(
                (-35, "email", "Inbound request from Jordan Alvarez via the website"),
                (-30, "call", "Discovery call with Jordan Alvarez"),
                (-16, "meeting", "Demo for the Brightwave revenue team"),
                (-6, "email", "Sent pricing overview to Jordan Alvarez"),
            ),
            notes=(
                (
                    -30,
                    "Discovery: 85 reps in three regions. HIPAA matters for call recordings. "
                    "Jordan runs operations and is our champion; CFO Samira Okafor signs off "
                    "on anything above $50k.",
                ),
                (
                    -16,
                    "Demo to 12 people, strong reaction to the forecast views. IT will want "
                    "HIPAA documentation and a pen test summary.",
                ),
                (
                    -6,
                    "Pricing overview sent: 60 seats, $72,000 a year. Jordan is setting up a "
                    "call with Samira.",
                ),
            ),
            tasks=(TaskSeed(-16, "Prepare the HIPAA documentation pack", 2),),
        ),
    ),
)

CALDER: Final = AccountSeed(
    name="Calder Robotics",
    domain="calderrobotics.com",
    contacts=(
        ContactSeed(
            "Elena Novak",
            "elena.novak@calderrobotics.com",
            "Head of Sales",
            "+44 20 7946 0321",
            "Economic buyer",
        ),
        ContactSeed(
            "Ben Carter",
            "ben.carter@calderrobotics.com",
            "Revenue Operations Analyst",
            "+44 20 7946 0388",
            "Champion",
        ),
    ),
    deals=(
        DealSeed(
            key="calder",
            name="Calder Robotics - Sales pilot",
            stage="Discovery",
            amount=45000.0,
            close=CloseDate(days=75),
            next_step="Discovery follow-up with Elena Novak",
            competitors=("Outreach",),
            history=(
                (-12, "email", "Introduction from Grace Whitaker at Halcyon Foods"),
                (-8, "call", "Intro call with Ben Carter"),
                (-3, "email", "Sent the logistics case study and a discovery agenda"),
            ),
            notes=(
                (
                    -8,
                    "Intro with Ben: 25 AEs selling industrial robots into the UK and EU, long "
                    "cycles with many stakeholders. Outreach for sequences, Excel for the "
                    "forecast. Elena Novak (Head of Sales) decides.",
                ),
                (
                    -3,
                    "Ben asked for the logistics case study before the follow-up; Elena will join.",
                ),
            ),
            tasks=(TaskSeed(-3, "Send the discovery agenda to Elena Novak", 0),),
        ),
    ),
)

HALCYON: Final = AccountSeed(
    name="Halcyon Foods",
    domain="halcyonfoods.com",
    contacts=(
        ContactSeed(
            "Grace Whitaker",
            "grace.whitaker@halcyonfoods.com",
            "VP of Sales",
            "+1 503 555 0107",
            "Economic buyer",
        ),
        ContactSeed(
            "Omar Haddad",
            "omar.haddad@halcyonfoods.com",
            "Legal Counsel",
            "+1 503 555 0126",
            "Legal",
        ),
    ),
    deals=(
        DealSeed(
            key="halcyon",
            name="Halcyon Foods - Annual subscription",
            stage="Negotiation",
            amount=58500.0,
            close=CloseDate(days=12),
            next_step="MSA redlines back from Omar Haddad",
            competitors=("Gong",),
            history=(
                (-70, "call", "Discovery call with Grace Whitaker"),
                (-55, "meeting", "Demo for the Halcyon sales leadership"),
                (-30, "email", "Sent proposal for 50 seats"),
                (-14, "meeting", "Commercial negotiation with Grace Whitaker"),
                (-4, "email", "Sent MSA redlines to Omar Haddad"),
            ),
            notes=(
                (
                    -55,
                    "Demo landed with Grace's managers; Gong is being looked at for call "
                    "recording.",
                ),
                (
                    -14,
                    "Grace agreed 50 seats at $1,170 after a 2.5% volume discount: $58,500 a year.",
                ),
                (-4, "Omar has the MSA. Two open points: the liability cap and data retention."),
            ),
            tasks=(TaskSeed(-4, "Chase Omar Haddad for the MSA redlines", 1),),
        ),
    ),
)

ACCOUNTS: Final = (NORTHWIND, BRIGHTWAVE, CALDER, HALCYON)
