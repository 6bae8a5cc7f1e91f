"""What the Pipedrive connector adds beyond the CRM contract: OAuth with `api_domain`, rate
limits, the identity backbone without an upsert (merge after a race), meeting matching."""

from __future__ import annotations

import threading
from collections import defaultdict
from pathlib import Path

from agent.domain.models import ObjectType
from connectors.common.retry import RetryPolicy
from connectors.pipedrive import PipedriveCrm, PipedriveIdentity
from tests.fakes.pipedrive import FakePipedrive, PdBook, harness


def test_oauth_uses_the_api_domain_of_the_token(
    pd_fake: FakePipedrive, pd_url: str, pd_book: PdBook, tmp_path: Path
) -> None:
    crm = harness.connect(
        pd_fake,
        pd_url,
        tmp_path,
        PIPEDRIVE_API_TOKEN=None,
        PIPEDRIVE_BASE_URL=None,
        PIPEDRIVE_OAUTH_URL=pd_url,
        PIPEDRIVE_CLIENT_ID=pd_fake.client_id,
        PIPEDRIVE_CLIENT_SECRET=pd_fake.client_secret,
        PIPEDRIVE_REFRESH_TOKEN=pd_fake.refresh_token,
    )
    assert crm.read_context(pd_book.open_deal).account.name == "Acme Logistics"
    pd_fake.oauth_tokens.clear()
    assert crm.get_record(ObjectType.DEAL, pd_book.open_deal)["amount"] == 90000.0
    crm.close()


def test_a_rate_limit_is_waited_out_and_usage_tracked(
    pd_fake: FakePipedrive, pd_url: str, pd_book: PdBook, tmp_path: Path
) -> None:
    waits: list[float] = []
    crm = harness.connect(pd_fake, pd_url, tmp_path, retry=RetryPolicy(sleep=waits.append))
    pd_fake.faults.script = ["rate_limit"]
    crm.get_record(ObjectType.CONTACT, pd_book.persons[0])
    crm.close()
    assert waits[0] >= 2
    assert {u.name: u.limit for u in crm.health().usage} == {"2s-window": pd_fake.limit}


def test_notes_keep_their_key_out_of_sight(pd: PipedriveCrm, pd_book: PdBook) -> None:
    pd.add_note(deal_id=pd_book.open_deal, body="Summary: pricing agreed", idempotency_key="k1")
    assert pd.read_context(pd_book.open_deal).notes[0].body == "Summary: pricing agreed"


def test_two_processes_racing_on_one_person_end_with_one(
    pd: PipedriveCrm, pd_fake: FakePipedrive, pd_url: str, pd_book: PdBook, tmp_path: Path
) -> None:
    """Two connectors (as two worker processes) both miss, both create; the merge leaves one."""
    other = harness.connect(pd_fake, pd_url, tmp_path / "other")
    racers = [
        PipedriveIdentity(pd.pd, locks=defaultdict(threading.Lock)),
        PipedriveIdentity(other.pd, locks=defaultdict(threading.Lock)),
    ]
    both_missed = threading.Barrier(2)
    for racer in racers:
        lookup = racer.find_person

        def missed(email: str, lookup=lookup) -> str | None:  # type: ignore[no-untyped-def]
            found = lookup(email)
            both_missed.wait(timeout=10)
            return found

        racer.find_person = missed  # type: ignore[method-assign]
    ids: list[str] = []
    threads = [
        threading.Thread(
            target=lambda r=r: ids.append(r.person_id(email="Race@acme-logistics.com", name="R"))
        )
        for r in racers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    other.close()
    assert len(ids) == 2
    assert ids[0] == ids[1]
    live = [
        p
        for p in pd_fake.account.live("persons")
        if p["emails"][0]["value"] == "race@acme-logistics.com"
    ]
    assert [str(p["id"]) for p in live] == [ids[0]]


def test_identity_finds_by_email_and_domain(pd: PipedriveCrm, pd_book: PdBook) -> None:
    identity = PipedriveIdentity(pd.pd)
    assert identity.person_id(email="Dana+x@Acme-Logistics.com", name="Dana") == pd_book.persons[0]
    assert identity.org_id(domain="www.acme-logistics.com", name="x") == pd_book.org
    new = identity.org_id(domain="newco.example", name="NewCo")
    assert identity.org_id(domain="https://NEWCO.example", name="NewCo") == new
    match = pd.match_identities(emails=["li.wen@ACME-logistics.com"], domains=["borealis.example"])
    assert [c.id for c in match.contacts] == [pd_book.persons[1]]
    assert {a.name for a in match.accounts} == {"Acme Logistics", "Borealis Foods"}
    assert [d.id for d in match.open_deals] == [pd_book.open_deal]
