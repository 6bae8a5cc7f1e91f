"""The HubSpot fake, driven by hubspot-api-client: HubSpot's own client gets the models and the
exceptions it expects from the real API."""

from __future__ import annotations

import pytest
from hubspot import HubSpot
from hubspot.crm.associations.v4 import ApiException as AssociationsApiException
from hubspot.crm.contacts import BatchInputSimplePublicObjectBatchInputUpsert
from hubspot.crm.deals import (
    ApiException,
    BatchReadInputSimplePublicObjectId,
    PublicObjectSearchRequest,
    SimplePublicObjectInput,
)
from hubspot.crm.deals.exceptions import NotFoundException

from tests.fakes.hubspot import FakeHubSpot, HsBook


@pytest.fixture
def client(hs_fake: FakeHubSpot, hs_url: str, hs_book: HsBook) -> HubSpot:
    return HubSpot(access_token="pat-na1-engage-test", host=hs_url)


def test_basic_get_update_and_batch_read(client: HubSpot, hs_book: HsBook) -> None:
    deal = client.crm.deals.basic_api.get_by_id(
        hs_book.open_deal, properties=["dealname", "amount"]
    )
    assert deal.properties["dealname"] == "Acme Logistics - Platform"
    updated = client.crm.deals.basic_api.update(
        hs_book.open_deal,
        simple_public_object_input=SimplePublicObjectInput(properties={"amount": "120000"}),
    )
    assert updated.properties["amount"] == "120000"
    assert updated.updated_at > deal.updated_at
    batch = client.crm.deals.batch_api.read(
        BatchReadInputSimplePublicObjectId(
            inputs=[{"id": hs_book.open_deal}], properties=["amount"], properties_with_history=[]
        )
    )
    assert batch.status == "COMPLETE"
    assert batch.results[0].properties["amount"] == "120000"


def test_search_upsert_and_associations(
    client: HubSpot, hs_fake: FakeHubSpot, hs_book: HsBook
) -> None:
    found = client.crm.deals.search_api.do_search(
        PublicObjectSearchRequest(
            filter_groups=[
                {
                    "filters": [
                        {"propertyName": "dealstage", "operator": "EQ", "value": "qualifiedtobuy"}
                    ]
                }
            ],
            properties=["dealname"],
            limit=10,
        )
    )
    assert [d.id for d in found.results] == [hs_book.open_deal]
    upserted = client.crm.contacts.batch_api.upsert(
        BatchInputSimplePublicObjectBatchInputUpsert(
            inputs=[
                {
                    "id": "new@acme-logistics.com",
                    "idProperty": "email",
                    "properties": {"lastname": "New"},
                }
            ]
        )
    )
    assert upserted.results[0].new is True
    links = client.crm.associations.v4.basic_api.get_page("deals", hs_book.open_deal, "contacts")
    assert {str(r.to_object_id) for r in links.results} == set(hs_book.contacts)
    with pytest.raises(AssociationsApiException):
        client.crm.associations.v4.basic_api.get_page("deals", "999999", "contacts")


def test_errors_reach_the_client_as_its_exceptions_and_retry_after_is_honoured(
    client: HubSpot, hs_fake: FakeHubSpot
) -> None:
    with pytest.raises(NotFoundException):
        client.crm.deals.basic_api.get_by_id("999999")
    hs_fake.faults.script = ["rate_limit"]
    assert client.crm.deals.basic_api.get_page().results
    assert hs_fake.faults.injected == {"rate_limit": 1}
    assert [p for _m, p, _b in hs_fake.requests[-2:]] == ["/crm/v3/objects/deals"] * 2
    hs_fake.retry_after_on_429 = False
    hs_fake.faults.script = ["rate_limit"]
    with pytest.raises(ApiException) as limited:
        client.crm.deals.basic_api.get_page()
    assert limited.value.status == 429
    assert '"policyName":"SECONDLY"' in limited.value.body.replace(" ", "")
