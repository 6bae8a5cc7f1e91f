"""What the Salesforce connector adds beyond the CRM contract: auth flows, tokens at rest, usage,
limits, converted leads, validation rules, record types and Composite writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from agent.domain.models import FieldRef, ObjectType, RecordWrite
from agent.errors import CrmError, NotFound
from connectors.common.retry import RetryPolicy
from connectors.salesforce import SalesforceCrm
from tests.fakes.salesforce import FakeSalesforce, SfBook, harness


def _version(crm: SalesforceCrm, object_type: ObjectType, object_id: str) -> str:
    field = {ObjectType.DEAL: "deal.amount", ObjectType.CONTACT: "contact.title"}[object_type]
    ref = FieldRef(object_type=object_type, object_id=object_id, field=field)
    return crm.read_values([ref])[0].version


def test_jwt_bearer_flow_signs_in_without_a_refresh_token(
    sf_fake: FakeSalesforce, sf_url: str, sf_book: SfBook, tmp_path: Path
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    sf_fake.public_key_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    crm = harness.connect(
        sf_fake,
        sf_url,
        tmp_path,
        SALESFORCE_PRIVATE_KEY_FILE=tmp_path / "key.pem",
        SALESFORCE_REFRESH_TOKEN=None,
        SALESFORCE_CLIENT_SECRET=None,
    )
    try:
        assert crm.read_context(sf_book.open_deal).deal.name == "Acme Logistics - Platform"
    finally:
        crm.close()
    assert sf_fake.token_requests[0]["grant_type"] == (
        "urn:ietf:params:oauth:grant-type:jwt-bearer"
    )


def test_a_revoked_refresh_token_is_refused_with_salesforce_reason(
    sf_fake: FakeSalesforce, sf_url: str, sf_book: SfBook, tmp_path: Path
) -> None:
    crm = harness.connect(sf_fake, sf_url, tmp_path, SALESFORCE_REFRESH_TOKEN="revoked")
    with pytest.raises(CrmError, match="invalid_grant") as caught:
        crm.read_context(sf_book.open_deal)
    crm.close()
    assert caught.value.code == "invalid_grant"


def test_an_expired_session_is_refreshed_once_and_tokens_are_encrypted_at_rest(
    sf_fake: FakeSalesforce, sf_url: str, sf_book: SfBook, tmp_path: Path
) -> None:
    key = Fernet.generate_key().decode()
    crm = harness.connect(sf_fake, sf_url, tmp_path, ENGAGE_SECRET_KEY=key)
    crm.read_context(sf_book.open_deal)
    sf_fake.expire_sessions()
    assert crm.get_record(ObjectType.ACCOUNT, sf_book.account)["name"] == "Acme Logistics"
    crm.close()
    assert [r["grant_type"] for r in sf_fake.token_requests] == ["refresh_token"] * 2
    stored = (tmp_path / "tokens" / "salesforce.fernet").read_bytes()
    assert b"00D!" not in stored
    assert "00D!" in Fernet(key.encode()).decrypt(stored).decode()
    assert crm.health().token_expires_at is not None


def test_api_usage_is_tracked_from_sforce_limit_info(
    sf: SalesforceCrm, sf_fake: FakeSalesforce, sf_book: SfBook
) -> None:
    sf.read_context(sf_book.open_deal)
    usage = {u.name: u for u in sf.health().usage}
    assert usage["api-usage"].used == sf_fake.api_used
    assert usage["api-usage"].limit == 15000


def test_request_limit_exceeded_and_server_errors_are_retried(
    sf_fake: FakeSalesforce, sf_url: str, sf_book: SfBook, tmp_path: Path
) -> None:
    waits: list[float] = []
    crm = harness.connect(sf_fake, sf_url, tmp_path, retry=RetryPolicy(sleep=waits.append))
    sf_fake.faults.script = ["rate_limit", "unavailable", "server_error"]
    assert crm.read_context(sf_book.open_deal).deal.id == sf_book.open_deal
    crm.close()
    assert len(waits) == 3
    assert sf_fake.faults.script == []


def test_a_validation_rule_refusal_is_shown_and_never_retried(
    sf: SalesforceCrm, sf_fake: FakeSalesforce, sf_book: SfBook
) -> None:
    sf_fake.org.validation_rules.append(
        lambda sobject, record: (
            ("Close date cannot be in the past", ["CloseDate"])
            if sobject == "Opportunity" and record["CloseDate"] < "2026-11-20"
            else None
        )
    )
    version = _version(sf, ObjectType.DEAL, sf_book.open_deal)
    sent = len(sf_fake.requests)
    with pytest.raises(CrmError, match="Close date cannot be in the past") as caught:
        sf.write_record(
            RecordWrite(
                object_type=ObjectType.DEAL,
                object_id=sf_book.open_deal,
                values={"close_date": "2026-01-01"},
                expected_version=version,
            )
        )
    assert caught.value.code == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert len(sf_fake.requests) == sent + 1
    assert sf_fake.org.records["Opportunity"][sf_book.open_deal]["CloseDate"] == "2026-12-31"


def test_a_record_types_required_field_is_reported(
    sf: SalesforceCrm, sf_fake: FakeSalesforce, sf_book: SfBook
) -> None:
    record_type = sf_fake.org.insert(
        "RecordType", {"Name": "Enterprise", "SobjectType": "Opportunity"}
    )
    sf_fake.org.required_by_record_type[record_type] = ("NextStep",)
    sf_fake.org.update("Opportunity", sf_book.open_deal, {"RecordTypeId": record_type})
    with pytest.raises(CrmError, match=r"Required fields are missing: \[NextStep\]") as caught:
        sf.write_record(
            RecordWrite(
                object_type=ObjectType.DEAL,
                object_id=sf_book.open_deal,
                values={"next_step": None},
                expected_version=_version(sf, ObjectType.DEAL, sf_book.open_deal),
            )
        )
    assert caught.value.code == "REQUIRED_FIELD_MISSING"


def test_a_converted_lead_is_followed_to_its_opportunity_and_contact(
    sf: SalesforceCrm, sf_book: SfBook
) -> None:
    assert sf.read_context(sf_book.converted_lead).deal.id == sf_book.open_deal
    contact = sf.get_record(ObjectType.CONTACT, sf_book.converted_lead)
    assert contact["id"] == sf_book.contacts[0]
    note = sf.add_note(deal_id=sf_book.converted_lead, body="From the lead", idempotency_key="k")
    assert sf.read_context(sf_book.open_deal).notes[0].id == note


def test_a_write_outside_the_scope_sends_nothing(
    sf: SalesforceCrm, sf_fake: FakeSalesforce, sf_book: SfBook
) -> None:
    sent = len(sf_fake.requests)
    with pytest.raises(CrmError, match="write scope"):
        sf.write_record(
            RecordWrite(
                object_type=ObjectType.ACCOUNT,
                object_id=sf_book.account,
                values={"name": "Renamed"},
                expected_version="x",
            )
        )
    assert len(sf_fake.requests) == sent


def test_several_records_are_written_in_one_composite_call_each_guarded(
    sf: SalesforceCrm, sf_fake: FakeSalesforce, sf_book: SfBook
) -> None:
    dana, li = sf_book.contacts
    fresh = _version(sf, ObjectType.CONTACT, dana)
    stale = _version(sf, ObjectType.CONTACT, li)
    sf_fake.org.update("Contact", li, {"Title": "Head of Procurement"})
    sent = len(sf_fake.requests)
    results = sf.write_records(
        [
            RecordWrite(
                object_type=ObjectType.CONTACT,
                object_id=dana,
                values={"title": "COO"},
                expected_version=fresh,
            ),
            RecordWrite(
                object_type=ObjectType.CONTACT,
                object_id=li,
                values={"title": "CFO"},
                expected_version=stale,
            ),
        ]
    )
    assert len(sf_fake.requests) == sent + 1
    assert sf_fake.requests[-1] == ("POST", "composite")
    assert results[0].ok
    assert not results[1].ok
    assert "version conflict" in (results[1].reason or "")
    assert sf_fake.org.records["Contact"][li]["Title"] == "Head of Procurement"
    assert sf_fake.org.records["Contact"][dana]["Title"] == "COO"


def test_an_unknown_record_is_not_found(sf: SalesforceCrm) -> None:
    with pytest.raises(NotFound):
        sf.read_context("00Q999999999999AAA")
