"""The identity backbone on Salesforce: normalized lookups first, upsert by key, no duplicate when
two jobs race, and the meeting-linking match."""

from __future__ import annotations

import threading

from connectors.salesforce import SalesforceCrm, SalesforceIdentity
from tests.fakes.salesforce import FakeSalesforce, SfBook


def _contacts(fake: FakeSalesforce, key: str) -> list[str]:
    return [
        r["Id"] for r in fake.org.records["Contact"].values() if r["Engage_Email_Key__c"] == key
    ]


def test_a_known_address_however_typed_finds_the_contact(
    sf: SalesforceCrm, sf_fake: FakeSalesforce, sf_book: SfBook
) -> None:
    identity = SalesforceIdentity(sf.sf)
    writes = len(sf_fake.org.write_log)
    found = identity.contact_id(email=" Dana+crm@Acme-Logistics.com ", last_name="Reyes")
    assert found == sf_book.contacts[0]
    assert len(sf_fake.org.write_log) == writes


def test_a_missing_contact_and_account_are_created_once_by_key(
    sf: SalesforceCrm, sf_fake: FakeSalesforce
) -> None:
    identity = SalesforceIdentity(sf.sf)
    account = identity.account_id(domain="https://www.NewCo.example/about", name="NewCo")
    first = identity.contact_id(email="Sam+x@NewCo.example", last_name="Park", account_id=account)
    again = identity.contact_id(email="sam@newco.example", last_name="Park")
    assert first == again
    assert _contacts(sf_fake, "sam@newco.example") == [first]
    assert identity.account_id(domain="newco.example", name="NewCo Inc") == account


def test_two_jobs_racing_on_one_person_make_one_contact(
    sf: SalesforceCrm, sf_fake: FakeSalesforce
) -> None:
    """Both jobs look up before either creates; the upsert on the key still makes one record."""
    racers = [SalesforceIdentity(sf.sf), SalesforceIdentity(sf.sf)]
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
            target=lambda r=r: ids.append(r.contact_id(email="race@acme.test", last_name="Race"))
        )
        for r in racers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(ids) == 2
    assert ids[0] == ids[1]
    assert _contacts(sf_fake, "race@acme.test") == [ids[0]]


def test_match_identities_finds_contacts_accounts_and_open_deals(
    sf: SalesforceCrm, sf_book: SfBook
) -> None:
    match = sf.match_identities(emails=["LI.WEN@acme-logistics.com", "nobody@x.com"], domains=[])
    assert [c.id for c in match.contacts] == [sf_book.contacts[1]]
    assert [a.id for a in match.accounts] == [sf_book.account]
    assert [d.id for d in match.open_deals] == [sf_book.open_deal]
    by_domain = sf.match_identities(emails=[], domains=["acme-logistics.com", "borealis.example"])
    assert {a.name for a in by_domain.accounts} == {"Acme Logistics", "Borealis Foods"}
    assert [d.id for d in by_domain.open_deals] == [sf_book.open_deal]
    assert sf.match_identities(emails=[], domains=[]).accounts == ()
