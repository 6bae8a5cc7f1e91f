"""A small book of business for the Salesforce fake, and a wide one for fault tests."""

from __future__ import annotations

from dataclasses import dataclass

from tests.fakes.salesforce.org import Org


@dataclass(frozen=True)
class SfBook:
    open_deal: str
    closed_deal: str
    account: str
    contacts: tuple[str, ...]
    converted_lead: str


def seed_book(org: Org) -> SfBook:
    account = org.insert(
        "Account", {"Name": "Acme Logistics", "Website": "https://www.acme-logistics.com"}
    )
    other = org.insert("Account", {"Name": "Borealis Foods", "Website": "borealis.example"})
    dana = org.insert(
        "Contact",
        {
            "FirstName": "Dana",
            "LastName": "Reyes",
            "Email": "dana@acme-logistics.com",
            "Title": "VP Operations",
            "Phone": "+1 415 555 0100",
            "AccountId": account,
            "Engage_Email_Key__c": "dana@acme-logistics.com",
        },
    )
    li = org.insert(
        "Contact",
        {
            "FirstName": "Li",
            "LastName": "Wen",
            "Email": "li.wen@acme-logistics.com",
            "Title": "Procurement Lead",
            "AccountId": account,
        },
    )
    deal = org.insert(
        "Opportunity",
        {
            "Name": "Acme Logistics - Platform",
            "StageName": "Qualification",
            "Amount": 90000.0,
            "CloseDate": "2026-12-31",
            "NextStep": "Security review",
            "AccountId": account,
            "OwnerId": org.admin_id,
            "Engage_Competitors__c": "Gong;Chorus",
        },
    )
    closed = org.insert(
        "Opportunity",
        {
            "Name": "Borealis - Pilot",
            "StageName": "Closed Won",
            "Amount": 12000.0,
            "CloseDate": "2026-06-30",
            "AccountId": other,
        },
    )
    org.insert(
        "OpportunityContactRole",
        {"OpportunityId": deal, "ContactId": dana, "Role": "Decision Maker", "IsPrimary": True},
    )
    org.insert(
        "OpportunityContactRole",
        {"OpportunityId": deal, "ContactId": li, "Role": "Evaluator", "IsPrimary": False},
    )
    org.insert(
        "Note", {"ParentId": deal, "Title": "Discovery", "Body": "Dana wants EU data residency."}
    )
    org.insert(
        "Task",
        {
            "WhatId": deal,
            "Subject": "Send security questionnaire",
            "ActivityDate": "2026-11-25",
            "Status": "Not Started",
        },
    )
    lead = org.insert(
        "Lead",
        {
            "FirstName": "Dana",
            "LastName": "Reyes",
            "Company": "Acme Logistics",
            "Email": "dana@acme-logistics.com",
            "IsConverted": True,
            "ConvertedContactId": dana,
            "ConvertedOpportunityId": deal,
            "ConvertedAccountId": account,
        },
        trusted=True,
    )
    return SfBook(
        open_deal=deal,
        closed_deal=closed,
        account=account,
        contacts=(dana, li),
        converted_lead=lead,
    )


def seed_wide(org: Org, count: int) -> list[tuple[str, str]]:
    """`count` open deals, each with its own account and one contact: [(deal id, contact id)]."""
    pairs = []
    for n in range(count):
        account = org.insert("Account", {"Name": f"Wide Co {n}", "Website": f"wide{n}.example"})
        contact = org.insert(
            "Contact",
            {
                "FirstName": "Pat",
                "LastName": f"Buyer {n}",
                "Email": f"pat{n}@wide{n}.example",
                "Title": "Manager",
                "AccountId": account,
            },
        )
        deal = org.insert(
            "Opportunity",
            {
                "Name": f"Wide deal {n}",
                "StageName": "Prospecting",
                "Amount": 1000.0 + n,
                "CloseDate": "2027-01-31",
                "AccountId": account,
            },
        )
        org.insert(
            "OpportunityContactRole",
            {
                "OpportunityId": deal,
                "ContactId": contact,
                "Role": "Decision Maker",
                "IsPrimary": True,
            },
        )
        pairs.append((deal, contact))
    return pairs
