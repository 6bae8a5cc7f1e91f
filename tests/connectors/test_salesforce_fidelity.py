"""The Salesforce fake, driven by simple-salesforce: the official-style client gets what it
expects from the real API (URLs, status codes, bodies, headers, error arrays).

simple-salesforce always builds `https://` URLs, so a requests transport adapter sends them to the
fake's loopback address instead; nothing else about the client changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceResourceNotFound,
)

from tests.fakes.salesforce import FakeSalesforce, SfBook

HOST = "acme.my.salesforce.com"


class ToFake(HTTPAdapter):
    def __init__(self, base_url: str) -> None:
        super().__init__()
        self._base = base_url

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        request.url = str(request.url).replace(f"https://{HOST}", self._base, 1)
        return super().send(request, **kwargs)


@pytest.fixture
def client(sf_fake: FakeSalesforce, sf_url: str, sf_book: SfBook) -> Iterator[Salesforce]:
    session = requests.Session()
    session.mount("https://", ToFake(sf_url))
    yield Salesforce(
        instance_url=f"https://{HOST}",
        session_id=sf_fake.issue_session(),
        version="59.0",
        session=session,
    )
    session.close()


def test_get_update_and_limit_info(
    client: Salesforce, sf_fake: FakeSalesforce, sf_book: SfBook
) -> None:
    opportunities = client.Opportunity
    record = opportunities.get(sf_book.open_deal)
    assert record["StageName"] == "Qualification"
    assert record["attributes"]["type"] == "Opportunity"
    assert client.Opportunity.update(sf_book.open_deal, {"Amount": 120000.0}) == 204
    assert opportunities.get(sf_book.open_deal)["Amount"] == 120000.0
    usage = opportunities.api_usage["api-usage"]
    assert (usage.used, usage.total) == (sf_fake.api_used, 15000)
    client.query("SELECT Id FROM Account")
    assert client.api_usage["api-usage"].used == sf_fake.api_used


def test_query_with_relationships_and_paging(
    client: Salesforce, sf_fake: FakeSalesforce, sf_book: SfBook
) -> None:
    result = client.query(
        "SELECT Id, Name, Account.Name, (SELECT Role, Contact.Email FROM OpportunityContactRoles)"
        f" FROM Opportunity WHERE Id = '{sf_book.open_deal}'"
    )
    row = result["records"][0]
    assert row["Account"]["Name"] == "Acme Logistics"
    roles = row["OpportunityContactRoles"]["records"]
    assert {r["Contact"]["Email"] for r in roles} == {
        "dana@acme-logistics.com",
        "li.wen@acme-logistics.com",
    }
    sf_fake.batch_size = 1
    everything = client.query_all("SELECT Id FROM Contact ORDER BY CreatedDate")
    assert everything["totalSize"] == 2
    assert len(everything["records"]) == 2
    assert everything["done"]


def test_upsert_by_external_id_creates_then_updates(
    client: Salesforce, sf_fake: FakeSalesforce
) -> None:
    created = client.Contact.upsert(
        "Engage_Email_Key__c/new%40acme-logistics.com", {"LastName": "New"}
    )
    assert created == 201
    again = client.Contact.upsert("Engage_Email_Key__c/new%40acme-logistics.com", {"Title": "CTO"})
    assert again == 200
    found = client.Contact.get_by_custom_id("Engage_Email_Key__c", "new@acme-logistics.com")
    assert found["Title"] == "CTO"
    sf_fake.org.insert("Contact", {"LastName": "Twin", "Engage_Email_Key__c": "twin@x.com"})
    sf_fake.org.insert("Contact", {"LastName": "Twin", "Engage_Email_Key__c": "twin@x.com"})
    with pytest.raises(SalesforceMoreThanOneRecord):
        client.Contact.upsert("Engage_Email_Key__c/twin%40x.com", {"Title": "x"})


def test_composite_and_errors_map_to_the_clients_exceptions(
    client: Salesforce, sf_fake: FakeSalesforce, sf_book: SfBook
) -> None:
    reply = client.restful(
        "composite",
        method="POST",
        json={
            "allOrNone": True,
            "compositeRequest": [
                {
                    "method": "PATCH",
                    "url": f"/services/data/v59.0/sobjects/Opportunity/{sf_book.open_deal}",
                    "referenceId": "a",
                    "body": {"NextStep": "Pricing call"},
                },
                {
                    "method": "PATCH",
                    "url": f"/services/data/v59.0/sobjects/Opportunity/{sf_book.open_deal}",
                    "referenceId": "b",
                    "body": {"StageName": "Maybe"},
                },
            ],
        },
    )
    codes = [r["httpStatusCode"] for r in reply["compositeResponse"]]
    assert codes == [204, 400]
    with pytest.raises(SalesforceMalformedRequest) as bad:
        client.Opportunity.update(sf_book.open_deal, {"StageName": "Maybe"})
    assert bad.value.content[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    with pytest.raises(SalesforceResourceNotFound):
        client.Opportunity.get("006999999999999AAA")
    sf_fake.expire_sessions()
    with pytest.raises(SalesforceExpiredSession):
        client.Opportunity.get(sf_book.open_deal)
