"""What the HubSpot connector adds beyond the CRM contract: OAuth refresh, rate limits and usage
headers, batch writes that send only approved properties, identity by email and domain."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from agent.domain.models import FieldRef, ObjectType, RecordWrite
from agent.errors import CrmError
from connectors.common.retry import RetryPolicy
from connectors.hubspot import HubSpotCrm, HubSpotIdentity
from tests.fakes.hubspot import FakeHubSpot, HsBook, harness


def _version(crm: HubSpotCrm, object_type: ObjectType, object_id: str, field: str) -> str:
    ref = FieldRef(object_type=object_type, object_id=object_id, field=field)
    return crm.read_values([ref])[0].version


def test_oauth_refreshes_before_use_and_after_a_401(
    hs_fake: FakeHubSpot, hs_url: str, hs_book: HsBook, tmp_path: Path
) -> None:
    crm = harness.connect(
        hs_url,
        tmp_path,
        HUBSPOT_ACCESS_TOKEN=None,
        HUBSPOT_CLIENT_ID=hs_fake.client_id,
        HUBSPOT_CLIENT_SECRET=hs_fake.client_secret,
        HUBSPOT_REFRESH_TOKEN=hs_fake.refresh_token,
    )
    assert crm.read_context(hs_book.open_deal).deal.name == "Acme Logistics - Platform"
    hs_fake.oauth_tokens.clear()
    assert crm.get_record(ObjectType.ACCOUNT, hs_book.company)["name"] == "Acme Logistics"
    assert crm.health().token_expires_at is not None
    crm.close()


def test_a_429_waits_for_retry_after_and_usage_comes_from_headers(
    hs_fake: FakeHubSpot, hs_url: str, hs_book: HsBook, tmp_path: Path
) -> None:
    waits: list[float] = []
    crm = harness.connect(hs_url, tmp_path, retry=RetryPolicy(sleep=waits.append))
    hs_fake.faults.script = ["rate_limit", "server_error"]
    crm.get_record(ObjectType.DEAL, hs_book.open_deal)
    crm.close()
    assert waits[0] >= 1
    assert len(waits) == 2
    usage = {u.name: u for u in crm.health().usage}
    assert usage["daily"].limit == hs_fake.daily_max
    assert usage["daily"].used == hs_fake.used


def test_a_batch_update_sends_only_the_approved_properties(
    hs: HubSpotCrm, hs_fake: FakeHubSpot, hs_book: HsBook
) -> None:
    dana, li = hs_book.contacts
    results = hs.write_records(
        [
            RecordWrite(
                object_type=ObjectType.CONTACT,
                object_id=dana,
                values={"title": "COO"},
                expected_version=_version(hs, ObjectType.CONTACT, dana, "contact.title"),
            ),
            RecordWrite(
                object_type=ObjectType.CONTACT,
                object_id=li,
                values={"phone": "+1 415 555 0199"},
                expected_version=_version(hs, ObjectType.CONTACT, li, "contact.phone"),
            ),
        ]
    )
    assert all(r.ok for r in results)
    updates = [body for method, path, body in hs_fake.requests if path.endswith("batch/update")]
    assert updates == [
        {
            "inputs": [
                {"id": dana, "properties": {"jobtitle": "COO"}},
                {"id": li, "properties": {"phone": "+1 415 555 0199"}},
            ]
        }
    ]


def test_a_validation_error_is_refused_once_with_hubspots_message(
    hs: HubSpotCrm, hs_fake: FakeHubSpot, hs_book: HsBook
) -> None:
    version = _version(hs, ObjectType.DEAL, hs_book.open_deal, "deal.stage")
    hs_fake.portal.stages = hs_fake.portal.stages[:-1]
    sent = len(hs_fake.requests)
    with pytest.raises(CrmError, match="INVALID_OPTION") as caught:
        hs.write_record(
            RecordWrite(
                object_type=ObjectType.DEAL,
                object_id=hs_book.open_deal,
                values={"stage": "Closed Lost"},
                expected_version=version,
            )
        )
    assert caught.value.code == "VALIDATION_ERROR"
    assert len(hs_fake.requests) == sent + 1


def test_identity_finds_by_normalized_email_and_domain_and_creates_once(
    hs: HubSpotCrm, hs_fake: FakeHubSpot, hs_book: HsBook
) -> None:
    identity = HubSpotIdentity(hs.hs)
    assert (
        identity.contact_id(email="Dana+x@ACME-logistics.com", last_name="Reyes")
        == hs_book.contacts[0]
    )
    assert (
        identity.company_id(domain="https://www.acme-logistics.com/", name="x") == hs_book.company
    )
    company = identity.company_id(domain="newco.example", name="NewCo")
    assert identity.company_id(domain="NEWCO.example", name="NewCo") == company
    racers = [HubSpotIdentity(hs.hs), HubSpotIdentity(hs.hs)]
    both_missed = threading.Barrier(2)
    for racer in racers:
        lookup = racer.find_contact

        def missed(email: str, lookup=lookup) -> str | None:  # type: ignore[no-untyped-def]
            found = lookup(email)
            both_missed.wait(timeout=10)
            return found

        racer.find_contact = missed  # type: ignore[method-assign]
    ids: list[str] = []
    threads = [
        threading.Thread(
            target=lambda r=r: ids.append(r.contact_id(email="race@newco.example", last_name="R"))
        )
        for r in racers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(ids) == 2
    assert ids[0] == ids[1]
    same = [
        c
        for c in hs_fake.portal.objects["contacts"].values()
        if c["properties"]["email"] == "race@newco.example"
    ]
    assert len(same) == 1


def test_match_identities_and_contact_roles(hs: HubSpotCrm, hs_book: HsBook) -> None:
    match = hs.match_identities(emails=["LI.WEN@acme-logistics.com"], domains=["borealis.example"])
    assert [c.id for c in match.contacts] == [hs_book.contacts[1]]
    assert {a.name for a in match.accounts} == {"Acme Logistics", "Borealis Foods"}
    assert [d.id for d in match.open_deals] == [hs_book.open_deal]
    roles = {c.id: c.role for c in hs.read_context(hs_book.open_deal).contacts}
    assert roles[hs_book.contacts[0]] == "Decision Maker"
