"""A small HubSpot book and a wide one for fault drills."""

from __future__ import annotations

from dataclasses import dataclass

from tests.fakes.hubspot.store import Portal


@dataclass(frozen=True)
class HsBook:
    open_deal: str
    closed_deal: str
    company: str
    contacts: tuple[str, ...]


def seed_book(portal: Portal) -> HsBook:
    company = portal.create(
        "companies", {"name": "Acme Logistics", "domain": "acme-logistics.com"}, log=False
    )["id"]
    other = portal.create(
        "companies", {"name": "Borealis Foods", "domain": "borealis.example"}, log=False
    )["id"]
    dana = portal.create(
        "contacts",
        {
            "firstname": "Dana",
            "lastname": "Reyes",
            "email": "dana@acme-logistics.com",
            "jobtitle": "VP Operations",
            "phone": "+1 415 555 0100",
            "associatedcompanyid": company,
        },
        log=False,
    )["id"]
    li = portal.create(
        "contacts",
        {
            "firstname": "Li",
            "lastname": "Wen",
            "email": "li.wen@acme-logistics.com",
            "jobtitle": "Procurement Lead",
            "associatedcompanyid": company,
        },
        log=False,
    )["id"]
    deal = portal.create(
        "deals",
        {
            "dealname": "Acme Logistics - Platform",
            "dealstage": "qualifiedtobuy",
            "pipeline": "default",
            "amount": "90000",
            "closedate": "2026-12-31T00:00:00Z",
            "hs_next_step": "Security review",
            "engage_competitors": "Gong;Chorus",
        },
        log=False,
    )["id"]
    closed = portal.create(
        "deals",
        {
            "dealname": "Borealis - Pilot",
            "dealstage": "closedwon",
            "amount": "12000",
            "closedate": "2026-06-30T00:00:00Z",
        },
        log=False,
    )["id"]
    portal.associate("deals", deal, "companies", company, 5)
    portal.associate("deals", closed, "companies", other, 5)
    portal.associate("deals", deal, "contacts", dana, 3, "Decision Maker")
    portal.associate("deals", deal, "contacts", li, 3)
    portal.associate("contacts", dana, "companies", company, 1)
    portal.associate("contacts", li, "companies", company, 1)
    note = portal.create(
        "notes",
        {"hs_note_body": "Dana wants EU data residency.", "hs_timestamp": "2026-11-18T10:00:00Z"},
        log=False,
    )["id"]
    portal.associate("notes", note, "deals", deal, 214)
    task = portal.create(
        "tasks",
        {
            "hs_task_subject": "Send security questionnaire",
            "hs_task_status": "NOT_STARTED",
            "hs_timestamp": "2026-11-25T00:00:00Z",
        },
        log=False,
    )["id"]
    portal.associate("tasks", task, "deals", deal, 216)
    return HsBook(open_deal=deal, closed_deal=closed, company=company, contacts=(dana, li))


def seed_wide(portal: Portal, count: int) -> list[tuple[str, str]]:
    pairs = []
    for n in range(count):
        company = portal.create(
            "companies", {"name": f"Wide Co {n}", "domain": f"wide{n}.example"}, log=False
        )["id"]
        contact = portal.create(
            "contacts",
            {
                "firstname": "Pat",
                "lastname": f"Buyer {n}",
                "email": f"pat{n}@wide{n}.example",
                "jobtitle": "Manager",
            },
            log=False,
        )["id"]
        deal = portal.create(
            "deals",
            {
                "dealname": f"Wide deal {n}",
                "dealstage": "appointmentscheduled",
                "amount": str(1000 + n),
                "closedate": "2027-01-31T00:00:00Z",
            },
            log=False,
        )["id"]
        portal.associate("deals", deal, "companies", company, 5)
        portal.associate("deals", deal, "contacts", contact, 3)
        pairs.append((deal, contact))
    return pairs
