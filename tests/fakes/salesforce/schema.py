"""The Salesforce fake's objects: their fields, types, id prefixes and relationships."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class FieldDef:
    type: str
    updateable: bool = True
    nillable: bool = True
    external_id: bool = False
    length: int = 255


_SYSTEM = {
    "Id": FieldDef("id", updateable=False, nillable=False, length=18),
    "CreatedDate": FieldDef("datetime", updateable=False, nillable=False),
    "LastModifiedDate": FieldDef("datetime", updateable=False, nillable=False),
    "SystemModstamp": FieldDef("datetime", updateable=False, nillable=False),
    "CreatedById": FieldDef("reference", updateable=False, nillable=False),
    "LastModifiedById": FieldDef("reference", updateable=False, nillable=False),
}


def _object(**fields: FieldDef) -> dict[str, FieldDef]:
    return {**_SYSTEM, **fields}


S, REF = FieldDef("string"), FieldDef("reference")
OBJECTS: Final[dict[str, dict[str, FieldDef]]] = {
    "User": _object(Name=S, Email=FieldDef("email"), Username=S),
    "Account": _object(
        Name=FieldDef("string", nillable=False),
        Website=FieldDef("url"),
        OwnerId=REF,
        Engage_Domain_Key__c=FieldDef("string", external_id=True),
    ),
    "Contact": _object(
        FirstName=S,
        LastName=FieldDef("string", nillable=False),
        Name=FieldDef("string", updateable=False),
        Email=FieldDef("email"),
        Title=FieldDef("string", length=128),
        Phone=FieldDef("phone"),
        AccountId=REF,
        OwnerId=REF,
        Engage_Email_Key__c=FieldDef("string", external_id=True),
    ),
    "Opportunity": _object(
        Name=FieldDef("string", nillable=False, length=120),
        StageName=FieldDef("picklist", nillable=False),
        Amount=FieldDef("currency"),
        CloseDate=FieldDef("date", nillable=False),
        NextStep=S,
        Probability=FieldDef("percent"),
        ForecastCategoryName=FieldDef("picklist"),
        IsClosed=FieldDef("boolean", updateable=False),
        IsWon=FieldDef("boolean", updateable=False),
        AccountId=REF,
        OwnerId=REF,
        RecordTypeId=REF,
        Engage_Competitors__c=FieldDef("multipicklist", length=4099),
    ),
    "OpportunityContactRole": _object(
        OpportunityId=REF, ContactId=REF, Role=FieldDef("picklist"), IsPrimary=FieldDef("boolean")
    ),
    "Lead": _object(
        FirstName=S,
        LastName=FieldDef("string", nillable=False),
        Company=S,
        Email=FieldDef("email"),
        IsConverted=FieldDef("boolean", updateable=False),
        ConvertedContactId=FieldDef("reference", updateable=False),
        ConvertedOpportunityId=FieldDef("reference", updateable=False),
        ConvertedAccountId=FieldDef("reference", updateable=False),
    ),
    "Task": _object(
        Subject=S,
        ActivityDate=FieldDef("date"),
        Status=FieldDef("picklist"),
        Priority=FieldDef("picklist"),
        IsClosed=FieldDef("boolean", updateable=False),
        WhatId=REF,
        WhoId=REF,
        OwnerId=REF,
        Description=FieldDef("textarea", length=32000),
        Engage_Key__c=FieldDef("string", external_id=True),
    ),
    "Note": _object(
        ParentId=REF,
        Title=S,
        Body=FieldDef("textarea", length=32000),
        IsPrivate=FieldDef("boolean"),
    ),
    "RecordType": _object(Name=S, SobjectType=S),
}

PREFIX: Final = {
    "Account": "001",
    "Note": "002",
    "Contact": "003",
    "User": "005",
    "Opportunity": "006",
    "OpportunityContactRole": "00K",
    "Lead": "00Q",
    "Task": "00T",
    "RecordType": "012",
}
TYPE_OF_PREFIX: Final = {v: k for k, v in PREFIX.items()}

CHILDREN: Final = {
    ("Opportunity", "OpportunityContactRoles"): ("OpportunityContactRole", "OpportunityId"),
    ("Opportunity", "Notes"): ("Note", "ParentId"),
    ("Opportunity", "Tasks"): ("Task", "WhatId"),
    ("Account", "Contacts"): ("Contact", "AccountId"),
    ("Account", "Opportunities"): ("Opportunity", "AccountId"),
}

TASK_STATUSES: Final = ("Not Started", "In Progress", "Completed")


@dataclass(frozen=True)
class Stage:
    name: str
    probability: float
    forecast: str
    closed: bool = False
    won: bool = False


STAGES: Final = (
    Stage("Prospecting", 10, "Pipeline"),
    Stage("Qualification", 20, "Pipeline"),
    Stage("Proposal/Price Quote", 75, "Best Case"),
    Stage("Negotiation/Review", 90, "Commit"),
    Stage("Closed Won", 100, "Closed", closed=True, won=True),
    Stage("Closed Lost", 0, "Omitted", closed=True),
)
