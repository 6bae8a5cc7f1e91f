"""A small Pipedrive book and a wide one for fault drills."""

from __future__ import annotations

from dataclasses import dataclass

from tests.fakes.pipedrive.store import Account

STAGE_NAMES = (
    "Qualified",
    "Contact Made",
    "Demo Scheduled",
    "Proposal Made",
    "Negotiations Started",
)


@dataclass(frozen=True)
class PdBook:
    open_deal: str
    org: str
    persons: tuple[str, ...]


def seed_stages(acc: Account) -> list[int]:
    return [
        acc.create("stages", {"name": n, "order_nr": i, "pipeline_id": 1}, log=False)["id"]
        for i, n in enumerate(STAGE_NAMES)
    ]


def _person(acc: Account, name: str, email: str, org: int, title: str | None = None) -> int:
    return int(
        acc.create(
            "persons",
            {
                "name": name,
                "org_id": org,
                "job_title": title,
                "emails": [{"value": email, "primary": True, "label": "work"}],
                "phones": [],
            },
            log=False,
        )["id"]
    )


def seed_book(acc: Account) -> PdBook:
    stages = seed_stages(acc)
    org = acc.create(
        "organizations",
        {"name": "Acme Logistics", "website": "https://acme-logistics.com"},
        log=False,
    )["id"]
    acc.create(
        "organizations", {"name": "Borealis Foods", "website": "borealis.example"}, log=False
    )
    dana = _person(acc, "Dana Reyes", "dana@acme-logistics.com", org, "VP Operations")
    li = _person(acc, "Li Wen", "li.wen@acme-logistics.com", org, "Procurement Lead")
    deal = acc.create(
        "deals",
        {
            "title": "Acme Logistics - Platform",
            "value": 90000.0,
            "currency": "USD",
            "stage_id": stages[1],
            "pipeline_id": 1,
            "org_id": org,
            "person_id": dana,
            "expected_close_date": "2026-12-31",
            "custom_fields": {
                "engage_next_step": "Security review",
                "engage_competitors": "Gong;Chorus",
            },
        },
        log=False,
    )["id"]
    acc.create("notes", {"content": "Dana wants EU data residency.", "deal_id": deal}, log=False)
    acc.create(
        "activities",
        {
            "subject": "Send security questionnaire",
            "type": "task",
            "due_date": "2026-11-25",
            "done": False,
            "deal_id": deal,
        },
        log=False,
    )
    return PdBook(open_deal=str(deal), org=str(org), persons=(str(dana), str(li)))


def seed_wide(acc: Account, count: int) -> list[tuple[str, str]]:
    stages = seed_stages(acc)
    pairs = []
    for n in range(count):
        org = acc.create(
            "organizations", {"name": f"Wide Co {n}", "website": f"wide{n}.example"}, log=False
        )["id"]
        person = _person(acc, f"Pat Buyer {n}", f"pat{n}@wide{n}.example", org, "Manager")
        deal = acc.create(
            "deals",
            {
                "title": f"Wide deal {n}",
                "value": 1000.0 + n,
                "stage_id": stages[0],
                "pipeline_id": 1,
                "org_id": org,
                "expected_close_date": "2027-01-31",
            },
            log=False,
        )["id"]
        pairs.append((str(deal), str(person)))
    return pairs
